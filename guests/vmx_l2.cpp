/* Test guest "vmx_l2": an L1 hypervisor (32-bit protected mode with paging, as
 * vmx_l1) that builds a minimal VMCS12 with EPT and unrestricted guest and runs
 * an L2 of a few instructions: MOV EAX, CPUID, OUT, a read beyond L1's EPT, HLT.
 * It checks the VM-entry failures hardware reports (Intel SDM revision 084, Vol.
 * 3C, "VM Entries": VMfailValid 8 for host state, exits 33 and 34 with bit 31
 * for guest state and MSR loading) and each reflected exit ("VM Exits": reason,
 * qualification, instruction length, guest-physical address, L2's registers
 * kept, L1 resumed at its host RIP and RSP).
 * The cases are split by subject: guests/vmx_l2/ holds the harness (vmx_l2.h),
 * the exits L0 handles for L1, the MSR areas, the fuzzer and the benchmark. */
#include "vmx_l2/vmx_l2.h"

namespace guest {

const char GUEST_NAME[] = "vmx_l2";

namespace l2 {
namespace {

void check_entry_failures()
{
    /* "Checks on Host Segment and Descriptor-Table Registers": TR selector not 0. */
    vmwrite(HOST_TR, 0);
    bool exited = enter_l2(true);
    Text reason;
    reason.add("flags ").add_hex(vmx_l2_flags).add(" error ").add_decimal(int32_t(vmread(VM_INSTRUCTION_ERROR)));
    check("vmlaunch_with_bad_host_state_fails_valid_8", !exited && failed_with_error(8), reason.c_str());
    vmwrite(HOST_TR, 0x18);

    /* "Checks on Guest RIP, RFLAGS, and SSP": RFLAGS bit 1 must be 1. A failed
     * guest-state check is an exit to L1 with reason 33 and bit 31. */
    vmwrite(GUEST_RFLAGS, 0);
    exited = enter_l2(true);
    check("vmlaunch_with_bad_guest_state_exits_to_host_rip", exited, "VMLAUNCH fell through");
    expect_value("bad_guest_state_exit_reason_is_33_with_bit_31", vmread(EXIT_REASON), 0x80000021);
    expect_value("bad_guest_state_exit_restores_host_rsp", vmx_l2_exit_esp, vmx_l2_host_esp);
    vmwrite(GUEST_RFLAGS, 2);

    /* "VM-Entry Failures During or After Loading Guest State": an x2APIC MSR in
     * the MSR-load area fails at its entry number (the qualification). */
    msr_area[0] = 0x808; /* x2APIC TPR */
    msr_area[1] = 0;
    vmwrite64(ENTRY_MSR_LOAD_ADDRESS, uint32_t(uintptr_t(msr_area)));
    vmwrite(ENTRY_MSR_LOAD_COUNT, 1);
    exited = enter_l2(true);
    check("vmlaunch_with_bad_msr_load_exits_to_host_rip", exited, "VMLAUNCH fell through");
    expect_value("bad_msr_load_exit_reason_is_34_with_bit_31", vmread(EXIT_REASON), 0x80000022);
    expect_value("bad_msr_load_exit_qualification_is_the_entry", vmread(EXIT_QUALIFICATION), 1);
    vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
}

uint32_t invept_single(uint64_t eptp)
{
    uint64_t descriptor[2] = {eptp, 0};
    uint32_t flags;
    asm volatile(EXPECT_FAULT("invept %1, %2") "pushfl\n\tpopl %0" : "=r"(flags) : "m"(descriptor), "r"(1u) : "memory", "cc");
    return flags;
}

/* "Save VMX-preemption timer value" (exit control bit 22): an exit that is not
 * the timer's stores what remains of it, neither 0 nor more than it started
 * with; entered again with that value, the timer goes on from there and ends
 * a spinning L2 with 0 saved. (L0 saved 0 at every exit, and our kernel as L1,
 * which writes the field only for a new deadline, took a preemption-timer exit
 * right after each entry.) The L1 timer is active (PIN bit 6) on entry. */
void check_saved_preemption_timer(uint32_t base)
{
    constexpr uint32_t SAVE_PREEMPTION_TIMER = 1u << 22, STARTED = 3000;
    if (!((read_msr(TRUE_EXIT) >> 32) & SAVE_PREEMPTION_TIMER))
        return;
    uint32_t exit_controls = vmread(EXIT_CONTROLS);
    vmwrite(EXIT_CONTROLS, exit_controls | SAVE_PREEMPTION_TIMER);
    vmwrite(PREEMPTION_TIMER, STARTED);
    vmwrite(GUEST_RIP, base + HLT_OFFSET);
    bool exited = enter_l2(false);
    uint32_t saved = vmread(PREEMPTION_TIMER);
    Text reason;
    reason.add("exit reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" saved ").add_decimal(int32_t(saved));
    check("l2_hlt_exit_saves_what_remains_of_l1s_preemption_timer",
          exited && vmread(EXIT_REASON) == 12 && saved > 0 && saved <= STARTED, reason.c_str());
    vmwrite(GUEST_RIP, base + SPIN_OFFSET);
    exited = enter_l2(false);
    saved = vmread(PREEMPTION_TIMER);
    Text spun;
    spun.add("exit reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" saved ").add_decimal(int32_t(saved));
    check("l2_timer_exit_after_a_saved_value_saves_0", exited && vmread(EXIT_REASON) == 52 && saved == 0,
          spun.c_str());
    vmwrite(EXIT_CONTROLS, exit_controls);
}

void check_exceptions_timer_and_invept(uint32_t base)
{
    /* "Exception Bitmap": L2's #UD exits to L1 when L1 asks, with the event in
     * the exit interruption information (valid, hardware exception, vector 6). */
    vmwrite(EXCEPTION_BITMAP, 1u << 6);
    vmwrite(GUEST_RIP, base + UD2_OFFSET);
    bool exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_ud2", exited, "VMRESUME fell through");
    expect_value("l2_ud2_exit_reason_is_0", vmread(EXIT_REASON), 0);
    expect_value("l2_ud2_exit_interruption_information", vmread(EXIT_INTERRUPTION), 0x80000306);
    /* Without it, the #UD is L2's: delivered through L2's IDT, which is all
     * zeros here, so #NP, #DF and a triple fault follow, an exit L1 always gets. */
    vmwrite(EXCEPTION_BITMAP, 0);
    exited = enter_l2(false);
    check("l2_ud2_not_intercepted_is_delivered_in_l2", exited && vmread(EXIT_REASON) == 2, "no triple-fault exit");

    /* The VMX-preemption timer of VMCS12 ends an L2 that spins. */
    if ((read_msr(TRUE_PINBASED) >> 32) & (1u << 6)) {
        uint32_t pin = vmread(PIN);
        vmwrite(PIN, pin | (1u << 6));
        vmwrite(PREEMPTION_TIMER, 200);
        vmwrite(GUEST_RIP, base + SPIN_OFFSET);
        exited = enter_l2(false);
        check("l2_spinning_ends_by_l1s_preemption_timer", exited && vmread(EXIT_REASON) == 52,
              "no preemption-timer exit");
        check_saved_preemption_timer(base);
        vmwrite(PIN, pin);
    }

    /* Nested EPT: L1 maps 4-6 MiB, L2 reads it; L1 unmaps it again and INVEPT
     * drops what the CPU (here: the shadow EPT) cached, so the read faults. */
    uint64_t eptp = uint32_t(uintptr_t(ept_pml4)) | 6 | (3 << 3);
    ept_pd[2] = 0x400000 | 7 | (6 << 3) | 0x80;
    vmwrite(GUEST_RIP, base + READ_4M_OFFSET);
    exited = enter_l2(false);
    check("l2_reads_a_page_l1_mapped_later", exited && vmread(EXIT_REASON) == 12, "did not reach its HLT");
    ept_pd[2] = 0;
    uint32_t flags = invept_single(eptp);
    check("invept_single_context_succeeds", !(flags & (RFLAGS_CF | (1u << 6))) && !fault_log().count, "failed");
    reset_fault_log();
    vmwrite(GUEST_RIP, base + READ_4M_OFFSET);
    exited = enter_l2(false);
    check("l2_read_after_l1_unmaps_and_invepts_faults", exited && vmread(EXIT_REASON) == 48 &&
          vmread(GUEST_PHYSICAL_ADDRESS) == 0x400000, "the stale mapping was used");
}

void check_l2_runs()
{
    uint32_t base = uint32_t(uintptr_t(l2_code));
    bool exited = enter_l2(true);
    Text reason;
    reason.add("flags ").add_hex(vmx_l2_flags).add(" error ").add_decimal(int32_t(vmread(VM_INSTRUCTION_ERROR)));
    check("vmlaunch_runs_l2_until_its_cpuid", exited, reason.c_str());
    if (!exited)
        return;
    expect_value("l2_cpuid_exit_reason_is_10", vmread(EXIT_REASON), 10);
    expect_value("l2_cpuid_exit_instruction_length_is_2", vmread(EXIT_INSTRUCTION_LENGTH), 2);
    expect_value("l2_cpuid_exit_guest_rip", vmread(GUEST_RIP), base + CPUID_OFFSET);
    expect_value("l2_registers_reach_l1_at_the_exit", vmx_l2_eax, 0x1234);
    expect_value("l2_exit_restores_host_rsp", vmx_l2_exit_esp, vmx_l2_host_esp);

    vmwrite(GUEST_RIP, base + OUT_OFFSET);
    exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_out", exited, "VMRESUME fell through");
    expect_value("l2_out_exit_reason_is_30", vmread(EXIT_REASON), 30);
    /* "Exit Qualification for I/O Instructions": size 1 (0), OUT (bit 3 clear), an
     * immediate port (bit 6), port 80H in 31:16. */
    expect_value("l2_out_exit_qualification", vmread(EXIT_QUALIFICATION), 0x800040);

    vmwrite(GUEST_RIP, base + READ_OFFSET);
    exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_ept_violation", exited, "VMRESUME fell through");
    expect_value("l2_read_outside_l1_ept_exit_reason_is_48", vmread(EXIT_REASON), 48);
    expect_value("l2_ept_violation_guest_physical_address", vmread(GUEST_PHYSICAL_ADDRESS), 0x500000);
    /* A data read (bit 0), not readable/writable/executable in L1's EPT (bits 5:3 clear). */
    expect_value("l2_ept_violation_qualification_access_and_rights", vmread(EXIT_QUALIFICATION) & 0x3F, 1);

    vmwrite(GUEST_RIP, base + HLT_OFFSET);
    exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_hlt", exited, "VMRESUME fell through");
    expect_value("l2_hlt_exit_reason_is_12", vmread(EXIT_REASON), 12);
    check_msr_areas(base);
    check_msr_areas_efer_pat_tsc(base);
    check_syscall_msrs(base);
    check_exceptions_timer_and_invept(base);
    check_l0_acts_for_l1(base);
    check_l2_reaches_l1_devices(base);
    check_l2_reads_its_tsc(base);
}

} // namespace
} // namespace l2

void guest_main()
{
    using namespace l2;
    reset_fault_log();
    if (!(cpuid(1).ecx & CPUID_1_ECX_VMX)) {
        check("cpuid_shows_vmx", false, "CPUID.1:ECX[5] is clear: is vm_nested=off?");
        return;
    }
    load_gdt_with_tss();
    enable_paging_and_vmx();
    uint32_t revision = uint32_t(read_msr(IA32_VMX_BASIC)) & 0x7FFFFFFF;
    *reinterpret_cast<volatile uint32_t*>(vmxon_region) = revision;
    *reinterpret_cast<volatile uint32_t*>(vmcs) = revision;
    uint32_t flags = vmxon(uint32_t(uintptr_t(vmxon_region)));
    flags |= vmclear(uint32_t(uintptr_t(vmcs)));
    flags |= vmptrld(uint32_t(uintptr_t(vmcs)));
    check("vmxon_vmclear_vmptrld_succeed", !(flags & (RFLAGS_CF | (1u << 6))) && !fault_log().count, "failed");
    reset_fault_log();
    write_vmcs12();
    check("vmcs12_fields_written", all_written, "a VMWRITE failed");
    reset_fault_log();
    if (command_line_has("bench")) {
        run_bench();
        return;
    }
    check_entry_failures();
    check_l2_runs();
    check_fuzzed_guest_state(uint32_t(uintptr_t(l2_code)));
}

} // namespace guest
