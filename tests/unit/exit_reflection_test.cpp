/* hypervisor/nested/exit_reflection.cpp: an exit of L2 goes to L1 exactly when
 * VMCS12's controls ask for it (I/O and MSR bitmaps read from L1's memory, the
 * exception bitmap with the #PF error-code mask and match, the CR0/CR4 guest/host
 * masks, CR3 targets, HLT, windows, the preemption timer), always for CPUID and
 * the VMX instructions, and never for the host's own interrupts. */
#include "hypervisor/nested/exit_reflection.h"
#include "arch/x86_64/control_registers.h"
#include "fake_guest_ram.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using namespace nested;
using vmx::ExitReason;
using vmx::PrimaryProcessorControl;
using E = vmx::VmcsEncoding;

namespace {

constexpr uint64_t IO_A = 0x10000, IO_B = 0x11000, MSRS = 0x12000;

class L1Ram final : public FakeGuestRam {
public:
    L1Ram() : FakeGuestRam(0x20000) {}
    void set_bit(uint64_t bitmap, uint32_t index) { bytes[bitmap + index / 8] |= uint8_t(1u << (index % 8)); }
};

struct Fixture {
    L1Ram l1;
    Vmcs12 vmcs12;
    Fixture()
    {
        vmcs12.set(E::io_bitmap_a, IO_A);
        vmcs12.set(E::io_bitmap_b, IO_B);
        vmcs12.set(E::msr_bitmap, MSRS);
    }
    void primary(std::initializer_list<PrimaryProcessorControl> bits)
    {
        uint32_t value = 0;
        for (PrimaryProcessorControl bit : bits)
            value |= uint32_t(bit);
        vmcs12.set(E::primary_processor_controls, value);
    }
    ExitOwner owner(ExitReason reason, uint64_t qualification = 0)
    {
        L2Exit exit;
        exit.reason = reason;
        exit.qualification = qualification;
        return exit_owner(vmcs12, exit, l1);
    }
    ExitOwner cr_owner(uint64_t qualification, uint64_t source)
    {
        L2Exit exit;
        exit.reason = ExitReason::control_register_access;
        exit.qualification = qualification;
        exit.source_value = source;
        return exit_owner(vmcs12, exit, l1);
    }
};

/* An I/O exit qualification: size - 1 in bits 2:0, the port in bits 31:16. */
constexpr uint64_t io_qualification(uint16_t port, unsigned size) { return uint64_t(port) << 16 | (size - 1); }

} // namespace

UNIT_TEST(exit_reflection_always_reflects_cpuid_vmx_instructions_and_triple_faults)
{
    Fixture f;
    for (ExitReason reason : {ExitReason::cpuid, ExitReason::vmcall, ExitReason::vmlaunch, ExitReason::vmresume,
                              ExitReason::vmread, ExitReason::vmwrite, ExitReason::vmptrld, ExitReason::vmxoff,
                              ExitReason::invept, ExitReason::invvpid, ExitReason::triple_fault, ExitReason::xsetbv,
                              ExitReason::task_switch})
        CHECK(f.owner(reason) == ExitOwner::l1);
}

UNIT_TEST(exit_reflection_keeps_host_interrupts_and_unoffered_features_in_l0)
{
    Fixture f;
    f.vmcs12.set(E::pin_based_controls, 0xFF); /* even with L1's external-interrupt and NMI exiting */
    CHECK(f.owner(ExitReason::external_interrupt) == ExitOwner::l0);
    L2Exit nmi;
    nmi.reason = ExitReason::exception_or_nmi;
    nmi.interruption_information = 0x80000202;
    f.vmcs12.set(E::exception_bitmap, 0xFFFFFFFF);
    CHECK(exit_owner(f.vmcs12, nmi, f.l1) == ExitOwner::l0);
    CHECK(f.owner(ExitReason::ept_violation) == ExitOwner::l0);
    CHECK(f.owner(ExitReason::ept_misconfiguration) == ExitOwner::l0);
    CHECK(f.owner(ExitReason::apic_access) == ExitOwner::l0);
}

UNIT_TEST(exit_reflection_follows_the_conditional_instruction_controls)
{
    Fixture f;
    using P = PrimaryProcessorControl;
    struct Case {
        ExitReason reason;
        P control;
    };
    const Case cases[] = {
        {ExitReason::hlt, P::hlt_exiting},       {ExitReason::invlpg, P::invlpg_exiting},
        {ExitReason::rdpmc, P::rdpmc_exiting},   {ExitReason::rdtsc, P::rdtsc_exiting},
        {ExitReason::rdtscp, P::rdtsc_exiting},  {ExitReason::mov_dr, P::mov_dr_exiting},
        {ExitReason::mwait, P::mwait_exiting},   {ExitReason::monitor, P::monitor_exiting},
        {ExitReason::pause, P::pause_exiting},   {ExitReason::interrupt_window, P::interrupt_window_exiting},
        {ExitReason::nmi_window, P::nmi_window_exiting}, {ExitReason::monitor_trap_flag, P::monitor_trap_flag},
    };
    for (const Case& c : cases) {
        f.primary({});
        CHECK(f.owner(c.reason) == ExitOwner::l0);
        f.primary({c.control});
        CHECK(f.owner(c.reason) == ExitOwner::l1);
    }
    /* Secondary controls count only while activated. */
    f.vmcs12.set(E::secondary_processor_controls, uint32_t(vmx::SecondaryProcessorControl::wbinvd_exiting));
    f.primary({});
    CHECK(f.owner(ExitReason::wbinvd) == ExitOwner::l0);
    f.primary({P::secondary_controls});
    CHECK(f.owner(ExitReason::wbinvd) == ExitOwner::l1);
    CHECK(f.owner(ExitReason::rdrand) == ExitOwner::l0);
}

UNIT_TEST(exit_reflection_reads_the_io_bitmaps_from_l1_memory)
{
    Fixture f;
    f.primary({});
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x3F8, 1)) == ExitOwner::l0);
    f.primary({PrimaryProcessorControl::unconditional_io_exiting});
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x3F8, 1)) == ExitOwner::l1);
    /* With bitmaps, unconditional I/O exiting is ignored. */
    f.primary({PrimaryProcessorControl::unconditional_io_exiting, PrimaryProcessorControl::io_bitmaps});
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x3F8, 1)) == ExitOwner::l0);
    f.l1.set_bit(IO_A, 0x3F9);
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x3F8, 1)) == ExitOwner::l0);
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x3F8, 2)) == ExitOwner::l1); /* covers 0x3F9 */
    f.l1.set_bit(IO_B, 0x8000 & 0x7FFF);
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x7FFF, 2)) == ExitOwner::l1); /* into bitmap B */
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x7FFE, 2)) == ExitOwner::l0);
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0xFFFF, 2)) == ExitOwner::l1); /* wraps */
    /* A bitmap outside L1's RAM reads as all ones. */
    f.vmcs12.set(E::io_bitmap_a, 0xFFFFF000);
    CHECK(f.owner(ExitReason::io_instruction, io_qualification(0x80, 1)) == ExitOwner::l1);
}

UNIT_TEST(exit_reflection_reads_the_msr_bitmap_by_quarter)
{
    Fixture f;
    f.primary({});
    CHECK(msr_exits(f.vmcs12, 0x10, false, f.l1)); /* no bitmap: every MSR exits */
    f.primary({PrimaryProcessorControl::msr_bitmaps});
    CHECK(!msr_exits(f.vmcs12, 0x10, false, f.l1));
    f.l1.set_bit(MSRS, 0x10);                     /* read low */
    f.l1.set_bit(MSRS + 1024, 0x80 & 0x1FFF);     /* read high: 0xC0000080 */
    f.l1.set_bit(MSRS + 2048, 0x1B);              /* write low */
    f.l1.set_bit(MSRS + 3072, 0x100);             /* write high: 0xC0000100 */
    CHECK(msr_exits(f.vmcs12, 0x10, false, f.l1));
    CHECK(!msr_exits(f.vmcs12, 0x10, true, f.l1));
    CHECK(msr_exits(f.vmcs12, 0xC0000080, false, f.l1));
    CHECK(!msr_exits(f.vmcs12, 0xC0000080, true, f.l1));
    CHECK(msr_exits(f.vmcs12, 0x1B, true, f.l1));
    CHECK(!msr_exits(f.vmcs12, 0x1B, false, f.l1));
    CHECK(msr_exits(f.vmcs12, 0xC0000100, true, f.l1));
    CHECK(msr_exits(f.vmcs12, 0x40000000, false, f.l1)); /* outside both ranges */
    CHECK(msr_exits(f.vmcs12, 0x2000, true, f.l1));
    L2Exit wrmsr;
    wrmsr.reason = ExitReason::wrmsr;
    wrmsr.msr = 0x1B;
    CHECK(exit_owner(f.vmcs12, wrmsr, f.l1) == ExitOwner::l1);
    wrmsr.msr = 0x10;
    CHECK(exit_owner(f.vmcs12, wrmsr, f.l1) == ExitOwner::l0);
}

UNIT_TEST(exit_reflection_applies_the_page_fault_error_code_mask_and_match)
{
    Fixture f;
    f.vmcs12.set(E::exception_bitmap, (1u << 6) | (1u << 14));
    CHECK(exception_exits(f.vmcs12, 6, 0));
    CHECK(!exception_exits(f.vmcs12, 13, 0));
    /* Bit 14 set, mask and match 0: every #PF exits. */
    CHECK(exception_exits(f.vmcs12, 14, 0x2));
    /* Bit 14 set, only writes (mask 2, match 2). */
    f.vmcs12.set(E::page_fault_error_code_mask, 2);
    f.vmcs12.set(E::page_fault_error_code_match, 2);
    CHECK(exception_exits(f.vmcs12, 14, 0x3));
    CHECK(!exception_exits(f.vmcs12, 14, 0x1));
    /* Bit 14 clear: the non-matching ones exit. */
    f.vmcs12.set(E::exception_bitmap, 1u << 6);
    CHECK(!exception_exits(f.vmcs12, 14, 0x3));
    CHECK(exception_exits(f.vmcs12, 14, 0x1));
    L2Exit fault;
    fault.reason = ExitReason::exception_or_nmi;
    fault.interruption_information = 0x80000B0E; /* #PF, hardware exception, error code */
    fault.interruption_error_code = 0x1;
    CHECK(exit_owner(f.vmcs12, fault, f.l1) == ExitOwner::l1);
    fault.interruption_error_code = 0x2;
    CHECK(exit_owner(f.vmcs12, fault, f.l1) == ExitOwner::l0);
}

UNIT_TEST(exit_reflection_follows_the_cr_masks_shadows_and_cr3_targets)
{
    Fixture f;
    /* L1 owns CR0.PG and CR0.TS; its shadow says PG=1, TS=1. */
    f.vmcs12.set(E::cr0_guest_host_mask, CR0_PG | CR0_TS);
    f.vmcs12.set(E::cr0_read_shadow, CR0_PG | CR0_TS | CR0_PE);
    constexpr uint64_t MOV_TO_CR0 = 0x0, MOV_TO_CR3 = 0x3, MOV_TO_CR4 = 0x4, MOV_FROM_CR3 = 0x13, CLTS = 0x20;
    CHECK(f.cr_owner(MOV_TO_CR0, CR0_PG | CR0_TS | CR0_PE | CR0_WP) == ExitOwner::l0); /* owned bits unchanged */
    CHECK(f.cr_owner(MOV_TO_CR0, CR0_PG | CR0_PE) == ExitOwner::l1);                   /* TS would change */
    CHECK(f.cr_owner(CLTS, 0) == ExitOwner::l1);
    f.vmcs12.set(E::cr0_read_shadow, CR0_PG);
    CHECK(f.cr_owner(CLTS, 0) == ExitOwner::l0);
    /* LMSW (type 3, source in bits 31:16): sets PE while the owned shadow PE is 0. */
    f.vmcs12.set(E::cr0_guest_host_mask, CR0_PE);
    f.vmcs12.set(E::cr0_read_shadow, 0);
    CHECK(f.cr_owner(0x30 | (1ull << 16), 0) == ExitOwner::l1);
    CHECK(f.cr_owner(0x30 | (2ull << 16), 0) == ExitOwner::l0);
    f.vmcs12.set(E::cr4_guest_host_mask, CR4_VMXE);
    f.vmcs12.set(E::cr4_read_shadow, 0);
    CHECK(f.cr_owner(MOV_TO_CR4, CR4_PAE) == ExitOwner::l0);
    CHECK(f.cr_owner(MOV_TO_CR4, CR4_PAE | CR4_VMXE) == ExitOwner::l1);
    /* CR3: loads exit unless the value is one of the first count targets. */
    CHECK(f.cr_owner(MOV_TO_CR3, 0x5000) == ExitOwner::l0);
    f.primary({PrimaryProcessorControl::cr3_load_exiting});
    CHECK(f.cr_owner(MOV_TO_CR3, 0x5000) == ExitOwner::l1);
    f.vmcs12.set(E::cr3_target_value_1, 0x5000);
    f.vmcs12.set(E::cr3_target_count, 1);
    CHECK(f.cr_owner(MOV_TO_CR3, 0x5000) == ExitOwner::l1); /* target 1 is beyond the count */
    f.vmcs12.set(E::cr3_target_count, 2);
    CHECK(f.cr_owner(MOV_TO_CR3, 0x5000) == ExitOwner::l0);
    CHECK(f.cr_owner(MOV_FROM_CR3, 0) == ExitOwner::l0);
    f.primary({PrimaryProcessorControl::cr3_store_exiting});
    CHECK(f.cr_owner(MOV_FROM_CR3, 0) == ExitOwner::l1);
}

UNIT_TEST(exit_reflection_gives_l1_only_its_own_preemption_timer)
{
    Fixture f;
    L2Exit timer;
    timer.reason = ExitReason::preemption_timer_expired;
    CHECK(exit_owner(f.vmcs12, timer, f.l1) == ExitOwner::l0);
    f.vmcs12.set(E::pin_based_controls, uint32_t(vmx::PinBasedControl::preemption_timer));
    CHECK(exit_owner(f.vmcs12, timer, f.l1) == ExitOwner::l1);
    timer.l0_preemption_timer = true;
    CHECK(exit_owner(f.vmcs12, timer, f.l1) == ExitOwner::l0);
}
