/* hypervisor/nested/vmcs12.cpp against the Intel SDM (revision 084): the
 * field-width and access-type rules of Appendix B "Field Encoding in VMCS" and
 * of "VMREAD"/"VMWRITE" (errors 12 and 13), and the region layout in L1's
 * memory that docs/nested.md gives (revision, abort indicator, launch state). */
#include "hypervisor/nested/vmcs12.h"
#include "fake_guest_ram.h"
#include "unit_test.h"

#include <cstring>
#include <initializer_list>
#include <vector>

namespace {

using nested::FieldStatus;
using nested::Vmcs12;

/* Guest RAM [0, 64 KiB). */
class FakeRam final : public FakeGuestRam {
public:
    FakeRam() : FakeGuestRam(64 * 1024) {}
};

constexpr uint64_t GUEST_CS_SELECTOR = 0x0802, EXCEPTION_BITMAP = 0x4004, TSC_OFFSET = 0x2010, GUEST_PHYSICAL_ADDRESS = 0x2400;
constexpr uint64_t GUEST_RIP = 0x681E, EXIT_REASON = 0x4402, EXIT_QUALIFICATION = 0x6400;

} // namespace

UNIT_TEST(vmcs12_16_bit_field_keeps_16_bits_and_reads_zero_extended)
{
    Vmcs12 vmcs;
    CHECK(vmcs.write(GUEST_CS_SELECTOR, 0xFFFF'FFFF'1234'5678ull, false) == FieldStatus::ok);
    uint64_t value = 0;
    CHECK(vmcs.read(GUEST_CS_SELECTOR, value) == FieldStatus::ok);
    CHECK_EQ(value, 0x5678u);
}

UNIT_TEST(vmcs12_32_bit_field_keeps_32_bits)
{
    Vmcs12 vmcs;
    CHECK(vmcs.write(EXCEPTION_BITMAP, 0xAAAA'BBBB'CCCC'DDDDull, false) == FieldStatus::ok);
    uint64_t value = 0;
    CHECK(vmcs.read(EXCEPTION_BITMAP, value) == FieldStatus::ok);
    CHECK_EQ(value, 0xCCCC'DDDDull);
}

UNIT_TEST(vmcs12_64_bit_field_full_and_high_accesses)
{
    Vmcs12 vmcs;
    CHECK(vmcs.write(TSC_OFFSET, 0x1111'2222'3333'4444ull, false) == FieldStatus::ok);
    uint64_t value = 0;
    CHECK(vmcs.read(TSC_OFFSET + 1, value) == FieldStatus::ok);
    CHECK_EQ(value, 0x1111'2222ull);
    /* A high write changes bits 63:32 only, from the value's low 32 bits. */
    CHECK(vmcs.write(TSC_OFFSET + 1, 0xFFFF'FFFF'9999'8888ull, false) == FieldStatus::ok);
    CHECK(vmcs.read(TSC_OFFSET, value) == FieldStatus::ok);
    CHECK_EQ(value, 0x9999'8888'3333'4444ull);
    /* A full write of a 32-bit value (VMWRITE outside 64-bit mode) clears the high half. */
    CHECK(vmcs.write(TSC_OFFSET, 0x5555'6666ull, false) == FieldStatus::ok);
    CHECK(vmcs.read(TSC_OFFSET, value) == FieldStatus::ok);
    CHECK_EQ(value, 0x5555'6666ull);
}

UNIT_TEST(vmcs12_natural_width_field_is_64_bits_and_has_no_high_half)
{
    Vmcs12 vmcs;
    CHECK(vmcs.write(GUEST_RIP, 0xFFFF'8000'0010'0000ull, false) == FieldStatus::ok);
    uint64_t value = 0;
    CHECK(vmcs.read(GUEST_RIP, value) == FieldStatus::ok);
    CHECK_EQ(value, 0xFFFF'8000'0010'0000ull);
    CHECK(vmcs.read(GUEST_RIP + 1, value) == FieldStatus::unsupported_component);
    CHECK(vmcs.read(GUEST_CS_SELECTOR + 1, value) == FieldStatus::unsupported_component);
    CHECK(vmcs.read(EXCEPTION_BITMAP + 1, value) == FieldStatus::unsupported_component);
}

UNIT_TEST(vmcs12_unsupported_encodings_fail_with_error_12)
{
    Vmcs12 vmcs;
    uint64_t value = 0;
    /* Reserved bits 63:15 and 12, a field no CPU has, a refused feature's field (PML address). */
    for (uint64_t encoding : std::initializer_list<uint64_t>{0x1'0000'0802, 0x8802, 0x1802, 0x0FFE, 0x200E, 0x2026}) {
        CHECK(vmcs.read(encoding, value) == FieldStatus::unsupported_component);
        CHECK(vmcs.write(encoding, 1, true) == FieldStatus::unsupported_component);
    }
}

UNIT_TEST(vmcs12_read_only_fields_refuse_vmwrite_unless_misc_bit_29)
{
    Vmcs12 vmcs;
    for (uint64_t encoding : {EXIT_REASON, EXIT_QUALIFICATION, GUEST_PHYSICAL_ADDRESS, GUEST_PHYSICAL_ADDRESS + 1})
        CHECK(vmcs.write(encoding, 7, false) == FieldStatus::read_only_component);
    CHECK(vmcs.write(EXIT_REASON, 7, true) == FieldStatus::ok);
    uint64_t value = 0;
    CHECK(vmcs.read(EXIT_REASON, value) == FieldStatus::ok);
    CHECK_EQ(value, 7u);
}

UNIT_TEST(vmcs12_every_supported_field_round_trips_through_its_slot)
{
    Vmcs12 vmcs;
    for (size_t i = 0; i < nested::supported_field_count(); ++i) {
        uint64_t encoding = uint64_t(nested::supported_field(i));
        CHECK_EQ(nested::field_slot(encoding), int(i));
        CHECK(vmcs.write(encoding, i + 1, true) == FieldStatus::ok);
    }
    for (size_t i = 0; i < nested::supported_field_count(); ++i)
        CHECK_EQ(vmcs.get(nested::supported_field(i)), i + 1);
}

UNIT_TEST(vmcs12_highest_field_index_matches_the_supported_fields)
{
    /* The VMX-preemption timer value (0x482E) has index 0x17, the highest of
     * ours (guest IA32_SYSENTER_EIP, 0x6826, is 0x13). */
    CHECK_EQ(nested::highest_field_index(), 0x17u);
}

UNIT_TEST(vmcs12_region_layout_stores_revision_abort_launch_state_and_fields)
{
    FakeRam ram;
    constexpr uint64_t REGION = 0x3000;
    uint32_t revision = nested::VMCS12_REVISION_ID;
    std::memcpy(&ram.bytes[REGION], &revision, 4);
    Vmcs12 vmcs;
    CHECK(vmcs.load(ram, REGION));
    CHECK_EQ(vmcs.revision(), nested::VMCS12_REVISION_ID);
    CHECK(!vmcs.launched());
    CHECK(vmcs.write(GUEST_RIP, 0x1234, false) == FieldStatus::ok);
    vmcs.set_launched(true);
    CHECK(vmcs.store(ram, REGION));
    uint64_t stored = 0;
    std::memcpy(&stored, &ram.bytes[REGION + nested::VMCS12_FIELDS_OFFSET + 8 * nested::field_slot(GUEST_RIP)], 8);
    CHECK_EQ(stored, 0x1234u);
    Vmcs12 again;
    CHECK(again.load(ram, REGION));
    CHECK(again.launched());
    CHECK_EQ(again.get(nested::VmcsEncoding::guest_rip), 0x1234u);
    CHECK(nested::clear_launch_state(ram, REGION));
    CHECK(again.load(ram, REGION));
    CHECK(!again.launched());
    CHECK_EQ(again.get(nested::VmcsEncoding::guest_rip), 0x1234u);
}

UNIT_TEST(vmcs12_load_cuts_values_l1_wrote_into_the_page_to_the_field_width)
{
    FakeRam ram;
    constexpr uint64_t REGION = 0x2000;
    uint64_t wide = ~0ull;
    std::memcpy(&ram.bytes[REGION + nested::VMCS12_FIELDS_OFFSET + 8 * nested::field_slot(GUEST_CS_SELECTOR)], &wide, 8);
    Vmcs12 vmcs;
    CHECK(vmcs.load(ram, REGION));
    CHECK_EQ(vmcs.get(nested::VmcsEncoding::guest_cs_selector), 0xFFFFu);
}

UNIT_TEST(vmcs12_region_outside_ram_does_not_load)
{
    FakeRam ram;
    Vmcs12 vmcs;
    CHECK(!vmcs.load(ram, ram.bytes.size() - 0x1000 + 0x1000));
    CHECK(!vmcs.store(ram, ram.bytes.size()));
}

UNIT_TEST(vmcs12_slot_access_is_the_field_access_with_its_width)
{
    /* get_slot/set_slot (the shadow VMCS copy's path) must keep what set()
     * keeps: a 16-bit field cut to 16 bits, a 32-bit one to 32, others whole. */
    Vmcs12 by_field, by_slot;
    for (size_t i = 0; i < nested::supported_field_count(); ++i) {
        by_field.set(nested::supported_field(i), ~0ull - i);
        by_slot.set_slot(i, ~0ull - i);
    }
    for (size_t i = 0; i < nested::supported_field_count(); ++i) {
        CHECK_EQ(by_slot.get_slot(i), by_field.get(nested::supported_field(i)));
        CHECK_EQ(by_slot.get(nested::supported_field(i)), by_field.get_slot(i));
    }
    CHECK_EQ(by_slot.get(nested::VmcsEncoding::guest_cs_selector), 0xFFFFu - uint64_t(nested::field_slot(0x802)));
}

/* The change tracking VM entry keeps VMCS02 by (Vmcs12::changes()). */
UNIT_TEST(vmcs12_a_new_or_loaded_cache_counts_every_field_as_changed)
{
    Vmcs12 fresh;
    for (size_t slot = 0; slot < nested::supported_field_count(); ++slot)
        CHECK(fresh.changes().has(slot));
    fresh.forget_changes();
    CHECK(fresh.changes().empty());
    FakeRam ram;
    uint32_t revision = nested::VMCS12_REVISION_ID;
    CHECK(ram.write(0x1000, &revision, sizeof revision));
    CHECK(fresh.load(ram, 0x1000));
    for (size_t slot = 0; slot < nested::supported_field_count(); ++slot)
        CHECK(fresh.changes().has(slot));
}

UNIT_TEST(vmcs12_vmwrite_set_and_slot_writes_record_a_change_only_when_the_value_changes)
{
    Vmcs12 vmcs;
    vmcs.forget_changes();
    int rip = nested::field_slot(GUEST_RIP), bitmap = nested::field_slot(EXCEPTION_BITMAP);
    int tsc = nested::field_slot(TSC_OFFSET), selector = nested::field_slot(GUEST_CS_SELECTOR);
    /* The same value again (0) is no change: the shadow VMCS copy writes back every field. */
    CHECK(vmcs.write(GUEST_RIP, 0, false) == FieldStatus::ok);
    vmcs.set_slot(size_t(bitmap), 0);
    CHECK(vmcs.changes().empty());
    /* VMWRITE (the emulated path), the shadow VMCS pull (set_slot) and L0's set() record it. */
    CHECK(vmcs.write(GUEST_RIP, 0x1234, false) == FieldStatus::ok);
    vmcs.set_slot(size_t(bitmap), 1u << 14);
    vmcs.set(nested::VmcsEncoding(GUEST_CS_SELECTOR), 0x10);
    CHECK(vmcs.changes().has(size_t(rip)));
    CHECK(vmcs.changes().has(size_t(bitmap)));
    CHECK(vmcs.changes().has(size_t(selector)));
    CHECK(!vmcs.changes().has(size_t(tsc)));
    /* A high access that changes bits 63:32 is a change of the field. */
    vmcs.forget_changes();
    CHECK(vmcs.write(TSC_OFFSET + 1, 0, false) == FieldStatus::ok);
    CHECK(vmcs.changes().empty());
    CHECK(vmcs.write(TSC_OFFSET + 1, 5, false) == FieldStatus::ok);
    CHECK(vmcs.changes().has(size_t(tsc)));
    /* A value cut to the field's width that ends up the same is no change. */
    vmcs.forget_changes();
    CHECK(vmcs.write(GUEST_CS_SELECTOR, 0xFFFF0010ull, false) == FieldStatus::ok);
    CHECK(vmcs.changes().empty());
    /* Refused writes change nothing. */
    CHECK(vmcs.write(EXIT_REASON, 7, false) == FieldStatus::read_only_component);
    CHECK(vmcs.changes().empty());
}

UNIT_TEST(vmcs12_field_groups_follow_the_encoding_types)
{
    using nested::FieldGroup;
    using nested::field_group;
    auto in = [](FieldGroup group, uint64_t encoding) {
        return field_group(group).has(size_t(nested::field_slot(encoding)));
    };
    constexpr uint64_t ENTRY_INTERRUPTION_INFORMATION = 0x4016, HOST_RIP = 0x6C16, GUEST_GDTR_BASE = 0x6816;
    constexpr uint64_t GUEST_TR_ACCESS_RIGHTS = 0x4822, GUEST_GDTR_LIMIT = 0x4810;
    CHECK(in(FieldGroup::controls, EXCEPTION_BITMAP));
    CHECK(in(FieldGroup::controls, TSC_OFFSET));
    CHECK(!in(FieldGroup::controls, ENTRY_INTERRUPTION_INFORMATION));
    CHECK(in(FieldGroup::event_injection, ENTRY_INTERRUPTION_INFORMATION));
    CHECK(in(FieldGroup::host_state, HOST_RIP));
    CHECK(in(FieldGroup::guest_state, GUEST_RIP));
    CHECK(in(FieldGroup::guest_state, GUEST_CS_SELECTOR));
    CHECK(in(FieldGroup::guest_segments, GUEST_CS_SELECTOR));
    CHECK(in(FieldGroup::guest_segments, GUEST_TR_ACCESS_RIGHTS));
    CHECK(!in(FieldGroup::guest_segments, GUEST_GDTR_BASE));
    CHECK(!in(FieldGroup::guest_segments, GUEST_GDTR_LIMIT));
    CHECK(!in(FieldGroup::guest_segments, GUEST_RIP));
    CHECK(in(FieldGroup::exit_information, EXIT_QUALIFICATION));
    CHECK(in(FieldGroup::exit_information, GUEST_PHYSICAL_ADDRESS));
    /* Every field is in exactly one of controls, event injection, host, guest, exit information. */
    for (size_t slot = 0; slot < nested::supported_field_count(); ++slot) {
        int groups = 0;
        for (FieldGroup group : {FieldGroup::controls, FieldGroup::event_injection, FieldGroup::host_state,
                                 FieldGroup::guest_state, FieldGroup::exit_information})
            groups += field_group(group).has(slot);
        CHECK_EQ(groups, 1);
    }
}

UNIT_TEST(vmcs12_unpushed_fields_are_those_the_shadow_vmcs_lacks)
{
    /* shadow_vmcs.cpp pushes only unpushed() into the shadow VMCS: a field L0
     * changed after the last push (an exit's information, L2's state) must be in
     * it, one the pull brought in from the shadow must not. */
    Vmcs12 vmcs;
    for (size_t slot = 0; slot < nested::supported_field_count(); ++slot)
        CHECK(vmcs.unpushed().has(slot));
    vmcs.pushed();
    CHECK(vmcs.unpushed().empty());
    int rip = nested::field_slot(GUEST_RIP), reason = nested::field_slot(EXIT_REASON);
    int bitmap = nested::field_slot(EXCEPTION_BITMAP);
    vmcs.set(nested::VmcsEncoding(GUEST_RIP), 0x1000);
    vmcs.set(nested::VmcsEncoding(EXIT_REASON), 10);
    vmcs.set_slot(size_t(bitmap), 0); /* the same value: the shadow has it */
    CHECK(vmcs.unpushed().has(size_t(rip)));
    CHECK(vmcs.unpushed().has(size_t(reason)));
    CHECK(!vmcs.unpushed().has(size_t(bitmap)));
    /* Entering L2 forgets the entry's changes, not what the shadow lacks. */
    vmcs.forget_changes();
    CHECK(vmcs.unpushed().has(size_t(rip)));
    /* A pull puts the writable fields in step; read-only ones stay unpushed. */
    nested::FieldSet writable;
    writable.add(size_t(rip));
    writable.add(size_t(bitmap));
    vmcs.in_step(writable);
    CHECK(!vmcs.unpushed().has(size_t(rip)));
    CHECK(vmcs.unpushed().has(size_t(reason)));
    /* A new shadow VMCS, or another VMCS12 loaded, needs every field. */
    vmcs.push_all();
    CHECK(vmcs.unpushed().has(size_t(bitmap)));
    vmcs.pushed();
    FakeRam ram;
    uint32_t revision = nested::VMCS12_REVISION_ID;
    CHECK(ram.write(0x1000, &revision, sizeof revision));
    CHECK(vmcs.load(ram, 0x1000));
    CHECK(vmcs.unpushed().has(size_t(bitmap)));
}

UNIT_TEST(vmcs12_fields_written_per_entry_are_the_shadow_vmcss_writable_ones)
{
    /* The shadow VMCS lets L1 VMWRITE these without an exit (shadow_vmcs.h):
     * what a hypervisor writes after an exit of its guest, and nothing else. */
    using nested::FieldGroup;
    using nested::field_group;
    using F = nested::VmcsEncoding;
    auto in = [](F field) {
        return field_group(FieldGroup::written_per_entry).has(size_t(nested::field_slot(uint64_t(field))));
    };
    for (F field : {F::guest_rip, F::guest_rsp, F::guest_rflags, F::entry_interruption_information,
                    F::preemption_timer_value, F::primary_processor_controls, F::guest_interruptibility_state})
        CHECK(in(field));
    for (F field : {F::host_rip, F::guest_cs_selector, F::exit_reason, F::tsc_offset, F::guest_sysenter_cs,
                    F::ept_pointer})
        CHECK(!in(field));
    size_t count = 0;
    for (size_t slot = 0; slot < nested::supported_field_count(); ++slot)
        count += field_group(FieldGroup::written_per_entry).has(slot);
    CHECK(count == 16);
}

UNIT_TEST(vmcs12_get_and_set_by_constant_encoding_match_read_and_write)
{
    /* Vmcs12::get()/set() look the slot up at compile time (vmcs12_fields.h):
     * the same slot, width and "no such field" as VMREAD/VMWRITE's lookup. */
    nested::Vmcs12 vmcs12;
    vmcs12.set(nested::VmcsEncoding::guest_cs_selector, 0x12345);
    uint64_t value = 0;
    CHECK(vmcs12.read(GUEST_CS_SELECTOR, value) == nested::FieldStatus::ok);
    CHECK(value == 0x2345);
    CHECK(vmcs12.write(GUEST_RIP, 0xFFFF800000001000, false) == nested::FieldStatus::ok);
    CHECK(vmcs12.get(nested::VmcsEncoding::guest_rip) == 0xFFFF800000001000);
    vmcs12.set(nested::VmcsEncoding::posted_interrupt_descriptor_address, 5); /* not offered: no field */
    CHECK(vmcs12.get(nested::VmcsEncoding::posted_interrupt_descriptor_address) == 0);
}
