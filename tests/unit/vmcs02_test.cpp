/* hypervisor/nested/vmcs02.cpp: VMCS02's controls are L0's OR-ed with L1's, port
 * I/O and MSRs always exit, the CR read shadows show L2 what L1 decided, the TSC
 * offsets add up, L2 runs with its own VPID and the shadow EPT (or L1's EPT when
 * L1 enables none), and L1's event injection reaches VMCS02. */
#include "hypervisor/nested/vmcs02.h"
#include "arch/x86_64/control_registers.h"
#include "unit_test.h"

#include <initializer_list>

using namespace nested;
using vmx::control_mask;
using vmx::EntryControl;
using vmx::PinBasedControl;
using vmx::PrimaryProcessorControl;
using vmx::SecondaryProcessorControl;
using E = vmx::VmcsEncoding;

namespace {

L0Requirements l0_requirements()
{
    L0Requirements l0;
    l0.pin = control_mask(PinBasedControl::external_interrupt_exiting, PinBasedControl::nmi_exiting,
                          PinBasedControl::preemption_timer);
    l0.primary = control_mask(PrimaryProcessorControl::hlt_exiting, PrimaryProcessorControl::io_bitmaps,
                              PrimaryProcessorControl::msr_bitmaps, PrimaryProcessorControl::secondary_controls,
                              PrimaryProcessorControl::cr8_load_exiting, PrimaryProcessorControl::cr8_store_exiting,
                              PrimaryProcessorControl::interrupt_window_exiting);
    l0.secondary = control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::unrestricted_guest,
                                SecondaryProcessorControl::vpid, SecondaryProcessorControl::rdtscp);
    l0.exit = 0x36DFF;
    l0.entry = control_mask(EntryControl::load_efer, EntryControl::ia32e_mode_guest);
    l0.exception_bitmap = 1u << 6;
    l0.cr0_mask = CR0_NE;
    l0.cr4_mask = CR4_VMXE;
    l0.cr0_forced_on = CR0_NE;
    l0.cr4_forced_on = CR4_VMXE;
    l0.tsc_offset01 = 1000;
    l0.l1_efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    l0.l1_pat = 0x0007040600070406;
    l0.l1_eptp = 0x1000 | 0x1E;
    l0.shadow_eptp = 0x2000 | 0x1E;
    l0.vpid02 = 7;
    return l0;
}

} // namespace

UNIT_TEST(vmcs02_ors_l1s_exits_into_l0s_and_always_exits_on_io_and_msrs)
{
    Vmcs12 vmcs12;
    vmcs12.set(E::pin_based_controls, control_mask(PinBasedControl::nmi_exiting, PinBasedControl::virtual_nmis));
    vmcs12.set(E::primary_processor_controls,
               control_mask(PrimaryProcessorControl::rdtsc_exiting, PrimaryProcessorControl::io_bitmaps,
                            PrimaryProcessorControl::cr3_load_exiting));
    Vmcs02Controls c = compose_vmcs02(vmcs12, l0_requirements());
    CHECK_EQ(c.pin, control_mask(PinBasedControl::external_interrupt_exiting, PinBasedControl::nmi_exiting,
                                 PinBasedControl::preemption_timer, PinBasedControl::virtual_nmis));
    CHECK(c.primary & uint32_t(PrimaryProcessorControl::rdtsc_exiting));
    CHECK(c.primary & uint32_t(PrimaryProcessorControl::hlt_exiting));     /* L0's own */
    CHECK(c.primary & uint32_t(PrimaryProcessorControl::cr8_load_exiting));
    CHECK(c.primary & uint32_t(PrimaryProcessorControl::cr3_load_exiting));
    CHECK(c.primary & uint32_t(PrimaryProcessorControl::unconditional_io_exiting));
    CHECK(!(c.primary & uint32_t(PrimaryProcessorControl::io_bitmaps)));
    CHECK(!(c.primary & uint32_t(PrimaryProcessorControl::msr_bitmaps)));
    /* Interrupt-window exiting follows L1's request only (L0 adds its own before entry). */
    CHECK(!(c.primary & uint32_t(PrimaryProcessorControl::interrupt_window_exiting)));
    CHECK_EQ(c.exit, 0x36DFFu);
    CHECK_EQ(c.cr3_target_count, 0u);
}

UNIT_TEST(vmcs02_runs_l2_on_the_shadow_ept_with_its_own_vpid)
{
    Vmcs12 vmcs12;
    L0Requirements l0 = l0_requirements();
    /* Without secondary controls in VMCS12: L1's EPT, no unrestricted guest, no RDTSCP. */
    Vmcs02Controls c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.eptp, l0.l1_eptp);
    CHECK(c.secondary & uint32_t(SecondaryProcessorControl::ept));
    CHECK(!(c.secondary & uint32_t(SecondaryProcessorControl::unrestricted_guest)));
    CHECK(!(c.secondary & uint32_t(SecondaryProcessorControl::rdtscp)));
    CHECK(c.secondary & uint32_t(SecondaryProcessorControl::vpid));
    CHECK_EQ(c.vpid, uint16_t(7));
    vmcs12.set(E::primary_processor_controls, uint32_t(PrimaryProcessorControl::secondary_controls));
    vmcs12.set(E::secondary_processor_controls,
               control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::unrestricted_guest,
                            SecondaryProcessorControl::vpid));
    vmcs12.set(E::vpid, 1); /* L1's VPID number is never the CPU's */
    c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.eptp, l0.shadow_eptp);
    CHECK(c.secondary & uint32_t(SecondaryProcessorControl::unrestricted_guest));
    CHECK_EQ(c.vpid, uint16_t(7));
    l0.vpid02 = 0;
    c = compose_vmcs02(vmcs12, l0);
    CHECK(!(c.secondary & uint32_t(SecondaryProcessorControl::vpid)));
    /* VMCS01 shadows L1's VMCS12: L2's own VMREAD/VMWRITE must still exit. */
    l0.secondary |= uint32_t(SecondaryProcessorControl::vmcs_shadowing);
    c = compose_vmcs02(vmcs12, l0);
    CHECK(!(c.secondary & uint32_t(SecondaryProcessorControl::vmcs_shadowing)));
}

UNIT_TEST(vmcs02_shows_l2_the_cr_values_l1_decided)
{
    Vmcs12 vmcs12;
    /* L1 owns CR0.PG (shadow says on) and CR4.PAE (shadow off); L2 runs with NE clear. */
    vmcs12.set(E::guest_cr0, CR0_PE | CR0_PG);
    vmcs12.set(E::cr0_guest_host_mask, CR0_PG);
    vmcs12.set(E::cr0_read_shadow, CR0_PG);
    vmcs12.set(E::guest_cr4, CR4_PAE);
    vmcs12.set(E::cr4_guest_host_mask, CR4_PAE);
    vmcs12.set(E::cr4_read_shadow, 0);
    Vmcs02Controls c = compose_vmcs02(vmcs12, l0_requirements());
    CHECK_EQ(c.guest_cr0, CR0_PE | CR0_PG | CR0_NE);  /* NE forced on for VMX */
    CHECK_EQ(c.cr0_mask, CR0_PG | CR0_NE);
    CHECK_EQ(c.cr0_shadow, CR0_PE | CR0_PG);          /* NE reads as L2 set it: clear */
    CHECK_EQ(c.guest_cr4, CR4_PAE | CR4_VMXE);
    CHECK_EQ(c.cr4_mask, CR4_PAE | CR4_VMXE);
    CHECK_EQ(c.cr4_shadow, 0ull);                     /* PAE per L1's shadow, VMXE as L2's own */
    /* Back in VMCS12 after an exit: L0's forced bits return to L2's own value. */
    CHECK_EQ(l2_control_register_for_l1(c.guest_cr0, c.cr0_shadow, CR0_NE), CR0_PE | CR0_PG);
    CHECK_EQ(l2_control_register_for_l1(c.guest_cr4, c.cr4_shadow, CR4_VMXE), uint64_t(CR4_PAE));
}

UNIT_TEST(vmcs02_adds_the_tsc_offsets_and_keeps_l1s_page_fault_filter)
{
    Vmcs12 vmcs12;
    vmcs12.set(E::tsc_offset, uint64_t(-300));
    Vmcs02Controls c = compose_vmcs02(vmcs12, l0_requirements());
    CHECK_EQ(c.tsc_offset, 1000ull); /* L1 does not offset L2 */
    vmcs12.set(E::primary_processor_controls, uint32_t(PrimaryProcessorControl::tsc_offsetting));
    c = compose_vmcs02(vmcs12, l0_requirements());
    CHECK_EQ(c.tsc_offset, 700ull);
    CHECK(c.primary & uint32_t(PrimaryProcessorControl::tsc_offsetting));

    vmcs12.set(E::exception_bitmap, (1u << 14) | (1u << 3));
    vmcs12.set(E::page_fault_error_code_mask, 2);
    vmcs12.set(E::page_fault_error_code_match, 2);
    c = compose_vmcs02(vmcs12, l0_requirements());
    CHECK_EQ(c.exception_bitmap, (1u << 14) | (1u << 3) | (1u << 6));
    CHECK_EQ(c.page_fault_mask, 2u);
    CHECK_EQ(c.page_fault_match, 2u);
    L0Requirements l0 = l0_requirements();
    l0.exception_bitmap |= 1u << 14; /* L0 needs every #PF: no filter */
    c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.page_fault_mask, 0u);
    CHECK_EQ(c.page_fault_match, 0u);
}

UNIT_TEST(vmcs02_takes_efer_pat_event_and_cr3_targets_from_vmcs12)
{
    Vmcs12 vmcs12;
    L0Requirements l0 = l0_requirements();
    /* No load EFER, 64-bit L2 with paging: LMA and LME follow; L1's NXE and SCE stay. */
    vmcs12.set(E::entry_controls, uint32_t(EntryControl::ia32e_mode_guest));
    vmcs12.set(E::guest_cr0, CR0_PE | CR0_PG);
    Vmcs02Controls c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.guest_efer, EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE);
    CHECK(c.entry & uint32_t(EntryControl::ia32e_mode_guest));
    CHECK_EQ(c.guest_pat, l0.l1_pat);
    /* A 32-bit L2: no LMA, no LME; EFER from VMCS12 when it loads it. */
    vmcs12.set(E::entry_controls, 0);
    c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.guest_efer, EFER_SCE | EFER_NXE);
    CHECK(!(c.entry & uint32_t(EntryControl::ia32e_mode_guest)));
    CHECK(c.entry & uint32_t(EntryControl::load_efer)); /* L0 always loads it */
    vmcs12.set(E::entry_controls, control_mask(EntryControl::load_efer, EntryControl::load_pat));
    vmcs12.set(E::guest_efer, EFER_SCE);
    vmcs12.set(E::guest_pat, 0x0606060606060606);
    c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.guest_efer, uint64_t(EFER_SCE));
    CHECK_EQ(c.guest_pat, 0x0606060606060606ull);

    vmcs12.set(E::entry_interruption_information, 0x80000B0E);
    vmcs12.set(E::entry_exception_error_code, 4);
    vmcs12.set(E::primary_processor_controls, uint32_t(PrimaryProcessorControl::cr3_load_exiting));
    vmcs12.set(E::cr3_target_count, 2);
    vmcs12.set(E::cr3_target_value_0, 0x5000);
    vmcs12.set(E::cr3_target_value_1, 0x6000);
    c = compose_vmcs02(vmcs12, l0);
    CHECK_EQ(c.entry_interruption_information, 0x80000B0Eu);
    CHECK_EQ(c.entry_exception_error_code, 4u);
    CHECK_EQ(c.cr3_target_count, 2u);
    CHECK_EQ(c.cr3_targets[1], 0x6000ull);
}

UNIT_TEST(vmcs02_guest_fields_are_guest_state_without_the_composed_ones)
{
    for (size_t i = 0; i < VMCS02_GUEST_FIELD_COUNT; ++i) {
        E field = VMCS02_GUEST_FIELDS[i];
        CHECK(vmx::vmcs_field_kind(field) == vmx::VmcsFieldKind::guest);
        CHECK(field != E::guest_cr0 && field != E::guest_cr4 && field != E::guest_efer && field != E::guest_pat);
        CHECK(field_slot(uint64_t(field)) >= 0); /* VMCS12 holds it */
    }
}

/* entry_work(): what a VM entry redoes for a kept VMCS02, from the fields that changed. */

UNIT_TEST(vmcs02_entry_without_a_kept_vmcs02_checks_and_writes_everything)
{
    EntryWork work = entry_work(FieldSet{}, false);
    CHECK(work.check_control_fields);
    CHECK(work.check_host_state);
    CHECK(!work.guest_passed.segments);
    CHECK(work.write_controls);
    for (size_t i = 0; i < VMCS02_GUEST_FIELD_COUNT; ++i)
        CHECK(work.guest_fields.has(size_t(field_slot(uint64_t(VMCS02_GUEST_FIELDS[i])))));
}

UNIT_TEST(vmcs02_unchanged_vmcs12_reenters_without_checks_or_writes)
{
    /* Exit information (L0's record of the last exit) is no input of an entry. */
    EntryWork work = entry_work(fields_of({E::exit_reason, E::exit_qualification, E::vm_instruction_error}), true);
    CHECK(!work.check_control_fields);
    CHECK(!work.check_host_state);
    CHECK(work.guest_passed.segments);
    CHECK(!work.write_controls);
    CHECK(work.guest_fields.empty());
}

UNIT_TEST(vmcs02_changed_guest_rip_is_copied_alone_and_the_segment_checks_stay_passed)
{
    EntryWork work = entry_work(fields_of({E::guest_rip, E::guest_rflags}), true);
    CHECK(!work.check_control_fields);
    CHECK(!work.check_host_state);
    CHECK(work.guest_passed.segments);
    CHECK(!work.write_controls);
    CHECK(work.guest_fields.has(size_t(field_slot(uint64_t(E::guest_rip)))));
    CHECK(work.guest_fields.has(size_t(field_slot(uint64_t(E::guest_rflags)))));
    CHECK(!work.guest_fields.has(size_t(field_slot(uint64_t(E::guest_rsp)))));
}

UNIT_TEST(vmcs02_control_changed_after_vmresume_is_checked_and_written_with_what_depends_on_it)
{
    /* A secondary control changes what the segment checks accept (unrestricted
     * guest); the host-state checks read only the VM-exit and VM-entry controls. */
    EntryWork work = entry_work(fields_of({E::secondary_processor_controls}), true);
    CHECK(work.check_control_fields);
    CHECK(!work.check_host_state);
    CHECK(entry_work(fields_of({E::entry_controls}), true).check_host_state);
    CHECK(!work.guest_passed.segments);
    CHECK(work.write_controls);
    CHECK(work.guest_fields.empty());
}

UNIT_TEST(vmcs02_host_and_segment_changes_rerun_their_own_checks)
{
    EntryWork host = entry_work(fields_of({E::host_rip}), true);
    CHECK(!host.check_control_fields);
    CHECK(host.check_host_state);
    CHECK(host.guest_passed.segments);
    CHECK(!host.write_controls);
    EntryWork segment = entry_work(fields_of({E::guest_ss_access_rights}), true);
    CHECK(!segment.check_host_state);
    CHECK(!segment.guest_passed.segments);
    CHECK(segment.guest_fields.has(size_t(field_slot(uint64_t(E::guest_ss_access_rights)))));
    /* CR0.PE decides which segment rules apply; CR0 is composed (written at every entry), not copied. */
    EntryWork cr0 = entry_work(fields_of({E::guest_cr0}), true);
    CHECK(!cr0.guest_passed.segments);
    CHECK(cr0.guest_fields.empty());
}

UNIT_TEST(vmcs02_guest_check_groups_rerun_only_when_their_inputs_changed)
{
    /* An exit to L1 changes RIP, RSP, RFLAGS, the interruptibility state, the
     * exit information: the register and PDPTE checks stay passed. */
    EntryWork exit = entry_work(fields_of({E::guest_rip, E::guest_rsp, E::guest_rflags,
                                                E::guest_interruptibility_state, E::exit_reason,
                                                E::entry_interruption_information}), true);
    CHECK(exit.guest_passed.segments);
    CHECK(exit.guest_passed.registers);
    CHECK(exit.guest_passed.pdptes);
    CHECK(!exit.check_control_fields);
    CHECK(!exit.check_host_state);
    /* CR3 is the register checks' (MAXPHYADDR) only; CR4 both groups'. */
    EntryWork cr3 = entry_work(fields_of({E::guest_cr3}), true);
    CHECK(!cr3.guest_passed.registers);
    CHECK(cr3.guest_passed.pdptes);
    CHECK(cr3.guest_passed.segments);
    EntryWork cr4 = entry_work(fields_of({E::guest_cr4}), true);
    CHECK(!cr4.guest_passed.registers);
    CHECK(!cr4.guest_passed.pdptes);
    EntryWork pdpte = entry_work(fields_of({E::guest_pdpte2}), true);
    CHECK(pdpte.guest_passed.registers);
    CHECK(!pdpte.guest_passed.pdptes);
    for (E field : {E::guest_dr7, E::guest_sysenter_esp, E::guest_sysenter_eip, E::guest_pat, E::guest_efer})
        CHECK(!entry_work(fields_of({field}), true).guest_passed.registers);
    /* The controls select the rules of every group (IA-32e mode, unrestricted
     * guest, EPT, load PAT/EFER). */
    for (E field : {E::entry_controls, E::primary_processor_controls, E::secondary_processor_controls}) {
        EntryWork controls = entry_work(fields_of({field}), true);
        CHECK(!controls.guest_passed.segments);
        CHECK(!controls.guest_passed.registers);
        CHECK(!controls.guest_passed.pdptes);
    }
    /* The host-state checks read the VM-exit and VM-entry controls alone of
     * them: a new exception bitmap (a control) leaves them passed. */
    EntryWork bitmap = entry_work(fields_of({E::exception_bitmap}), true);
    CHECK(bitmap.check_control_fields);
    CHECK(!bitmap.check_host_state);
    CHECK(bitmap.guest_passed.registers);
    CHECK(entry_work(fields_of({E::exit_controls}), true).check_host_state);
    /* Without a kept VMCS02 nothing counts as passed. */
    EntryWork fresh = entry_work(FieldSet{}, false);
    CHECK(!fresh.guest_passed.segments);
    CHECK(!fresh.guest_passed.registers);
    CHECK(!fresh.guest_passed.pdptes);
}
