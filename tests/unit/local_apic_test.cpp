/* hypervisor/devices/local_apic against the Intel SDM (revision 084), Vol. 3A,
 * chapter "Advanced Programmable Interrupt Controller (APIC)": the virtual-wire
 * state at start, the timer in one-shot and periodic mode with its divider, TPR
 * and PPR against pending vectors, EOI, software disable, the error register and
 * self-IPIs. Time is passed in nanoseconds; the bus clock is 1 GHz. */
#include "hypervisor/devices/local_apic.h"
#include "unit_test.h"

using devices::LocalApic;

namespace {

constexpr uint32_t DIVIDE_BY_1 = 0xB, DIVIDE_BY_16 = 0x3, DIVIDE_BY_2 = 0x0, DIVIDE_BY_128 = 0xA;

} // namespace

UNIT_TEST(local_apic_starts_as_firmware_leaves_it_virtual_wire)
{
    LocalApic apic(3);
    CHECK_EQ(apic.read(LocalApic::id, 0), 3u << 24);
    CHECK_EQ(apic.read(LocalApic::version, 0), 0x50014u);
    CHECK(apic.software_enabled());
    CHECK(apic.passes_extint()); /* the 8259 reaches the CPU */
    CHECK_EQ(apic.read(LocalApic::lvt_lint0, 0), 0x700u);
    CHECK_EQ(apic.read(LocalApic::lvt_lint1, 0), 0x400u);
    CHECK_EQ(apic.read(LocalApic::lvt_timer, 0), LocalApic::LVT_MASKED);
    CHECK_EQ(apic.read(LocalApic::lvt_error, 0), LocalApic::LVT_MASKED);
    CHECK_EQ(apic.read(LocalApic::dfr, 0), 0xFFFFFFFFu);
    CHECK_EQ(apic.pending_vector(), -1);
    CHECK_EQ(apic.next_deadline_ns(0), LocalApic::NO_DEADLINE);
    /* Masking LINT0 cuts the wire; a globally disabled APIC is out of the path. */
    apic.write(LocalApic::lvt_lint0, 0x10700, 0);
    CHECK(!apic.passes_extint());
    apic.set_globally_enabled(false, 0);
    CHECK(apic.passes_extint());
}

UNIT_TEST(local_apic_lint1_delivers_nmi)
{
    LocalApic apic;
    CHECK(!apic.take_nmi());
    apic.raise_lint1();
    CHECK(apic.take_nmi());
    CHECK(!apic.take_nmi());
    apic.write(LocalApic::lvt_lint1, 0x10400, 0); /* masked */
    apic.raise_lint1();
    CHECK(!apic.take_nmi());
}

UNIT_TEST(local_apic_one_shot_timer_fires_once)
{
    LocalApic apic;
    apic.write(LocalApic::timer_divide, DIVIDE_BY_16, 0);
    apic.write(LocalApic::lvt_timer, 0x40, 0); /* one-shot, vector 0x40 */
    apic.write(LocalApic::timer_initial, 1000, 100);
    CHECK_EQ(apic.next_deadline_ns(100), 100u + 16000u);
    CHECK_EQ(apic.read(LocalApic::timer_current, 100 + 16 * 250), 750u);
    apic.advance(100 + 15999);
    CHECK_EQ(apic.pending_vector(), -1);
    apic.advance(100 + 16000);
    CHECK_EQ(apic.pending_vector(), 0x40);
    CHECK_EQ(apic.acknowledge(), 0x40);
    apic.write(LocalApic::eoi, 0, 20000);
    CHECK_EQ(apic.read(LocalApic::timer_current, 20000), 0u);
    CHECK_EQ(apic.next_deadline_ns(20000), LocalApic::NO_DEADLINE);
    apic.advance(1000000);
    CHECK_EQ(apic.pending_vector(), -1);
    CHECK_EQ(apic.timer_expiries(), 1u);
}

UNIT_TEST(local_apic_periodic_timer_keeps_its_rate_and_coalesces)
{
    LocalApic apic;
    apic.write(LocalApic::timer_divide, DIVIDE_BY_1, 0);
    apic.write(LocalApic::lvt_timer, LocalApic::LVT_TIMER_PERIODIC | 0x30, 0);
    apic.write(LocalApic::timer_initial, 1000000, 0); /* 1 ms */
    uint64_t taken = 0;
    /* Follow the deadlines for one second, taking each interrupt at once. */
    for (uint64_t now = apic.next_deadline_ns(0); now <= 1000000000; now = apic.next_deadline_ns(now)) {
        apic.advance(now);
        if (apic.pending_vector() == 0x30) {
            apic.acknowledge();
            apic.write(LocalApic::eoi, 0, now);
            ++taken;
        }
    }
    CHECK_EQ(taken, 1000u);
    CHECK_EQ(apic.read(LocalApic::timer_current, 1000000000 + 250000), 750000u);
    /* Ten periods unseen: one request, and the next deadline is in the future. */
    apic.advance(1000000000 + 10 * 1000000 + 5);
    CHECK_EQ(apic.pending_vector(), 0x30);
    CHECK_EQ(apic.next_deadline_ns(0), 1000000000ull + 11 * 1000000);
}

UNIT_TEST(local_apic_divide_register_sets_the_rate)
{
    LocalApic apic;
    apic.write(LocalApic::lvt_timer, 0x30, 0);
    struct {
        uint32_t code;
        uint64_t divisor;
    } cases[] = {{DIVIDE_BY_2, 2}, {0x1, 4}, {0x2, 8}, {DIVIDE_BY_16, 16}, {0x8, 32}, {0x9, 64}, {DIVIDE_BY_128, 128}, {DIVIDE_BY_1, 1}};
    for (const auto& c : cases) {
        apic.write(LocalApic::timer_divide, c.code, 0);
        apic.write(LocalApic::timer_initial, 100, 0);
        CHECK_EQ(apic.next_deadline_ns(0), 100 * c.divisor);
        CHECK_EQ(apic.read(LocalApic::timer_divide, 0), c.code);
    }
    /* Writing 0 stops the timer. */
    apic.write(LocalApic::timer_initial, 0, 5);
    CHECK_EQ(apic.next_deadline_ns(5), LocalApic::NO_DEADLINE);
}

UNIT_TEST(local_apic_masked_timer_counts_without_interrupting)
{
    LocalApic apic;
    apic.write(LocalApic::timer_divide, DIVIDE_BY_1, 0);
    apic.write(LocalApic::lvt_timer, LocalApic::LVT_MASKED | 0x30, 0);
    apic.write(LocalApic::timer_initial, 100, 0);
    apic.advance(200);
    CHECK_EQ(apic.pending_vector(), -1);
    CHECK_EQ(apic.timer_expiries(), 1u);
}

UNIT_TEST(local_apic_priority_classes_tpr_ppr_and_eoi)
{
    LocalApic apic;
    apic.accept(0x51);
    apic.accept(0x62);
    apic.accept(0x35);
    CHECK_EQ(apic.pending_vector(), 0x62);
    CHECK_EQ(apic.acknowledge(), 0x62);
    CHECK_EQ(apic.read(LocalApic::ppr, 0), 0x60u);
    /* 0x51 is of a lower class than the one in service: it waits. */
    CHECK_EQ(apic.pending_vector(), -1);
    CHECK_EQ(apic.read(LocalApic::isr0 + 0x30, 0), 1u << 2); /* vector 0x62 = word 3, bit 2 */
    CHECK_EQ(apic.read(LocalApic::irr0 + 0x20, 0), 1u << 17); /* 0x51 */
    apic.accept(0x70); /* higher class: nests */
    CHECK_EQ(apic.acknowledge(), 0x70);
    apic.write(LocalApic::eoi, 0, 0); /* ends 0x70, the highest in service */
    CHECK_EQ(apic.read(LocalApic::ppr, 0), 0x60u);
    apic.write(LocalApic::eoi, 0, 0);
    CHECK_EQ(apic.read(LocalApic::ppr, 0), 0u);
    /* TPR 0x50 holds back class 5 and below, not class 6. */
    apic.write(LocalApic::tpr, 0x50, 0);
    CHECK_EQ(apic.read(LocalApic::ppr, 0), 0x50u);
    CHECK_EQ(apic.pending_vector(), -1);
    apic.write(LocalApic::tpr, 0x40, 0);
    CHECK_EQ(apic.pending_vector(), 0x51);
    /* Level-triggered acceptance shows in TMR. */
    apic.accept(0x90, true);
    CHECK_EQ(apic.read(LocalApic::tmr0 + 0x40, 0), 1u << 16);
}

UNIT_TEST(local_apic_software_disable_masks_lvt_and_holds_requests)
{
    LocalApic apic;
    apic.accept(0x40);
    apic.write(LocalApic::svr, 0xFF, 0); /* enable bit clear */
    CHECK(!apic.software_enabled());
    CHECK_EQ(apic.pending_vector(), -1);
    CHECK(!apic.passes_extint()); /* LINT0 masked now */
    apic.write(LocalApic::lvt_timer, 0x30, 0);
    CHECK_EQ(apic.read(LocalApic::lvt_timer, 0) & LocalApic::LVT_MASKED, LocalApic::LVT_MASKED);
    apic.write(LocalApic::svr, 0x1FF, 0);
    CHECK_EQ(apic.pending_vector(), 0x40);
}

UNIT_TEST(local_apic_errors_latch_in_esr_and_raise_the_error_vector)
{
    LocalApic apic;
    apic.write(LocalApic::lvt_error, 0xFE, 0);
    apic.accept(5); /* illegal vector */
    CHECK_EQ(apic.read(LocalApic::esr, 0), 0u); /* not latched before a write */
    apic.write(LocalApic::esr, 0, 0);
    CHECK_EQ(apic.read(LocalApic::esr, 0), LocalApic::ESR_RECEIVE_ILLEGAL_VECTOR);
    CHECK_EQ(apic.pending_vector(), 0xFE);
    apic.read(0x3F0, 0); /* a reserved register */
    apic.write(LocalApic::esr, 0, 0);
    CHECK_EQ(apic.read(LocalApic::esr, 0), LocalApic::ESR_ILLEGAL_REGISTER);
}

UNIT_TEST(local_apic_self_ipi_arrives_other_destinations_do_not)
{
    LocalApic apic(0);
    apic.write(LocalApic::icr_low, (1u << 18) | 0x45, 0); /* shorthand self */
    CHECK_EQ(apic.pending_vector(), 0x45);
    apic.acknowledge();
    apic.write(LocalApic::eoi, 0, 0);
    apic.write(LocalApic::icr_high, 7u << 24, 0);
    apic.write(LocalApic::icr_low, 0x46, 0); /* physical destination 7: nobody */
    CHECK_EQ(apic.pending_vector(), -1);
    apic.write(LocalApic::icr_low, (3u << 18) | 0x47, 0); /* all but self */
    CHECK_EQ(apic.pending_vector(), -1);
    apic.write(LocalApic::icr_low, (1u << 18) | (4u << 8), 0); /* self NMI */
    CHECK(apic.take_nmi());
    CHECK_EQ(apic.read(LocalApic::icr_low, 0) & (1u << 12), 0u); /* delivery status idle */
}

UNIT_TEST(local_apic_odd_offsets_and_read_only_registers_change_nothing)
{
    LocalApic apic(2);
    apic.write(LocalApic::version, 0, 0);
    CHECK_EQ(apic.read(LocalApic::version, 0), 0x50014u);
    apic.write(LocalApic::id + 4, 0xFFFFFFFF, 0);
    CHECK_EQ(apic.read(LocalApic::id, 0), 2u << 24);
    CHECK_EQ(apic.read(LocalApic::id + 4, 0), 0u);
    CHECK_EQ(apic.read(0x5000, 0), 0u);
    apic.write(LocalApic::irr0, 0xFFFFFFFF, 0);
    CHECK_EQ(apic.read(LocalApic::irr0, 0), 0u);
}

UNIT_TEST(local_apic_periodic_timer_never_fires_faster_than_its_minimum_period)
{
    /* Regression guard for a storm: a count of 1 at divide-by-1 would be 1 ns. */
    LocalApic apic;
    apic.write(LocalApic::timer_divide, DIVIDE_BY_1, 0);
    apic.write(LocalApic::lvt_timer, LocalApic::LVT_TIMER_PERIODIC | 0x30, 0);
    apic.write(LocalApic::timer_initial, 1, 0);
    CHECK_EQ(apic.next_deadline_ns(0), LocalApic::MIN_PERIODIC_NS);
    apic.advance(LocalApic::MIN_PERIODIC_NS * 3 + 1);
    CHECK_EQ(apic.next_deadline_ns(0), LocalApic::MIN_PERIODIC_NS * 4);
    /* A one-shot count of 1 still fires after 1 ns, once. */
    apic.write(LocalApic::lvt_timer, 0x30, 0);
    apic.write(LocalApic::timer_initial, 1, 100);
    CHECK_EQ(apic.next_deadline_ns(100), 101u);
}

/* pending_vector() answers "nothing" from a summary of the non-empty IRR words:
 * requests in several words come out highest first, the summary empties with
 * the last acknowledge (has_requests()), and a new request is seen again. */
UNIT_TEST(local_apic_requests_in_several_irr_words_come_out_until_irr_is_empty)
{
    LocalApic apic;
    CHECK(!apic.has_requests());
    const uint8_t vectors[] = {0x31, 0x3F, 0x95, 0xF0};
    for (uint8_t vector : vectors)
        apic.accept(vector);
    CHECK(apic.has_requests());
    const int expected[] = {0xF0, 0x95, 0x3F, 0x31};
    for (int vector : expected) {
        CHECK_EQ(apic.pending_vector(), vector);
        CHECK_EQ(int(apic.acknowledge()), vector);
        apic.write(LocalApic::eoi, 0, 0);
    }
    CHECK(!apic.has_requests());
    CHECK_EQ(apic.pending_vector(), -1);
    /* Two requests in one word: the word stays marked until both are taken. */
    apic.accept(0x41);
    apic.accept(0x42);
    CHECK_EQ(apic.acknowledge(), 0x42);
    apic.write(LocalApic::eoi, 0, 0);
    CHECK(apic.has_requests());
    CHECK_EQ(apic.pending_vector(), 0x41);
    /* A reset (a write of the APIC base MSR that disables it) drops them all. */
    apic.set_globally_enabled(false, 0);
    apic.set_globally_enabled(true, 0);
    CHECK(!apic.has_requests());
    CHECK_EQ(apic.pending_vector(), -1);
}
