/* Composing VMCS02 from L0's needs and VMCS12; see vmcs02.h. */
#include "hypervisor/nested/vmcs02.h"

#include "arch/x86_64/control_registers.h"

#include <initializer_list>

namespace nested {

using vmx::EntryControl;
using vmx::PinBasedControl;
using vmx::PrimaryProcessorControl;
using vmx::SecondaryProcessorControl;
using vmx::control_mask;
using E = vmx::VmcsEncoding;

namespace {

constexpr unsigned PAGE_FAULT = 14;

/* Primary controls L1's exits need in VMCS02 as L1 set them. */
constexpr uint32_t PRIMARY_FROM_L1 = control_mask(
    PrimaryProcessorControl::interrupt_window_exiting, PrimaryProcessorControl::tsc_offsetting,
    PrimaryProcessorControl::hlt_exiting, PrimaryProcessorControl::invlpg_exiting,
    PrimaryProcessorControl::mwait_exiting, PrimaryProcessorControl::rdpmc_exiting,
    PrimaryProcessorControl::rdtsc_exiting, PrimaryProcessorControl::cr3_load_exiting,
    PrimaryProcessorControl::cr3_store_exiting, PrimaryProcessorControl::cr8_load_exiting,
    PrimaryProcessorControl::cr8_store_exiting, PrimaryProcessorControl::nmi_window_exiting,
    PrimaryProcessorControl::mov_dr_exiting, PrimaryProcessorControl::monitor_trap_flag,
    PrimaryProcessorControl::monitor_exiting, PrimaryProcessorControl::pause_exiting);
/* Port I/O and MSRs: all of it exits (see the header). */
constexpr uint32_t PRIMARY_NEVER = control_mask(PrimaryProcessorControl::io_bitmaps,
                                                PrimaryProcessorControl::msr_bitmaps);
/* Secondary controls that are L2's own: exits L1 wants, and instructions L1
 * enables for L2 (RDTSCP and INVPCID raise #UD in L2 when L1 leaves them off). */
constexpr uint32_t SECONDARY_FROM_L1 = control_mask(
    SecondaryProcessorControl::descriptor_table_exiting, SecondaryProcessorControl::rdtscp,
    SecondaryProcessorControl::unrestricted_guest, SecondaryProcessorControl::wbinvd_exiting,
    SecondaryProcessorControl::rdrand_exiting, SecondaryProcessorControl::invpcid,
    SecondaryProcessorControl::rdseed_exiting);
/* L0 sets EPT and VPID for L2 itself; VMCS shadowing is L1's alone (VMCS01
 * links L1's shadow VMCS): L2's VMREAD and VMWRITE must exit. */
constexpr uint32_t SECONDARY_L0_DECIDES = control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::vpid,
                                                       SecondaryProcessorControl::vmcs_shadowing);

bool secondary_active(const Vmcs12& vmcs12)
{
    return vmcs12.get(E::primary_processor_controls) & uint32_t(PrimaryProcessorControl::secondary_controls);
}

/* What L2 reads from a CR: L1's shadow for the bits L1 owns, L1's idea of L2's
 * value for the rest. */
uint64_t shadow_for_l2(uint64_t shadow12, uint64_t mask12, uint64_t guest12)
{
    return (shadow12 & mask12) | (guest12 & ~mask12);
}

} // namespace

Vmcs02Controls compose_vmcs02(const Vmcs12& vmcs12, const L0Requirements& l0)
{
    Vmcs02Controls c;
    auto pin12 = uint32_t(vmcs12.get(E::pin_based_controls));
    auto primary12 = uint32_t(vmcs12.get(E::primary_processor_controls));
    uint32_t secondary12 = secondary_active(vmcs12) ? uint32_t(vmcs12.get(E::secondary_processor_controls)) : 0;
    auto entry12 = uint32_t(vmcs12.get(E::entry_controls));

    /* External interrupts, NMIs and the preemption timer stay L0's; L1's
     * virtual NMIs need the CPU's NMI blocking and window to follow L2. */
    c.pin = l0.pin | (pin12 & uint32_t(PinBasedControl::virtual_nmis));
    c.primary = (l0.primary & ~PRIMARY_NEVER & ~uint32_t(PrimaryProcessorControl::interrupt_window_exiting)) |
                (primary12 & PRIMARY_FROM_L1) | uint32_t(PrimaryProcessorControl::unconditional_io_exiting) |
                uint32_t(PrimaryProcessorControl::secondary_controls);
    c.secondary = (l0.secondary & ~SECONDARY_FROM_L1 & ~SECONDARY_L0_DECIDES) | (secondary12 & SECONDARY_FROM_L1) |
                  uint32_t(SecondaryProcessorControl::ept);
    if (l0.vpid02) {
        c.secondary |= uint32_t(SecondaryProcessorControl::vpid);
        c.vpid = l0.vpid02;
    }
    c.eptp = (secondary12 & uint32_t(SecondaryProcessorControl::ept)) ? l0.shadow_eptp : l0.l1_eptp;
    /* A VM exit from L2 lands in L0: VMCS01's exit controls. */
    c.exit = l0.exit;
    c.entry = (l0.entry & ~uint32_t(EntryControl::ia32e_mode_guest) & ~uint32_t(EntryControl::load_debug_controls)) |
              (entry12 & control_mask(EntryControl::ia32e_mode_guest, EntryControl::load_debug_controls));

    /* "VM-Entry Control Fields": without load IA32_EFER, EFER.LMA follows IA-32e
     * mode guest and LME follows LMA while paging is on; the rest is L1's. */
    bool ia32e = entry12 & uint32_t(EntryControl::ia32e_mode_guest);
    uint64_t guest_cr0_12 = vmcs12.get(E::guest_cr0);
    if (entry12 & uint32_t(EntryControl::load_efer)) {
        c.guest_efer = vmcs12.get(E::guest_efer);
    } else {
        c.guest_efer = l0.l1_efer & ~(EFER_LMA | EFER_LME);
        if (ia32e)
            c.guest_efer |= EFER_LMA | ((guest_cr0_12 & CR0_PG) ? EFER_LME : 0);
    }
    c.guest_pat = (entry12 & uint32_t(EntryControl::load_pat)) ? vmcs12.get(E::guest_pat) : l0.l1_pat;

    /* Exceptions either level intercepts exit. #PF's mask and match are L1's
     * unless L0 intercepts every #PF itself. */
    auto bitmap12 = uint32_t(vmcs12.get(E::exception_bitmap));
    c.exception_bitmap = l0.exception_bitmap | bitmap12;
    if (!(l0.exception_bitmap & (1u << PAGE_FAULT))) {
        c.page_fault_mask = uint32_t(vmcs12.get(E::page_fault_error_code_mask));
        c.page_fault_match = uint32_t(vmcs12.get(E::page_fault_error_code_match));
    }

    uint64_t cr0_mask12 = vmcs12.get(E::cr0_guest_host_mask), cr4_mask12 = vmcs12.get(E::cr4_guest_host_mask);
    uint64_t guest_cr4_12 = vmcs12.get(E::guest_cr4);
    c.cr0_mask = l0.cr0_mask | cr0_mask12;
    c.cr4_mask = l0.cr4_mask | cr4_mask12;
    c.cr0_shadow = shadow_for_l2(vmcs12.get(E::cr0_read_shadow), cr0_mask12, guest_cr0_12);
    c.cr4_shadow = shadow_for_l2(vmcs12.get(E::cr4_read_shadow), cr4_mask12, guest_cr4_12);
    c.guest_cr0 = guest_cr0_12 | l0.cr0_forced_on;
    c.guest_cr4 = guest_cr4_12 | l0.cr4_forced_on;

    /* "Time-Stamp Counter Offset": L2 reads host TSC + L1's offset + L2's. */
    c.tsc_offset = l0.tsc_offset01;
    if (primary12 & uint32_t(PrimaryProcessorControl::tsc_offsetting))
        c.tsc_offset += vmcs12.get(E::tsc_offset);
    if (c.tsc_offset)
        c.primary |= uint32_t(PrimaryProcessorControl::tsc_offsetting);

    if (primary12 & uint32_t(PrimaryProcessorControl::cr3_load_exiting)) {
        uint64_t count = vmcs12.get(E::cr3_target_count);
        c.cr3_target_count = uint32_t(count > 4 ? 4 : count);
        const E targets[] = {E::cr3_target_value_0, E::cr3_target_value_1, E::cr3_target_value_2,
                             E::cr3_target_value_3};
        for (uint32_t i = 0; i < c.cr3_target_count; ++i)
            c.cr3_targets[i] = vmcs12.get(targets[i]);
    }

    /* "Event Injection": what L1 asks to deliver to L2 on this entry. */
    c.entry_interruption_information = uint32_t(vmcs12.get(E::entry_interruption_information));
    c.entry_exception_error_code = uint32_t(vmcs12.get(E::entry_exception_error_code));
    c.entry_instruction_length = uint32_t(vmcs12.get(E::entry_instruction_length));
    return c;
}

const vmx::VmcsEncoding VMCS02_GUEST_FIELDS[] = {
    E::guest_es_selector, E::guest_cs_selector, E::guest_ss_selector, E::guest_ds_selector,
    E::guest_fs_selector, E::guest_gs_selector, E::guest_ldtr_selector, E::guest_tr_selector,
    E::guest_es_limit, E::guest_cs_limit, E::guest_ss_limit, E::guest_ds_limit, E::guest_fs_limit,
    E::guest_gs_limit, E::guest_ldtr_limit, E::guest_tr_limit, E::guest_gdtr_limit, E::guest_idtr_limit,
    E::guest_es_access_rights, E::guest_cs_access_rights, E::guest_ss_access_rights, E::guest_ds_access_rights,
    E::guest_fs_access_rights, E::guest_gs_access_rights, E::guest_ldtr_access_rights, E::guest_tr_access_rights,
    E::guest_es_base, E::guest_cs_base, E::guest_ss_base, E::guest_ds_base, E::guest_fs_base, E::guest_gs_base,
    E::guest_ldtr_base, E::guest_tr_base, E::guest_gdtr_base, E::guest_idtr_base,
    E::guest_cr3, E::guest_dr7, E::guest_rsp, E::guest_rip, E::guest_rflags,
    E::guest_sysenter_cs, E::guest_sysenter_esp, E::guest_sysenter_eip,
    E::guest_interruptibility_state, E::guest_activity_state, E::guest_pending_debug_exceptions,
    E::guest_pdpte0, E::guest_pdpte1, E::guest_pdpte2, E::guest_pdpte3,
};
const size_t VMCS02_GUEST_FIELD_COUNT = sizeof(VMCS02_GUEST_FIELDS) / sizeof(VMCS02_GUEST_FIELDS[0]);

const FieldSet& copied_guest_fields()
{
    static const FieldSet fields = [] {
        FieldSet set;
        for (size_t i = 0; i < VMCS02_GUEST_FIELD_COUNT; ++i)
            set.add(size_t(field_slot(uint64_t(VMCS02_GUEST_FIELDS[i]))));
        return set;
    }();
    return fields;
}

namespace {

/* What each group of entry checks reads besides its own group (entry_checks.h). */
struct CheckInputs {
    FieldSet host_controls;  /* the host-state checks: VM-exit and VM-entry controls */
    FieldSet guest_controls; /* the guest-state checks: VM-entry and secondary controls (active or not by the primary) */
    FieldSet registers;      /* check_guest_registers()'s guest fields */
    FieldSet pdptes;         /* check_guest_pdptes()'s */
};

const CheckInputs& check_inputs()
{
    static const CheckInputs inputs = {
        fields_of({E::exit_controls, E::entry_controls}),
        fields_of({E::entry_controls, E::primary_processor_controls, E::secondary_processor_controls}),
        fields_of({E::guest_cr0, E::guest_cr3, E::guest_cr4, E::guest_dr7, E::guest_sysenter_esp,
                   E::guest_sysenter_eip, E::guest_pat, E::guest_efer}),
        fields_of({E::guest_cr0, E::guest_cr4, E::guest_pdpte0, E::guest_pdpte1, E::guest_pdpte2, E::guest_pdpte3}),
    };
    return inputs;
}

} // namespace

EntryWork entry_work(const FieldSet& changed, bool kept)
{
    EntryWork work;
    if (!kept) {
        work.guest_fields = copied_guest_fields();
        return work;
    }
    const CheckInputs& inputs = check_inputs();
    bool controls = changed.intersects(field_group(FieldGroup::controls));
    work.check_control_fields = controls;
    work.check_host_state =
        changed.intersects(inputs.host_controls) || changed.intersects(field_group(FieldGroup::host_state));
    /* The guest-state groups read their fields, the controls that select their
     * rules (IA-32e mode guest, unrestricted guest, EPT, load PAT/EFER/debug
     * controls) and the capability MSRs, which are the VM's for its life. */
    bool guest_controls = changed.intersects(inputs.guest_controls);
    work.guest_passed.segments = !guest_controls && !changed.intersects(field_group(FieldGroup::guest_segments)) &&
                                 !changed.has(size_t(field_slot(uint64_t(E::guest_cr0))));
    work.guest_passed.registers = !guest_controls && !changed.intersects(inputs.registers);
    work.guest_passed.pdptes = !guest_controls && !changed.intersects(inputs.pdptes);
    work.write_controls = controls;
    work.guest_fields = changed & copied_guest_fields();
    return work;
}

uint64_t l2_control_register_for_l1(uint64_t guest02, uint64_t shadow02, uint64_t l0_only_mask)
{
    return (guest02 & ~l0_only_mask) | (shadow02 & l0_only_mask);
}

} // namespace nested
