/* hypervisor/nested/entry_checks.cpp: VMLAUNCH/VMRESUME's checks on VMCS12 against
 * the SDM's "Checks on VMX Controls and Host-State Area" and "Checking and Loading
 * Guest State": a valid 64-bit VMCS12 passes, and each rule broken alone fails at
 * the stage (error 7, error 8, exit 33) hardware reports it. */
#include "hypervisor/nested/entry_checks.h"
#include "fake_guest_ram.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using namespace nested;
using E = vmx::VmcsEncoding;

namespace {

class L1Ram final : public FakeGuestRam {
public:
    L1Ram() : FakeGuestRam(1 << 20)
    {
        uint32_t revision = VMCS12_REVISION_ID;
        std::memcpy(&bytes[0x8000], &revision, sizeof revision);
    }
};

constexpr uint64_t capability(uint32_t allowed0, uint32_t allowed1) { return uint64_t(allowed1) << 32 | allowed0; }

/* What L1 is offered in these tests: the default1 pin-based bits must be 1,
 * PML is not offered, HLT is the only extra activity state, four CR3 targets. */
vmx::VmxCapabilities offered_capabilities()
{
    vmx::VmxCapabilities offered;
    offered.pin_based = capability(0x16, 0x16 | 0x1 | 0x8 | 0x20 | 0x40);
    offered.primary_processor = capability(0, 0xFFFFFFFF);
    offered.secondary_processor = capability(0, uint32_t(vmx::control_mask(vmx::SecondaryProcessorControl::ept,
                                                                             vmx::SecondaryProcessorControl::vpid,
                                                                             vmx::SecondaryProcessorControl::unrestricted_guest)));
    offered.exit = capability(0, 0xFFFFFFFF & ~uint32_t(vmx::ExitControl::conceal_vmx_from_pt));
    offered.entry = capability(0, 0xFFFFFFFF & ~uint32_t(vmx::EntryControl::entry_to_smm) &
                                      ~uint32_t(vmx::EntryControl::deactivate_dual_monitor));
    offered.misc = (4ull << 16) | (1ull << 6);
    offered.cr0_fixed0 = CR0_PE | CR0_NE | CR0_PG;
    offered.cr0_fixed1 = 0xFFFFFFFF;
    offered.cr4_fixed0 = CR4_VMXE;
    offered.cr4_fixed1 = 0x3727FF;
    offered.ept_vpid_cap = (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 16);
    return offered;
}

struct Fixture {
    L1Ram l1;
    vmx::VmxCapabilities offered = offered_capabilities();
    EntryContext context{offered, 36, true, l1};
    Vmcs12 vmcs12;

    /* A 64-bit L2 as our own kernel would start one, under a 64-bit L1. */
    Fixture()
    {
        auto set = [&](E field, uint64_t value) { vmcs12.set(field, value); };
        set(E::pin_based_controls, 0x16 | 0x1);
        set(E::primary_processor_controls, vmx::control_mask(vmx::PrimaryProcessorControl::hlt_exiting,
                                                             vmx::PrimaryProcessorControl::io_bitmaps,
                                                             vmx::PrimaryProcessorControl::msr_bitmaps,
                                                             vmx::PrimaryProcessorControl::secondary_controls));
        set(E::secondary_processor_controls, vmx::control_mask(vmx::SecondaryProcessorControl::ept,
                                                               vmx::SecondaryProcessorControl::vpid));
        set(E::exit_controls, vmx::control_mask(vmx::ExitControl::host_address_space_size,
                                                vmx::ExitControl::load_efer, vmx::ExitControl::save_efer));
        set(E::entry_controls, vmx::control_mask(vmx::EntryControl::ia32e_mode_guest, vmx::EntryControl::load_efer));
        set(E::io_bitmap_a, 0x1000);
        set(E::io_bitmap_b, 0x2000);
        set(E::msr_bitmap, 0x3000);
        set(E::vpid, 1);
        set(E::ept_pointer, 0x4000 | 0x1E);

        set(E::host_cr0, CR0_PE | CR0_NE | CR0_PG | CR0_ET | CR0_WP);
        set(E::host_cr3, 0x5000);
        set(E::host_cr4, CR4_PAE | CR4_VMXE);
        set(E::host_cs_selector, 0x08);
        set(E::host_ss_selector, 0x10);
        set(E::host_ds_selector, 0x10);
        set(E::host_es_selector, 0x10);
        set(E::host_tr_selector, 0x18);
        set(E::host_efer, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
        set(E::host_rip, 0xFFFFFFFF80100000);
        set(E::host_gs_base, 0xFFFF800000001000);

        set(E::guest_cr0, CR0_PE | CR0_NE | CR0_PG | CR0_ET);
        set(E::guest_cr3, 0x6000);
        set(E::guest_cr4, CR4_PAE | CR4_VMXE);
        set(E::guest_efer, EFER_LME | EFER_LMA);
        set(E::guest_cs_selector, 0x08);
        set(E::guest_cs_limit, 0xFFFFFFFF);
        set(E::guest_cs_access_rights, 0xA09B); /* type 11, S, P, L, G */
        for (E rights : {E::guest_ss_access_rights, E::guest_ds_access_rights, E::guest_es_access_rights,
                         E::guest_fs_access_rights, E::guest_gs_access_rights})
            set(rights, 0xC093); /* read/write data, accessed, S, P, D/B, G */
        for (E limit : {E::guest_ss_limit, E::guest_ds_limit, E::guest_es_limit, E::guest_fs_limit, E::guest_gs_limit})
            set(limit, 0xFFFFFFFF);
        for (E selector : {E::guest_ss_selector, E::guest_ds_selector, E::guest_es_selector, E::guest_fs_selector,
                           E::guest_gs_selector})
            set(selector, 0x10);
        set(E::guest_tr_selector, 0x18);
        set(E::guest_tr_limit, 0x67);
        set(E::guest_tr_access_rights, 0x8B); /* busy TSS, P */
        set(E::guest_ldtr_access_rights, 0x10000); /* unusable */
        set(E::guest_gdtr_limit, 0x27);
        set(E::guest_idtr_limit, 0xFFF);
        set(E::guest_rip, 0x100000);
        set(E::guest_rflags, RFLAGS_RESERVED_1);
        set(E::vmcs_link_pointer, NO_CURRENT_VMCS);
    }
    EntryFailure failure() { return check_entry(vmcs12, context).failure; }
    /* Sets `field` to `value`, checks the stage of the failure, and puts the old value back. */
    void expect(E field, uint64_t value, EntryFailure expected, int line)
    {
        uint64_t old = vmcs12.get(field);
        vmcs12.set(field, value);
        EntryCheck check = check_entry(vmcs12, context);
        if (check.failure != expected)
            unit::record_failure("line " + std::to_string(line) + ": expected stage " + std::to_string(int(expected)) +
                                 ", got " + std::to_string(int(check.failure)) + " (" +
                                 (check.rule ? check.rule : "passed") + ")");
        if (expected != EntryFailure::none && !check.rule)
            unit::record_failure("line " + std::to_string(line) + ": a failure names no rule");
        vmcs12.set(field, old);
    }
};

#define EXPECT_STAGE(fixture, field, value, stage) (fixture).expect(E::field, value, EntryFailure::stage, __LINE__)

} // namespace

UNIT_TEST(entry_checks_pass_a_valid_64_bit_vmcs12)
{
    Fixture f;
    EntryCheck check = check_entry(f.vmcs12, f.context);
    CHECK(check.ok());
    CHECK_EQ(check.rule, static_cast<const char*>(nullptr));
}

UNIT_TEST(entry_checks_fail_bad_controls_with_vm_instruction_error_7)
{
    Fixture f;
    EXPECT_STAGE(f, pin_based_controls, 0x1, control);                  /* default1 bits cleared */
    EXPECT_STAGE(f, pin_based_controls, 0x16 | 0x1 | 0x80, control);    /* posted interrupts, not offered */
    EXPECT_STAGE(f, pin_based_controls, 0x16 | 0x20, control);          /* virtual NMIs without NMI exiting */
    EXPECT_STAGE(f, secondary_processor_controls, 0x2 | (1u << 17), control); /* PML, not offered */
    EXPECT_STAGE(f, io_bitmap_a, 0x1800, control);                      /* not 4 KiB aligned */
    EXPECT_STAGE(f, io_bitmap_b, 1ull << 36, control);                  /* beyond MAXPHYADDR */
    EXPECT_STAGE(f, msr_bitmap, 0xFFFFFFFFFFFFF000, control);
    EXPECT_STAGE(f, vpid, 0, control);
    EXPECT_STAGE(f, ept_pointer, 0x4000 | 0x26, control);               /* a 5-level walk */
    EXPECT_STAGE(f, ept_pointer, 0x4000 | 0x1E | 0x40, control);        /* A/D not offered */
    EXPECT_STAGE(f, ept_pointer, 0x4000 | 0x19, control);               /* WC */
    EXPECT_STAGE(f, ept_pointer, 0x4000 | 0x18, none);                  /* UC is offered */
    EXPECT_STAGE(f, secondary_processor_controls, 0x80, control);       /* unrestricted guest without EPT */
    EXPECT_STAGE(f, cr3_target_count, 5, control);
    EXPECT_STAGE(f, cr3_target_count, 4, none);
    EXPECT_STAGE(f, exit_controls, f.vmcs12.get(E::exit_controls) | uint32_t(vmx::ExitControl::save_preemption_timer),
                 control);
    EXPECT_STAGE(f, entry_controls, f.vmcs12.get(E::entry_controls) | uint32_t(vmx::EntryControl::entry_to_smm),
                 control);
    /* Without "activate secondary controls" the secondary word is not looked at. */
    f.vmcs12.set(E::primary_processor_controls, uint32_t(vmx::PrimaryProcessorControl::hlt_exiting));
    EXPECT_STAGE(f, secondary_processor_controls, 0xFFFFFFFF, none);
}

UNIT_TEST(entry_checks_fail_bad_msr_areas_with_vm_instruction_error_7)
{
    Fixture f;
    f.vmcs12.set(E::entry_msr_load_count, 2);
    EXPECT_STAGE(f, entry_msr_load_address, 0x7008, control); /* 16-byte alignment */
    EXPECT_STAGE(f, entry_msr_load_address, 0x7010, none);
    EXPECT_STAGE(f, entry_msr_load_address, (1ull << 36) - 16, control); /* the second entry is beyond */
    f.vmcs12.set(E::exit_msr_store_count, 1);
    EXPECT_STAGE(f, exit_msr_store_address, 0xFFFFFFFFFFFFFFF0, control);
    f.vmcs12.set(E::exit_msr_load_count, 1);
    EXPECT_STAGE(f, exit_msr_load_address, 0x4, control);
}

UNIT_TEST(entry_checks_follow_the_event_injection_rules)
{
    Fixture f;
    constexpr uint64_t VALID = 1u << 31, ERROR_CODE = 1u << 11;
    EXPECT_STAGE(f, entry_interruption_information, VALID | (1 << 8) | 32, control);       /* type 1 reserved */
    EXPECT_STAGE(f, entry_interruption_information, VALID | (2 << 8) | 3, control);        /* NMI not vector 2 */
    EXPECT_STAGE(f, entry_interruption_information, VALID | (3 << 8) | 32, control);       /* exception > 31 */
    EXPECT_STAGE(f, entry_interruption_information, VALID | (3 << 8) | 13, control);       /* #GP without code */
    EXPECT_STAGE(f, entry_interruption_information, VALID | ERROR_CODE | (3 << 8) | 6, control); /* #UD with */
    EXPECT_STAGE(f, entry_interruption_information, VALID | (1 << 12) | 32, control);      /* reserved bit 12 */
    EXPECT_STAGE(f, entry_interruption_information, VALID | (7 << 8), none);               /* MTF is offered */
    EXPECT_STAGE(f, entry_interruption_information, VALID | ERROR_CODE | (3 << 8) | 14, none); /* #PF */
    f.vmcs12.set(E::entry_exception_error_code, 0x10000);
    EXPECT_STAGE(f, entry_interruption_information, VALID | ERROR_CODE | (3 << 8) | 14, control);
    f.vmcs12.set(E::entry_exception_error_code, 0);
    EXPECT_STAGE(f, entry_interruption_information, VALID | (4 << 8) | 0x80, control); /* INT n, length 0 */
    f.vmcs12.set(E::entry_instruction_length, 2);
    EXPECT_STAGE(f, entry_interruption_information, VALID | (4 << 8) | 0x80, none);
    f.vmcs12.set(E::entry_instruction_length, 16);
    EXPECT_STAGE(f, entry_interruption_information, VALID | (6 << 8) | 3, control);
    f.vmcs12.set(E::entry_instruction_length, 0);
    /* External interrupts: RFLAGS.IF must be 1 and nothing may block them (guest state). */
    EXPECT_STAGE(f, entry_interruption_information, VALID | 0x30, guest_state);
    f.vmcs12.set(E::guest_rflags, RFLAGS_RESERVED_1 | RFLAGS_IF);
    EXPECT_STAGE(f, entry_interruption_information, VALID | 0x30, none);
    f.vmcs12.set(E::guest_interruptibility_state, 1);
    EXPECT_STAGE(f, entry_interruption_information, VALID | 0x30, guest_state);
}

UNIT_TEST(entry_checks_fail_bad_host_state_with_vm_instruction_error_8)
{
    Fixture f;
    EXPECT_STAGE(f, host_cr0, CR0_NE | CR0_PG, host_state);                  /* PE is a fixed-1 bit */
    EXPECT_STAGE(f, host_cr4, CR4_PAE, host_state);                          /* VMXE too */
    EXPECT_STAGE(f, host_cr4, CR4_PAE | CR4_VMXE | (1ull << 31), host_state); /* a fixed-0 bit */
    EXPECT_STAGE(f, host_cr3, 1ull << 40, host_state);
    EXPECT_STAGE(f, host_cs_selector, 0x0B, host_state);                     /* RPL 3 */
    EXPECT_STAGE(f, host_ds_selector, 0x14, host_state);                     /* TI */
    EXPECT_STAGE(f, host_cs_selector, 0, host_state);
    EXPECT_STAGE(f, host_tr_selector, 0, host_state);
    EXPECT_STAGE(f, host_ss_selector, 0, none);                              /* allowed in 64-bit mode */
    EXPECT_STAGE(f, host_fs_base, 0x0000800000000000, host_state);           /* not canonical */
    EXPECT_STAGE(f, host_idtr_base, 0x8000000000000000, host_state);
    EXPECT_STAGE(f, host_sysenter_eip, 0x0001000000000000, host_state);
    EXPECT_STAGE(f, host_rip, 0x0000900000000000, host_state);
    EXPECT_STAGE(f, host_efer, EFER_LME | EFER_LMA | (1ull << 12), host_state); /* a reserved bit */
    EXPECT_STAGE(f, host_efer, EFER_LME, host_state);                        /* LMA != address-space size */
    /* A 64-bit L1 must come back to 64-bit mode. */
    EXPECT_STAGE(f, exit_controls, uint32_t(vmx::ExitControl::load_efer), host_state);
    f.vmcs12.set(E::exit_controls, f.vmcs12.get(E::exit_controls) | uint32_t(vmx::ExitControl::load_pat));
    f.vmcs12.set(E::host_pat, 0x0007040600070406);
    CHECK(f.failure() == EntryFailure::none);
    EXPECT_STAGE(f, host_pat, 0x0007040600070402, host_state); /* memory type 2 */
}

UNIT_TEST(entry_checks_fail_bad_guest_state_with_a_vm_entry_failure_exit)
{
    Fixture f;
    EXPECT_STAGE(f, guest_cr0, CR0_NE | CR0_PG | CR0_ET, guest_state);      /* PE fixed-1 without UG */
    EXPECT_STAGE(f, guest_cr4, CR4_VMXE, guest_state);                      /* IA-32e mode needs PAE */
    EXPECT_STAGE(f, guest_cr3, 1ull << 36, guest_state);
    EXPECT_STAGE(f, guest_efer, EFER_LME, guest_state);                     /* LMA != IA-32e mode guest */
    EXPECT_STAGE(f, guest_efer, EFER_LME | EFER_LMA | (1ull << 9), guest_state);
    EXPECT_STAGE(f, guest_cs_access_rights, 0xE09B, guest_state);           /* L and D */
    EXPECT_STAGE(f, guest_cs_access_rights, 0xA093, guest_state);           /* a data segment */
    EXPECT_STAGE(f, guest_cs_access_rights, 0xA01B, guest_state);           /* not present */
    EXPECT_STAGE(f, guest_cs_access_rights, 0xA0BB, guest_state);           /* DPL 1 != SS DPL 0 */
    EXPECT_STAGE(f, guest_cs_limit, 0xFFFFF000, guest_state);               /* G = 1 needs bits 11:0 set */
    EXPECT_STAGE(f, guest_ss_access_rights, 0xC091, guest_state);           /* read-only stack */
    EXPECT_STAGE(f, guest_ss_access_rights, 0x1C093, none);                 /* unusable SS is fine */
    EXPECT_STAGE(f, guest_ds_access_rights, 0xC092, guest_state);           /* not accessed */
    EXPECT_STAGE(f, guest_ds_access_rights, 0xC09B, none);                  /* readable code is fine */
    EXPECT_STAGE(f, guest_ds_access_rights, 0xC099, guest_state);           /* execute-only code is not */
    EXPECT_STAGE(f, guest_tr_access_rights, 0x89, guest_state);             /* an available TSS */
    EXPECT_STAGE(f, guest_tr_access_rights, 0x1008B, guest_state);          /* unusable TR */
    EXPECT_STAGE(f, guest_tr_selector, 0x1C, guest_state);                  /* TI */
    EXPECT_STAGE(f, guest_ldtr_access_rights, 0x82, none);                 /* a usable LDT */
    EXPECT_STAGE(f, guest_ldtr_access_rights, 0x89, guest_state);           /* a TSS in LDTR */
    EXPECT_STAGE(f, guest_fs_base, 0x0000800000000000, guest_state);
    EXPECT_STAGE(f, guest_gdtr_limit, 0x10000, guest_state);
    EXPECT_STAGE(f, guest_rip, 0x0000800000000000, guest_state);
    EXPECT_STAGE(f, guest_rflags, 0, guest_state);                          /* bit 1 clear */
    EXPECT_STAGE(f, guest_rflags, RFLAGS_RESERVED_1 | (1ull << 3), guest_state);
    EXPECT_STAGE(f, guest_rflags, RFLAGS_RESERVED_1 | RFLAGS_VM, guest_state);
    EXPECT_STAGE(f, guest_activity_state, 1, none);                         /* HLT is offered */
    EXPECT_STAGE(f, guest_activity_state, 2, guest_state);                  /* shutdown is not */
    EXPECT_STAGE(f, guest_interruptibility_state, 1, guest_state);          /* STI blocking with IF 0 */
    EXPECT_STAGE(f, guest_interruptibility_state, 1u << 5, guest_state);
    EXPECT_STAGE(f, guest_pending_debug_exceptions, 1u << 4, guest_state);
    EXPECT_STAGE(f, guest_pending_debug_exceptions, 1u << 14, none);        /* BS */
}

UNIT_TEST(entry_checks_load_an_unrestricted_real_mode_guest)
{
    Fixture f;
    auto set = [&](E field, uint64_t value) { f.vmcs12.set(field, value); };
    set(E::secondary_processor_controls, 0x2 | 0x20 | 0x80);
    set(E::entry_controls, uint32_t(vmx::EntryControl::load_efer));
    set(E::guest_efer, 0);
    set(E::guest_cr0, CR0_NE | CR0_ET);
    set(E::guest_cr4, CR4_VMXE);
    set(E::guest_cs_selector, 0xF000);
    set(E::guest_cs_base, 0xF0000);
    set(E::guest_cs_limit, 0xFFFF);
    set(E::guest_cs_access_rights, 0x9B);
    for (E limit : {E::guest_ss_limit, E::guest_ds_limit, E::guest_es_limit, E::guest_fs_limit, E::guest_gs_limit})
        set(limit, 0xFFFF);
    for (E rights : {E::guest_ss_access_rights, E::guest_ds_access_rights, E::guest_es_access_rights,
                     E::guest_fs_access_rights, E::guest_gs_access_rights})
        set(rights, 0x93);
    set(E::guest_ss_selector, 0);
    set(E::guest_rip, 0xFFF0);
    CHECK(f.failure() == EntryFailure::none);
    EXPECT_STAGE(f, guest_cr0, CR0_NE | CR0_ET | CR0_PG, guest_state);      /* PG without PE */
    EXPECT_STAGE(f, guest_ss_access_rights, 0xF3, guest_state);            /* DPL 3 with PE 0 */
    EXPECT_STAGE(f, guest_rip, 0x100000000, guest_state);                  /* bits 63:32 outside 64-bit mode */
}

UNIT_TEST(entry_checks_report_a_bad_vmcs_link_pointer_with_qualification_4)
{
    Fixture f;
    EXPECT_STAGE(f, vmcs_link_pointer, 0x8000, none); /* a VMCS with our revision */
    for (uint64_t link : {0x9000ull, 0x8008ull, 0xFFFFF000ull, 1ull << 40}) {
        f.vmcs12.set(E::vmcs_link_pointer, link);
        EntryCheck check = check_entry(f.vmcs12, f.context);
        CHECK(check.failure == EntryFailure::guest_state);
        CHECK_EQ(check.qualification, ENTRY_QUALIFICATION_LINK_POINTER);
    }
}

UNIT_TEST(entry_checks_report_controls_before_host_state_before_guest_state)
{
    Fixture f;
    f.vmcs12.set(E::guest_rflags, 0);
    CHECK(f.failure() == EntryFailure::guest_state);
    CHECK_EQ(check_entry(f.vmcs12, f.context).qualification, ENTRY_QUALIFICATION_DEFAULT);
    f.vmcs12.set(E::host_cs_selector, 0);
    CHECK(f.failure() == EntryFailure::host_state);
    f.vmcs12.set(E::vpid, 0);
    CHECK(f.failure() == EntryFailure::control);
}

UNIT_TEST(entry_checks_leave_out_only_the_segment_checks_that_passed_before)
{
    /* VM entry keeps the segment checks' outcome while their inputs are
     * unchanged (vmcs02.h, entry_work): left out, a bad segment is not seen;
     * every other guest rule still runs. */
    Fixture f;
    f.vmcs12.set(E::guest_cs_access_rights, 0xA093); /* a data segment in CS */
    CHECK(check_guest_state(f.vmcs12, f.context).failure == EntryFailure::guest_state);
    CHECK(check_guest_state(f.vmcs12, f.context, {.segments = true}).ok());
    f.vmcs12.set(E::guest_rip, 0x0000800000000000);
    CHECK(check_guest_state(f.vmcs12, f.context, {.segments = true}).failure == EntryFailure::guest_state);
}

UNIT_TEST(entry_checks_leave_out_only_the_register_and_pdpte_checks_that_passed_before)
{
    /* The same for the control-register/MSR checks and the PDPTE checks
     * (GuestChecksPassed): each left out alone, the others still run. */
    Fixture f;
    f.vmcs12.set(E::guest_cr3, 1ull << 60); /* beyond MAXPHYADDR */
    CHECK(check_guest_state(f.vmcs12, f.context).failure == EntryFailure::guest_state);
    CHECK(check_guest_state(f.vmcs12, f.context, {.registers = true}).ok());
    CHECK(check_guest_state(f.vmcs12, f.context, {.segments = true, .pdptes = true}).failure ==
          EntryFailure::guest_state);
    f.vmcs12.set(E::guest_rflags, 0); /* bit 1 clear: checked at every entry */
    CHECK(check_guest_state(f.vmcs12, f.context, {.segments = true, .registers = true, .pdptes = true}).failure ==
          EntryFailure::guest_state);
}

UNIT_TEST(entry_checks_control_fields_and_event_injection_make_up_the_control_checks)
{
    Fixture f;
    f.vmcs12.set(E::entry_interruption_information, 0x80000000u | (1u << 8) | 32); /* reserved type 1 */
    CHECK(check_control_fields(f.vmcs12, f.context).ok());
    CHECK(check_event_injection(f.vmcs12, f.context).failure == EntryFailure::control);
    CHECK(check_controls(f.vmcs12, f.context).failure == EntryFailure::control);
}
