/* The software VMCS12: the VMCS that L1 (our guest, itself a hypervisor) keeps for
 * its own guest L2, in L1's memory, in a layout of our own, and the per-vCPU cache
 * of the current one. Intel SDM (revision 084), Vol. 3C, chapter "Virtual Machine
 * Control Structures": "Format of the VMCS Region" (revision identifier, abort
 * indicator, implementation-specific data), "VMCS Data", "Software Use of the VMCS
 * and Related Structures" (launch state, current VMCS); Vol. 3D, Appendix B "Field
 * Encoding in VMCS" (the field-width and access-type rules). No VMX instruction
 * here: pure logic over a GuestPhysicalMemory, unit-tested on the build machine
 * (tests/unit/vmcs12_test.cpp). docs/nested.md describes the layout. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"
#include "hypervisor/nested/vmcs12_fields.h"
#include "hypervisor/vmx/vmx_constants.h"

#include <initializer_list>
#include <stddef.h>
#include <stdint.h>

namespace nested {

using vmx::VmcsEncoding;

/* Our VMCS revision identifier (IA32_VMX_BASIC bits 30:0): the value L1 must
 * write into the first 4 bytes of a VMXON or VMCS region. Bit 31 is the
 * shadow-VMCS indicator and must stay 0 (VMCS shadowing is not offered to L1). */
constexpr uint32_t VMCS12_REVISION_ID = 0x4D580001;
/* The region size IA32_VMX_BASIC reports (bits 44:32): one page, as hardware. */
constexpr uint64_t VMCS12_REGION_SIZE = 4096;
/* No current VMCS (the SDM's FFFFFFFF_FFFFFFFFH current-VMCS pointer). */
constexpr uint64_t NO_CURRENT_VMCS = ~0ull;

/* Where things lie in a VMCS12 region (in L1's memory), our own layout behind
 * the SDM's first two words ("Format of the VMCS Region"):
 *   0   revision identifier (bits 30:0) and shadow-VMCS indicator (bit 31)
 *   4   VMX-abort indicator
 *   8   launch state: LAUNCH_STATE_LAUNCHED or anything else for "clear"
 *   16  field values: 8 bytes per supported field, in the order of
 *       supported_field(0 .. SUPPORTED_FIELD_COUNT-1), little-endian, the
 *       value as VMREAD of its full encoding in 64-bit mode would give it. */
constexpr uint64_t VMCS12_REVISION_OFFSET = 0;
constexpr uint64_t VMCS12_ABORT_OFFSET = 4;
constexpr uint64_t VMCS12_LAUNCH_STATE_OFFSET = 8;
constexpr uint64_t VMCS12_FIELDS_OFFSET = 16;
constexpr uint32_t LAUNCH_STATE_LAUNCHED = 0x4C41554E; /* "NUAL" read backwards: "LAUN" */

/* How a VMREAD/VMWRITE of one encoding ends (the SDM's VM-instruction errors
 * 12 and 13; "VMREAD", "VMWRITE" in chapter "VMX Instruction Reference"). */
enum class FieldStatus : uint8_t { ok, unsupported_component, read_only_component };

/* The VMCS fields a VMCS12 holds: those of a Skylake-class CPU for the features
 * offered to L1 (docs/nested.md). Others read and write as "unsupported VMCS
 * component" (error 12), as on a CPU without them. */
size_t supported_field_count();
VmcsEncoding supported_field(size_t index);
/* The slot of an encoding as VMREAD/VMWRITE name it (bit 0 = the "high" half of
 * a 64-bit field), or -1 for an encoding no field has. */
int field_slot(uint64_t encoding);
/* The highest index (bits 9:1 of an encoding) any supported field uses: what
 * IA32_VMX_VMCS_ENUM bits 9:1 report. */
unsigned highest_field_index();

/* A set of VMCS12 fields, one bit per slot (the index of supported_field()). */
struct FieldSet {
    uint64_t words[4] = {};

    static constexpr FieldSet all() { return {{~0ull, ~0ull, ~0ull, ~0ull}}; }
    constexpr void add(size_t slot) { words[slot / 64] |= 1ull << (slot % 64); }
    constexpr bool has(size_t slot) const { return words[slot / 64] & (1ull << (slot % 64)); }
    constexpr bool intersects(const FieldSet& other) const
    {
        return (words[0] & other.words[0]) | (words[1] & other.words[1]) | (words[2] & other.words[2]) |
               (words[3] & other.words[3]);
    }
    constexpr FieldSet operator&(const FieldSet& other) const
    {
        return {{words[0] & other.words[0], words[1] & other.words[1], words[2] & other.words[2],
                 words[3] & other.words[3]}};
    }
    constexpr FieldSet operator|(const FieldSet& other) const
    {
        return {{words[0] | other.words[0], words[1] | other.words[1], words[2] | other.words[2],
                 words[3] | other.words[3]}};
    }
    constexpr FieldSet without(const FieldSet& other) const
    {
        return {{words[0] & ~other.words[0], words[1] & ~other.words[1], words[2] & ~other.words[2],
                 words[3] & ~other.words[3]}};
    }
    constexpr bool empty() const { return !(words[0] | words[1] | words[2] | words[3]); }
};

/* The set of these fields (each one VMCS12 holds). */
FieldSet fields_of(std::initializer_list<vmx::VmcsEncoding> fields);

/* The groups of fields VM entry to L2 looks at (l2_entry.cpp): which checks of
 * entry_checks.h must run again and which VMCS02 fields must be written again
 * when a field of the group changed. By the encoding's type ("Structure of VMCS
 * Component Encoding"), with event injection apart from the other controls
 * (L1 sets it for one entry; the exit clears its valid bit) and the guest's
 * segment registers apart from the rest of the guest state (their checks are
 * the longest, and an exit rarely changes them). */
enum class FieldGroup : uint8_t {
    controls,        /* VM-execution, VM-exit and VM-entry controls, but event injection */
    event_injection, /* VM-entry interruption information, exception error code, instruction length */
    host_state,
    guest_state,     /* every guest-state field, the segment registers included */
    guest_segments,  /* selector, base, limit and access rights of ES ... GS, LDTR and TR */
    exit_information, /* the read-only fields */
    /* The fields a hypervisor writes after most exits of its guest, for the next
     * entry: guest RIP, RSP, RFLAGS, CR0/CR3/CR4 and their read shadows, the
     * interruptibility and activity state, event injection, the preemption
     * timer, the primary controls (interrupt and NMI windows) and the exception
     * bitmap. The shadow VMCS takes L1's VMWRITEs of these without an exit
     * (shadow_vmcs.h); a VMWRITE of any other field exits. */
    written_per_entry,
};
const FieldSet& field_group(FieldGroup group);

/* The values of one VMCS12, in host memory: the cache of the current VMCS12
 * (loaded on VMPTRLD, written back on VMCLEAR, on VMPTRLD of another and on
 * VMXOFF), or a copy for a unit test. */
class Vmcs12 {
public:
    /* VMREAD's view of a field (the access-type and width rules of "Structure
     * of VMCS Component Encoding"): a 16- or 32-bit field zero-extended, a
     * 64-bit or natural-width field whole, the high half of a 64-bit field
     * (encoding + 1) as bits 63:32 shifted down. Errors: unsupported component
     * (no such field here; a high access to a field that is not 64 bits wide;
     * bits 63:15 or bit 12 of the encoding set). The caller keeps the low
     * operand-size bits. */
    [[nodiscard]] FieldStatus read(uint64_t encoding, uint64_t& value) const;
    /* VMWRITE: the value truncated to the field's width (a high access writes
     * bits 63:32 only). A read-only (exit-information) field refuses with
     * read_only_component unless `writable_read_only` (IA32_VMX_MISC bit 29
     * offered to L1). */
    [[nodiscard]] FieldStatus write(uint64_t encoding, uint64_t value, bool writable_read_only);

    /* The host's own access for nested2 (VMCS02 from VMCS12, exit information
     * into VMCS12): no read-only rule, the width still applies. An encoding
     * outside the supported set reads 0 and is not written. */
    uint64_t get(VmcsEncoding field) const
    {
        int slot = vmcs12_fields::slot_of(field);
        return slot < 0 ? 0 : values_[slot];
    }
    void set(VmcsEncoding field, uint64_t value)
    {
        int slot = vmcs12_fields::slot_of(field);
        if (slot >= 0)
            store_value(size_t(slot), value & vmcs12_fields::width_mask(field));
    }
    /* The same by slot (below supported_field_count(), the index of
     * supported_field()), without the encoding lookup: for the shadow VMCS copy,
     * which walks every field twice per L2 round trip. */
    uint64_t get_slot(size_t slot) const { return values_[slot]; }
    void set_slot(size_t slot, uint64_t value);
    /* set_slot() of a value already within the field's width (a VMREAD of the
     * same field in a hardware VMCS gives no more bits): the reflection of an
     * exit copies 51 fields so, without the width lookup for each. */
    void set_slot_within_width(size_t slot, uint64_t value) { store_value(slot, value); }

    /* The fields whose value changed since forget_changes(): every field after
     * load() and in a new cache, then those write(), set() and set_slot() gave
     * another value (the same value again is no change). VM entry to L2 keeps
     * VMCS02 and the outcome of its checks for the fields not in here. */
    const FieldSet& changes() const { return changed_; }
    void forget_changes() { changed_ = FieldSet{}; }

    /* The same record for the shadow VMCS (shadow_vmcs.cpp), kept apart: the
     * fields whose value changed since the shadow last got them all (every
     * field after load() and in a new cache). A push copies only these; a
     * pull brings the writable fields in step (in_step()); a new shadow VMCS
     * needs all of them again (push_all()). */
    const FieldSet& unpushed() const { return unpushed_; }
    void pushed() { unpushed_ = FieldSet{}; }
    void in_step(const FieldSet& fields) { unpushed_ = unpushed_.without(fields); }
    void push_all() { unpushed_ = FieldSet::all(); }

    uint32_t revision() const { return revision_; }
    uint32_t abort_indicator() const { return abort_; }
    void set_abort_indicator(uint32_t value) { abort_ = value; }
    bool launched() const { return launched_; }
    void set_launched(bool launched) { launched_ = launched; }

    /* The region at `address` (4 KiB-aligned guest-physical, checked by the
     * caller) into this cache, or this cache back into it; false when the page
     * is not all guest RAM (the instruction then fails as for an invalid
     * address). */
    [[nodiscard]] bool load(guest_paging::GuestPhysicalMemory& memory, uint64_t address);
    [[nodiscard]] bool store(guest_paging::GuestPhysicalMemory& memory, uint64_t address) const;

private:
    uint32_t revision_ = 0;
    uint32_t abort_ = 0;
    bool launched_ = false;
    uint64_t values_[256] = {};
    FieldSet changed_ = FieldSet::all();
    FieldSet unpushed_ = FieldSet::all();

    void store_value(size_t slot, uint64_t value)
    {
        if (values_[slot] != value) {
            values_[slot] = value;
            changed_.add(slot);
            unpushed_.add(slot);
        }
    }
};

/* VMCLEAR of a VMCS12 that is not current: only its launch state in L1's memory
 * becomes "clear" (the SDM: "the launch state of the VMCS is set to clear";
 * the fields stay as L1 last saw them flushed). */
[[nodiscard]] bool clear_launch_state(guest_paging::GuestPhysicalMemory& memory, uint64_t address);
/* The revision identifier at the start of a region (VMXON's and VMPTRLD's check). */
[[nodiscard]] bool read_revision(guest_paging::GuestPhysicalMemory& memory, uint64_t address, uint32_t& revision);

/* The VMX state of one vCPU as L1 sees it ("VMX Operation", "Current VMCS"):
 * whether L1 is in VMX operation (after VMXON), its VMXON region, the current
 * VMCS12 pointer (NO_CURRENT_VMCS when none) and whether L2 runs. nested2 adds
 * its VMCS02 state here. */
/* Part 2's per-vCPU L2 state (VMCS02, the shadow EPT, L2's VPID), l2_entry.cpp. */
struct L2Context;

struct NestedState {
    bool vmx_operation = false;
    uint64_t vmxon_region = NO_CURRENT_VMCS;
    uint64_t current_vmcs12 = NO_CURRENT_VMCS;
    bool in_l2 = false;
    /* The cache of the current VMCS12; meaningful while current_vmcs12 is not
     * NO_CURRENT_VMCS. */
    Vmcs12 vmcs12;
    /* Fields changed since the cache was loaded: written back before another
     * VMCS12 is loaded, on VMCLEAR and on VMXOFF. */
    bool vmcs12_dirty = false;

    /* VMCS02 and the shadow EPT, made at the first VMLAUNCH (nullptr before). */
    L2Context* l2 = nullptr;

    /* VMCS shadowing (shadow_vmcs.h): the host pages of the shadow VMCS and its
     * VMREAD/VMWRITE bitmaps (0 until first needed), whether VMCS01 links it
     * now, and which supported fields (by slot) the shadow holds. */
    uint64_t shadow_vmcs = 0;
    uint64_t vmread_bitmap = 0;
    uint64_t vmwrite_bitmap = 0;
    bool shadow_linked = false;
    bool shadow_unavailable = false; /* a page could not be had: emulate every VMREAD/VMWRITE */
    /* The slots the shadow holds: the first `shadow_writable_count` L1 can
     * VMWRITE without an exit (FieldGroup::written_per_entry), the rest only
     * VMREAD. */
    uint8_t shadow_slots[256] = {};
    uint32_t shadow_encodings[256] = {}; /* supported_field() of each of shadow_slots, for the pull's loop */
    uint16_t shadow_slot_count = 0;
    uint16_t shadow_writable_count = 0;
    FieldSet shadow_held;     /* shadow_slots as a set */
    FieldSet shadow_writable; /* the first shadow_writable_count of them, as a set */

    bool has_current_vmcs12() const { return current_vmcs12 != NO_CURRENT_VMCS; }
};

} // namespace nested
