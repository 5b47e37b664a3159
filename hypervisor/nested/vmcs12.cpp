/* The software VMCS12 (vmcs12.h): the supported fields, the width and
 * access-type rules of VMREAD/VMWRITE, and the region in L1's memory.
 * Intel SDM (revision 084), Vol. 3D, Appendix B "Field Encoding in VMCS"
 * ("Structure of VMCS Component Encoding"); Vol. 3C "VMREAD", "VMWRITE" in
 * chapter "VMX Instruction Reference"; "Format of the VMCS Region". */
#include "hypervisor/nested/vmcs12.h"

namespace nested {

namespace {

using E = VmcsEncoding;
using vmx::VmcsFieldKind;
using vmx::VmcsFieldWidth;
using vmx::vmcs_field_kind;
using vmx::vmcs_field_width;

/* The fields of a Skylake-class CPU for what L1 is offered (docs/nested.md,
 * "Fields"): no posted interrupts, APIC virtualization, VM functions, PML,
 * VMCS shadowing, XSAVES, TSC scaling, PLE or CET fields. The order is the
 * layout of the region (vmcs12.h): append only, never reorder. */
constexpr VmcsEncoding SUPPORTED_FIELDS[] = {
    /* 16-Bit Control Fields */
    E::vpid,
    /* 16-Bit Guest-State Fields */
    E::guest_es_selector, E::guest_cs_selector, E::guest_ss_selector, E::guest_ds_selector,
    E::guest_fs_selector, E::guest_gs_selector, E::guest_ldtr_selector, E::guest_tr_selector,
    /* 16-Bit Host-State Fields */
    E::host_es_selector, E::host_cs_selector, E::host_ss_selector, E::host_ds_selector,
    E::host_fs_selector, E::host_gs_selector, E::host_tr_selector,
    /* 64-Bit Control Fields */
    E::io_bitmap_a, E::io_bitmap_b, E::msr_bitmap, E::exit_msr_store_address, E::exit_msr_load_address,
    E::entry_msr_load_address, E::executive_vmcs_pointer, E::tsc_offset, E::ept_pointer,
    /* 64-Bit Read-Only Data Field */
    E::guest_physical_address,
    /* 64-Bit Guest-State Fields */
    E::vmcs_link_pointer, E::guest_debugctl, E::guest_pat, E::guest_efer, E::guest_perf_global_ctrl,
    E::guest_pdpte0, E::guest_pdpte1, E::guest_pdpte2, E::guest_pdpte3,
    /* 64-Bit Host-State Fields */
    E::host_pat, E::host_efer, E::host_perf_global_ctrl,
    /* 32-Bit Control Fields */
    E::pin_based_controls, E::primary_processor_controls, E::exception_bitmap, E::page_fault_error_code_mask,
    E::page_fault_error_code_match, E::cr3_target_count, E::exit_controls, E::exit_msr_store_count,
    E::exit_msr_load_count, E::entry_controls, E::entry_msr_load_count, E::entry_interruption_information,
    E::entry_exception_error_code, E::entry_instruction_length, E::secondary_processor_controls,
    /* 32-Bit Read-Only Data Fields */
    E::vm_instruction_error, E::exit_reason, E::exit_interruption_information, E::exit_interruption_error_code,
    E::idt_vectoring_information, E::idt_vectoring_error_code, E::exit_instruction_length,
    E::exit_instruction_information,
    /* 32-Bit Guest-State Fields */
    E::guest_es_limit, E::guest_cs_limit, E::guest_ss_limit, E::guest_ds_limit, E::guest_fs_limit,
    E::guest_gs_limit, E::guest_ldtr_limit, E::guest_tr_limit, E::guest_gdtr_limit, E::guest_idtr_limit,
    E::guest_es_access_rights, E::guest_cs_access_rights, E::guest_ss_access_rights, E::guest_ds_access_rights,
    E::guest_fs_access_rights, E::guest_gs_access_rights, E::guest_ldtr_access_rights, E::guest_tr_access_rights,
    E::guest_interruptibility_state, E::guest_activity_state, E::guest_smbase, E::guest_sysenter_cs,
    E::preemption_timer_value,
    /* 32-Bit Host-State Field */
    E::host_sysenter_cs,
    /* Natural-Width Control Fields */
    E::cr0_guest_host_mask, E::cr4_guest_host_mask, E::cr0_read_shadow, E::cr4_read_shadow,
    E::cr3_target_value_0, E::cr3_target_value_1, E::cr3_target_value_2, E::cr3_target_value_3,
    /* Natural-Width Read-Only Data Fields */
    E::exit_qualification, E::io_rcx, E::io_rsi, E::io_rdi, E::io_rip, E::guest_linear_address,
    /* Natural-Width Guest-State Fields */
    E::guest_cr0, E::guest_cr3, E::guest_cr4, E::guest_es_base, E::guest_cs_base, E::guest_ss_base,
    E::guest_ds_base, E::guest_fs_base, E::guest_gs_base, E::guest_ldtr_base, E::guest_tr_base,
    E::guest_gdtr_base, E::guest_idtr_base, E::guest_dr7, E::guest_rsp, E::guest_rip, E::guest_rflags,
    E::guest_pending_debug_exceptions, E::guest_sysenter_esp, E::guest_sysenter_eip,
    /* Natural-Width Host-State Fields */
    E::host_cr0, E::host_cr3, E::host_cr4, E::host_fs_base, E::host_gs_base, E::host_tr_base,
    E::host_gdtr_base, E::host_idtr_base, E::host_sysenter_esp, E::host_sysenter_eip, E::host_rsp, E::host_rip,
};
constexpr size_t FIELD_COUNT = sizeof(SUPPORTED_FIELDS) / sizeof(SUPPORTED_FIELDS[0]);
static_assert(FIELD_COUNT <= 256, "Vmcs12::values_ holds 256 fields");
static_assert(VMCS12_FIELDS_OFFSET + 8 * FIELD_COUNT <= VMCS12_REGION_SIZE, "the fields fit in the region");

/* Encoding bits ("Structure of VMCS Component Encoding"): 0 access type (1 =
 * high), 9:1 index, 11:10 type, 12 reserved, 14:13 width, 31:15 reserved. */
constexpr uint64_t ACCESS_HIGH = 1;
constexpr uint64_t RESERVED_ENCODING_BITS = ~0x6FFFull;

/* Bits the field holds: a 16-bit field 16, a 32-bit one 32, others 64. */
uint64_t width_mask(VmcsEncoding field)
{
    switch (vmcs_field_width(field)) {
    case VmcsFieldWidth::bits16: return 0xFFFF;
    case VmcsFieldWidth::bits32: return 0xFFFFFFFF;
    case VmcsFieldWidth::bits64:
    case VmcsFieldWidth::natural: break;
    }
    return ~0ull;
}

/* A full encoding's bits 14:13 (width), 11:10 (type) and 9:1 (index) as one
 * 13-bit key: every supported field has its own (bits 12 and 0 are 0). */
constexpr uint32_t slot_key(uint32_t encoding)
{
    return ((encoding >> 13) & 3) << 11 | ((encoding >> 10) & 3) << 9 | ((encoding >> 1) & 0x1FF);
}

/* Slot + 1 per key, 0 for none: a VMREAD, a VMWRITE and every field VMCS02 and
 * the shadow VMCS copy look their slot up here. A search of the list cost ~100k
 * instructions per shadow sync, which made each emulated VMX instruction of L1
 * take milliseconds in Bochs (longer than L1's timer tick). */
constexpr auto SLOT_TABLE = [] {
    struct Table {
        uint8_t slot_plus_one[1u << 13] = {};
    } table;
    for (size_t i = 0; i < FIELD_COUNT; ++i)
        table.slot_plus_one[slot_key(uint32_t(SUPPORTED_FIELDS[i]))] = uint8_t(i + 1);
    return table;
}();

static_assert(FIELD_COUNT < 255, "a slot + 1 fits a byte");
static_assert([] {
    for (size_t i = 0; i < FIELD_COUNT; ++i)
        if (SLOT_TABLE.slot_plus_one[slot_key(uint32_t(SUPPORTED_FIELDS[i]))] != i + 1)
            return false;
    return true;
}(), "no two supported fields share a key");

int slot_of(VmcsEncoding field)
{
    auto encoding = uint32_t(field);
    if (encoding & ~0x6FFEu)
        return -1;
    int slot = int(SLOT_TABLE.slot_plus_one[slot_key(encoding)]) - 1;
    /* Two encodings that differ only in bit 12 or 0 share a key. */
    return slot >= 0 && SUPPORTED_FIELDS[slot] == field ? slot : -1;
}

constexpr bool is_event_injection(VmcsEncoding field)
{
    return field == E::entry_interruption_information || field == E::entry_exception_error_code ||
           field == E::entry_instruction_length;
}

/* The guest-state fields of the segment registers: encodings 0x0800-0x080E
 * (selectors), 0x4800-0x480E (limits), 0x4814-0x4822 (access rights) and
 * 0x6806-0x6814 (bases), ES, CS, SS, DS, FS, GS, LDTR, TR in that order. */
constexpr bool is_guest_segment(VmcsEncoding field)
{
    auto encoding = uint32_t(field);
    return (encoding >= 0x0800 && encoding <= 0x080E) || (encoding >= 0x4800 && encoding <= 0x480E) ||
           (encoding >= 0x4814 && encoding <= 0x4822) || (encoding >= 0x6806 && encoding <= 0x6814);
}

constexpr bool in_group(VmcsEncoding field, FieldGroup group)
{
    VmcsFieldKind kind = vmcs_field_kind(field);
    switch (group) {
    case FieldGroup::controls: return kind == VmcsFieldKind::control && !is_event_injection(field);
    case FieldGroup::event_injection: return is_event_injection(field);
    case FieldGroup::host_state: return kind == VmcsFieldKind::host;
    case FieldGroup::guest_state: return kind == VmcsFieldKind::guest;
    case FieldGroup::guest_segments: return kind == VmcsFieldKind::guest && is_guest_segment(field);
    case FieldGroup::exit_information: return kind == VmcsFieldKind::read_only;
    }
    return false;
}

constexpr size_t GROUP_COUNT = size_t(FieldGroup::exit_information) + 1;

constexpr auto GROUPS = [] {
    struct Groups {
        FieldSet sets[GROUP_COUNT];
    } groups;
    for (size_t group = 0; group < GROUP_COUNT; ++group)
        for (size_t slot = 0; slot < FIELD_COUNT; ++slot)
            if (in_group(SUPPORTED_FIELDS[slot], FieldGroup(group)))
                groups.sets[group].add(slot);
    return groups;
}();

static_assert(
    [] {
        size_t segments = 0;
        for (VmcsEncoding field : SUPPORTED_FIELDS)
            segments += is_guest_segment(field) && vmcs_field_kind(field) == VmcsFieldKind::guest;
        return segments == 32;
    }(),
    "four fields for each of the eight segment registers");

} // namespace

const FieldSet& field_group(FieldGroup group) { return GROUPS.sets[size_t(group)]; }

size_t supported_field_count() { return FIELD_COUNT; }

VmcsEncoding supported_field(size_t index) { return SUPPORTED_FIELDS[index]; }

int field_slot(uint64_t encoding)
{
    if (encoding & RESERVED_ENCODING_BITS)
        return -1;
    auto full = VmcsEncoding(uint32_t(encoding & ~ACCESS_HIGH));
    /* Only a 64-bit field has a high half. */
    if ((encoding & ACCESS_HIGH) && vmcs_field_width(full) != VmcsFieldWidth::bits64)
        return -1;
    return slot_of(full);
}

unsigned highest_field_index()
{
    unsigned highest = 0;
    for (VmcsEncoding field : SUPPORTED_FIELDS) {
        unsigned index = (uint32_t(field) >> 1) & 0x1FF;
        if (index > highest)
            highest = index;
    }
    return highest;
}

FieldStatus Vmcs12::read(uint64_t encoding, uint64_t& value) const
{
    int slot = field_slot(encoding);
    if (slot < 0)
        return FieldStatus::unsupported_component;
    value = values_[slot];
    if (encoding & ACCESS_HIGH)
        value >>= 32;
    return FieldStatus::ok;
}

FieldStatus Vmcs12::write(uint64_t encoding, uint64_t value, bool writable_read_only)
{
    int slot = field_slot(encoding);
    if (slot < 0)
        return FieldStatus::unsupported_component;
    VmcsEncoding field = SUPPORTED_FIELDS[slot];
    if (vmcs_field_kind(field) == VmcsFieldKind::read_only && !writable_read_only)
        return FieldStatus::read_only_component;
    if (encoding & ACCESS_HIGH)
        store_value(size_t(slot), (values_[slot] & 0xFFFFFFFFull) | (value << 32));
    else
        store_value(size_t(slot), value & width_mask(field));
    return FieldStatus::ok;
}

uint64_t Vmcs12::get(VmcsEncoding field) const
{
    int slot = slot_of(field);
    return slot < 0 ? 0 : values_[slot];
}

void Vmcs12::set(VmcsEncoding field, uint64_t value)
{
    int slot = slot_of(field);
    if (slot >= 0)
        store_value(size_t(slot), value & width_mask(field));
}

void Vmcs12::set_slot(size_t slot, uint64_t value) { store_value(slot, value & width_mask(SUPPORTED_FIELDS[slot])); }

bool Vmcs12::load(guest_paging::GuestPhysicalMemory& memory, uint64_t address)
{
    uint32_t header[3];
    if (!memory.read(address, header, sizeof(header)) ||
        !memory.read(address + VMCS12_FIELDS_OFFSET, values_, 8 * FIELD_COUNT))
        return false;
    revision_ = header[0];
    abort_ = header[1];
    launched_ = header[2] == LAUNCH_STATE_LAUNCHED;
    /* L1 may have written anything into the page: each value is cut to its
     * field's width, so that the cache keeps the invariant write() keeps. */
    for (size_t i = 0; i < FIELD_COUNT; ++i)
        values_[i] &= width_mask(SUPPORTED_FIELDS[i]);
    changed_ = FieldSet::all();
    unpushed_ = FieldSet::all();
    return true;
}

bool Vmcs12::store(guest_paging::GuestPhysicalMemory& memory, uint64_t address) const
{
    uint32_t header[3] = {revision_, abort_, launched_ ? LAUNCH_STATE_LAUNCHED : 0};
    return memory.write(address, header, sizeof(header)) &&
           memory.write(address + VMCS12_FIELDS_OFFSET, values_, 8 * FIELD_COUNT);
}

bool clear_launch_state(guest_paging::GuestPhysicalMemory& memory, uint64_t address)
{
    uint32_t clear = 0;
    return memory.write(address + VMCS12_LAUNCH_STATE_OFFSET, &clear, sizeof(clear));
}

bool read_revision(guest_paging::GuestPhysicalMemory& memory, uint64_t address, uint32_t& revision)
{
    return memory.read(address, &revision, sizeof(revision));
}

} // namespace nested
