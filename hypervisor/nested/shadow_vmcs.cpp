/* VMCS shadowing for L1 (shadow_vmcs.h). Intel SDM (revision 084), Vol. 3C,
 * "VMCS Shadowing", "VMREAD Bitmap Address", "VMWRITE Bitmap Address", and the
 * checks on the VMCS link pointer in "Checks on Guest Non-Register State". */
#include "hypervisor/nested/shadow_vmcs.h"

#include "hypervisor/nested/l2_context.h"
#include "hypervisor/nested/nested_option.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vmx/vmcs.h"
#include "hypervisor/vmx/vmx_instructions.h"
#include "hypervisor/vmx/vmx_support.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"

namespace nested {

namespace {

using vmx::VmcsField;
using vmx::vmcs_read;
using vmx::vmcs_write;

constexpr uint32_t SHADOW_VMCS_INDICATOR = 1u << 31;
constexpr uint32_t SHADOWING = uint32_t(vmx::SecondaryProcessorControl::vmcs_shadowing);
constexpr uint64_t BITMAP_BYTES = 4096;

/* Lets VMREAD (and VMWRITE) of an encoding through: bit n of a bitmap is
 * encoding bits 14:0 = n ("VMREAD Bitmap Address"). */
void allow(uint64_t bitmap, uint32_t encoding)
{
    phys_to_virt<uint8_t>(bitmap)[(encoding & 0x7FFF) / 8] &= uint8_t(~(1u << (encoding % 8)));
}

uint64_t take_page()
{
    MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
    return page.ok() ? page.value() : 0;
}

/* The pages, the shadow's revision, and which fields this CPU's shadow VMCS can
 * hold (a VMWRITE into it that fails marks a field the host lacks: it stays with
 * the emulation). Runs with VMCS01 current and leaves it so. */
bool prepare(NestedState& state)
{
    if (state.shadow_vmcs)
        return true;
    uint64_t pages[3] = {take_page(), take_page(), take_page()};
    if (!pages[0] || !pages[1] || !pages[2]) {
        for (uint64_t page : pages)
            if (page)
                PageManager::instance().free_page(page);
        state.shadow_unavailable = true;
        return false;
    }
    state.shadow_vmcs = pages[0];
    state.vmread_bitmap = pages[1];
    state.vmwrite_bitmap = pages[2];
    *phys_to_virt<uint32_t>(state.shadow_vmcs) = read_vmx_basic().revision_id() | SHADOW_VMCS_INDICATOR;
    memset(phys_to_virt<uint8_t>(state.vmread_bitmap), 0xFF, BITMAP_BYTES);
    memset(phys_to_virt<uint8_t>(state.vmwrite_bitmap), 0xFF, BITMAP_BYTES);
    uint64_t vmcs01 = vmx::vmptrst();
    KERNEL_ASSERT(vmx::vmclear(state.shadow_vmcs) == VmxStatus::succeeded);
    KERNEL_ASSERT(vmx::vmptrld(state.shadow_vmcs) == VmxStatus::succeeded);
    /* Two passes: the writable fields first in the slot list, so that pull()
     * copies only them. Writable are only the fields a hypervisor writes for
     * most entries (FieldGroup::written_per_entry): the pull reads back every
     * writable field at each emulated VMX instruction, since no record says
     * which of them L1 wrote, and with all ~100 writable it was a third of an
     * emulated VMRESUME. L1's VMWRITE of another field exits to the emulation,
     * which writes the cache (and the push the shadow): L1 sees the same. */
    const FieldSet& per_entry = field_group(FieldGroup::written_per_entry);
    uint16_t count = 0;
    for (bool writable : {true, false}) {
        for (size_t slot = 0; slot < supported_field_count(); ++slot) {
            VmcsEncoding field = supported_field(slot);
            if (per_entry.has(slot) != writable)
                continue;
            if (vmx::vmwrite(uint64_t(field), 0) != VmxStatus::succeeded)
                continue;
            state.shadow_encodings[count] = uint32_t(field);
            state.shadow_slots[count++] = uint8_t(slot);
            state.shadow_held.add(slot);
            bool wide = vmx::vmcs_field_width(field) == vmx::VmcsFieldWidth::bits64;
            allow(state.vmread_bitmap, uint32_t(field));
            if (wide)
                allow(state.vmread_bitmap, uint32_t(field) + 1);
            if (writable) {
                state.shadow_writable.add(slot);
                allow(state.vmwrite_bitmap, uint32_t(field));
                if (wide)
                    allow(state.vmwrite_bitmap, uint32_t(field) + 1);
            }
        }
        if (writable)
            state.shadow_writable_count = count;
    }
    state.shadow_slot_count = count;
    KERNEL_ASSERT(vmx::vmclear(state.shadow_vmcs) == VmxStatus::succeeded);
    KERNEL_ASSERT(vmx::vmptrld(vmcs01) == VmxStatus::succeeded);
    /* The new shadow holds zeros: the first push copies every field. */
    state.vmcs12.push_all();
    return true;
}

/* Copies between the shadow and the cache: `to_shadow` the fields it holds whose
 * value changed since the last copy (Vmcs12::unpushed(): the shadow holds the
 * others' values already; after an exit that is the exit information and what
 * L2 changed, some 20 of the ~150 fields), or back every field L1 can VMWRITE
 * there (16, FieldGroup::written_per_entry; any other field in the shadow is
 * the cache's value of the last push: its VMWRITE bit stays set, so L1's
 * VMWRITE of it exits to the emulation, which writes the cache); after that
 * the writable fields are the same in both.
 * VMCS01 is current before and after; the shadow is VMCLEARed after use, so the
 * CPU's cached copy of it is in memory when VMCS01's link pointer names it. */
void copy(NestedState& state, bool to_shadow)
{
    uint64_t vmcs01 = vmx::vmptrst();
    KERNEL_ASSERT(vmx::vmptrld(state.shadow_vmcs) == VmxStatus::succeeded);
    if (to_shadow) {
        FieldSet fields = state.vmcs12.unpushed() & state.shadow_held;
        for (size_t word = 0; word < 4; ++word) {
            for (uint64_t bits = fields.words[word]; bits; bits &= bits - 1) {
                size_t slot = word * 64 + size_t(__builtin_ctzll(bits));
                KERNEL_ASSERT(vmx::vmwrite(uint64_t(supported_field(slot)), state.vmcs12.get_slot(slot)) ==
                              VmxStatus::succeeded);
            }
        }
        state.vmcs12.pushed();
    } else {
        /* VMREAD of a field gives no more bits than the field has. */
        for (size_t i = 0; i < state.shadow_writable_count; ++i)
            state.vmcs12.set_slot_within_width(state.shadow_slots[i],
                                               read_field(VmcsEncoding(state.shadow_encodings[i])));
        state.vmcs12.in_step(state.shadow_writable);
    }
    KERNEL_ASSERT(vmx::vmclear(state.shadow_vmcs) == VmxStatus::succeeded);
    KERNEL_ASSERT(vmx::vmptrld(vmcs01) == VmxStatus::succeeded);
}

void link(NestedState& state, bool on)
{
    uint32_t secondary = vmcs_read(VmcsField::secondary_processor_controls);
    if (on) {
        vmcs_write(VmcsField::vmread_bitmap_address, state.vmread_bitmap);
        vmcs_write(VmcsField::vmwrite_bitmap_address, state.vmwrite_bitmap);
        vmcs_write(VmcsField::vmcs_link_pointer, state.shadow_vmcs);
        vmcs_write(VmcsField::secondary_processor_controls, secondary | SHADOWING);
    } else {
        vmcs_write(VmcsField::secondary_processor_controls, secondary & ~SHADOWING);
        vmcs_write(VmcsField::vmcs_link_pointer, ~0ull);
    }
    state.shadow_linked = on;
}

} // namespace

bool shadowing_available()
{
    uint32_t may_be_one = uint32_t(host_vmx_capabilities().secondary_processor >> 32);
    return shadowing_wanted() && (may_be_one & SHADOWING);
}

void pull(vmx::VmxVcpu& vcpu, NestedState& state)
{
    if (!state.shadow_linked || !state.has_current_vmcs12())
        return;
    copy(state, false);
    state.vmcs12_dirty = true;
    ++vcpu.vm().statistics().nested.shadow_syncs;
}

void push(vmx::VmxVcpu& vcpu, NestedState& state)
{
    bool wanted = state.has_current_vmcs12() && !state.in_l2 && !state.shadow_unavailable && shadowing_available();
    if (!wanted) {
        if (state.shadow_linked)
            link(state, false);
        return;
    }
    if (!prepare(state))
        return;
    copy(state, true);
    ++vcpu.vm().statistics().nested.shadow_syncs;
    if (!state.shadow_linked)
        link(state, true);
}

void release_shadow(NestedState& state)
{
    for (uint64_t* page : {&state.shadow_vmcs, &state.vmread_bitmap, &state.vmwrite_bitmap}) {
        if (*page)
            PageManager::instance().free_page(*page);
        *page = 0;
    }
    state.shadow_linked = false;
}

} // namespace nested
