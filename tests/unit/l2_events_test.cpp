/* hypervisor/nested/l2_events.cpp: the double-fault table of the SDM ("Interrupt
 * 8—Double Fault Exception", Table "Conditions for Generating a Double Fault")
 * for an exception L0 raises in L2 while an event was being delivered, and the
 * CR0/CR4 write L0 completes for L2 when only bits L0 owns changed. */
#include "hypervisor/nested/l2_events.h"
#include "arch/x86_64/control_registers.h"
#include "unit_test.h"

#include <utility>

using namespace nested;

namespace {

constexpr uint32_t exception(uint32_t vector, bool error_code = false)
{
    return interruption::VALID | (interruption::TYPE_HARDWARE_EXCEPTION << interruption::TYPE_SHIFT) | vector |
           (error_code ? interruption::ERROR_CODE : 0);
}
constexpr uint32_t EXTERNAL_INTERRUPT_32 = interruption::VALID | 32;
constexpr uint32_t NMI = interruption::VALID | (interruption::TYPE_NMI << interruption::TYPE_SHIFT) | 2;
constexpr uint32_t DE = exception(0), UD = exception(6), DF = exception(8, true), NP = exception(11, true),
                   GP = exception(13, true), PF = exception(14, true);

} // namespace

UNIT_TEST(l2_event_classes_follow_the_sdm_table)
{
    for (uint32_t vector : {0u, 10u, 11u, 12u, 13u, 21u})
        CHECK(fault_class(exception(vector)) == FaultClass::contributory);
    CHECK(fault_class(PF) == FaultClass::page_fault);
    CHECK(fault_class(exception(20)) == FaultClass::page_fault);
    for (uint32_t vector : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 9u, 16u, 17u, 18u, 19u})
        CHECK(fault_class(exception(vector)) == FaultClass::benign);
    /* Vector 13 as an external interrupt or an NMI is no #GP. */
    CHECK(fault_class(interruption::VALID | 13) == FaultClass::benign);
    CHECK(fault_class(NMI) == FaultClass::benign);
}

UNIT_TEST(l2_exception_without_an_event_in_delivery_is_delivered_as_it_is)
{
    CombinedEvent combined = combine_events(0, GP);
    CHECK(combined.kind == CombinedEvent::Kind::second);
    CHECK_EQ(combined.information, GP);
    /* An invalid vectoring word with stale bits is still nothing in delivery. */
    CHECK(combine_events(PF & ~interruption::VALID, GP).kind == CombinedEvent::Kind::second);
}

UNIT_TEST(l2_contributory_during_contributory_or_page_fault_during_page_fault_is_a_double_fault)
{
    for (auto [first, second] : {std::pair{GP, NP}, {DE, GP}, {NP, exception(12, true)}, {PF, PF}, {PF, GP}}) {
        CombinedEvent combined = combine_events(first, second);
        CHECK(combined.kind == CombinedEvent::Kind::double_fault);
        CHECK_EQ(combined.information, DF);
    }
}

UNIT_TEST(l2_benign_pairs_and_page_fault_after_contributory_are_handled_serially)
{
    for (auto [first, second] : {std::pair{GP, PF}, {EXTERNAL_INTERRUPT_32, GP}, {EXTERNAL_INTERRUPT_32, PF}, {NMI, PF},
                                 {UD, GP}, {PF, UD}, {GP, UD}}) {
        CombinedEvent combined = combine_events(first, second);
        CHECK(combined.kind == CombinedEvent::Kind::second);
        CHECK_EQ(combined.information, second);
    }
}

UNIT_TEST(l2_fault_while_delivering_a_double_fault_is_a_triple_fault)
{
    CHECK(combine_events(DF, GP).kind == CombinedEvent::Kind::triple_fault);
    CHECK(combine_events(DF, PF).kind == CombinedEvent::Kind::triple_fault);
    CHECK(combine_events(DF, DE).kind == CombinedEvent::Kind::triple_fault);
    /* A benign exception while calling the #DF handler is handled serially. */
    CHECK(combine_events(DF, UD).kind == CombinedEvent::Kind::second);
}

UNIT_TEST(l2_cr0_write_of_an_l0_bit_keeps_it_set_and_shows_l2_its_value)
{
    /* L1 owns CR0.PG (shadow: PG set); L2 clears NE, which only L0 owns. */
    uint64_t value = CR0_PE | CR0_PG | CR0_ET;
    ControlRegisterWrite write = l2_control_register_write(value, CR0_PG, CR0_PG, CR0_NE);
    CHECK_EQ(write.guest, value | CR0_NE);
    CHECK_EQ(write.shadow, value);
    /* A bit L1 owns reads as L1's shadow, whatever L2 wrote there. */
    write = l2_control_register_write(CR0_PE | CR0_ET, CR0_PG, CR0_PG, CR0_NE);
    CHECK_EQ(write.shadow, CR0_PE | CR0_ET | CR0_PG);
}

UNIT_TEST(l2_cr4_write_clearing_vmxe_runs_with_it_set_and_reads_it_clear)
{
    ControlRegisterWrite write = l2_control_register_write(CR4_PAE, 0, 0, CR4_VMXE);
    CHECK_EQ(write.guest, CR4_PAE | CR4_VMXE);
    CHECK_EQ(write.shadow, CR4_PAE);
}
