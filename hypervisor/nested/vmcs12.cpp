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
using vmcs12_fields::FIELD_COUNT;
using vmcs12_fields::slot_of;
using vmcs12_fields::SUPPORTED_FIELDS;
using vmcs12_fields::width_mask;

static_assert(VMCS12_FIELDS_OFFSET + 8 * FIELD_COUNT <= VMCS12_REGION_SIZE, "the fields fit in the region");

/* Encoding bits ("Structure of VMCS Component Encoding"): 0 access type (1 =
 * high), 9:1 index, 11:10 type, 12 reserved, 14:13 width, 31:15 reserved. */
constexpr uint64_t ACCESS_HIGH = 1;
constexpr uint64_t RESERVED_ENCODING_BITS = ~0x6FFFull;

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

/* FieldGroup::written_per_entry: KVM's list of fields it shadows for VMWRITE
 * is about the same (arch/x86/kvm/vmx/vmcs_shadow_fields.h); ours adds the
 * activity state (an L1 emulating HLT for its guest). */
constexpr bool is_written_per_entry(VmcsEncoding field)
{
    switch (field) {
    case E::guest_rip:
    case E::guest_rsp:
    case E::guest_rflags:
    case E::guest_cr0:
    case E::guest_cr3:
    case E::guest_cr4:
    case E::cr0_read_shadow:
    case E::cr4_read_shadow:
    case E::guest_interruptibility_state:
    case E::guest_activity_state:
    case E::entry_interruption_information:
    case E::entry_exception_error_code:
    case E::entry_instruction_length:
    case E::preemption_timer_value:
    case E::primary_processor_controls:
    case E::exception_bitmap: return true;
    default: return false;
    }
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
    case FieldGroup::written_per_entry: return is_written_per_entry(field);
    }
    return false;
}

constexpr size_t GROUP_COUNT = size_t(FieldGroup::written_per_entry) + 1;

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

FieldSet fields_of(std::initializer_list<E> fields)
{
    FieldSet set;
    for (E field : fields)
        set.add(size_t(field_slot(uint64_t(field))));
    return set;
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
