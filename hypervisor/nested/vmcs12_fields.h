/* The fields a VMCS12 holds and where (vmcs12.h): the list of supported fields
 * (the layout of the region in L1's memory), the slot of each encoding, the
 * width of each field. Constexpr and in a header so that Vmcs12::get() and
 * set() of an encoding known at compile time compile to one array access:
 * the entry checks, VMCS02's composition and the reflection of an exit read
 * some 150 fields by encoding per L2 round trip, which a lookup at run time
 * made ~15 instructions each. Intel SDM (revision 084), Vol. 3D, Appendix B
 * "Field Encoding in VMCS" ("Structure of VMCS Component Encoding"). */
#pragma once
#include "hypervisor/vmx/vmx_constants.h"

#include <stddef.h>
#include <stdint.h>

namespace nested::vmcs12_fields {

using vmx::VmcsEncoding;
using vmx::VmcsFieldWidth;
using vmx::vmcs_field_width;
using E = VmcsEncoding;

/* The fields of a Skylake-class CPU for what L1 is offered (docs/nested.md,
 * "Fields"): no posted interrupts, APIC virtualization, VM functions, PML,
 * VMCS shadowing, XSAVES, TSC scaling, PLE or CET fields. The order is the
 * layout of the region (vmcs12.h): append only, never reorder. */
inline constexpr VmcsEncoding SUPPORTED_FIELDS[] = {
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

/* Bits the field holds: a 16-bit field 16, a 32-bit one 32, others 64. */
constexpr uint64_t width_mask(VmcsEncoding field)
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
struct SlotTable {
    uint8_t slot_plus_one[1u << 13] = {};
};
constexpr SlotTable make_slot_table()
{
    SlotTable table;
    for (size_t i = 0; i < FIELD_COUNT; ++i)
        table.slot_plus_one[slot_key(uint32_t(SUPPORTED_FIELDS[i]))] = uint8_t(i + 1);
    return table;
}
inline constexpr SlotTable SLOT_TABLE = make_slot_table();

static_assert(FIELD_COUNT < 255, "a slot + 1 fits a byte");
static_assert([] {
    for (size_t i = 0; i < FIELD_COUNT; ++i)
        if (SLOT_TABLE.slot_plus_one[slot_key(uint32_t(SUPPORTED_FIELDS[i]))] != i + 1)
            return false;
    return true;
}(), "no two supported fields share a key");

/* The slot of a full encoding (access type 0), -1 for none. With `field` known
 * at compile time the compiler folds it to a constant. */
constexpr int slot_of(VmcsEncoding field)
{
    auto encoding = uint32_t(field);
    if (encoding & ~0x6FFEu)
        return -1;
    int slot = int(SLOT_TABLE.slot_plus_one[slot_key(encoding)]) - 1;
    /* Two encodings that differ only in bit 12 or 0 share a key. */
    return slot >= 0 && SUPPORTED_FIELDS[slot] == field ? slot : -1;
}

} // namespace nested::vmcs12_fields
