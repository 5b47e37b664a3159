/* The five MSRs of SYSCALL/SYSRET and SWAPGS (IA32_STAR, IA32_LSTAR, IA32_CSTAR,
 * IA32_FMASK, IA32_KERNEL_GS_BASE), switched lazily between the host and a
 * guest: a VM's values are loaded with WRMSR before its first VM entry and stay
 * in the CPU across VM exits while its thread runs; the host's go back only when
 * the host could need them: before the scheduler switches threads, and when the
 * VM's run loop returns (KVM calls these "user-return MSRs"). No VM-entry or
 * VM-exit MSR area walks them at every entry and exit (Intel SDM revision 084,
 * Vol. 3C, "VM-Entry Controls for MSRs", "VM-Exit Controls for MSRs": under a
 * hypervisor that emulates VMX, each area costs thousands of cycles per exit).
 *
 * Why ring-0 host code may run with a guest's values loaded: the five only take
 * effect in SYSCALL, SYSRET and SWAPGS. The host executes SYSRET only on the way
 * back to a user program, and SYSCALL only arrives from one, both outside any VM
 * thread's run loop (a thread switch or the loop's return comes first); it never
 * executes SWAPGS (interrupt_entry.S: the kernel keeps nothing in GS), and its
 * interrupt and exception entries read none of the five. An interrupt or NMI
 * taken meanwhile runs host ring-0 code and returns to ring 0.
 *
 * One CPU: "the CPU" and "who owns the MSRs" are one global each. */
#pragma once
#include "arch/x86_64/msr.h"

#include <stddef.h>
#include <stdint.h>

namespace syscall_msrs {

constexpr Msr MSRS[] = {Msr::star, Msr::lstar, Msr::cstar, Msr::fmask, Msr::kernel_gs_base};
constexpr size_t COUNT = sizeof(MSRS) / sizeof(MSRS[0]);

/* Where `msr` is in MSRS, or COUNT when it is none of them. */
constexpr size_t index_of(Msr msr)
{
    for (size_t i = 0; i < COUNT; ++i)
        if (MSRS[i] == msr)
            return i;
    return COUNT;
}

/* One guest's values. While they are loaded (owner() == this) the CPU holds
 * the live ones (the guest's RDMSR/WRMSR of them do not exit) and `values` is
 * stale; otherwise `values` is the truth. Zero at power-on (SDM Vol. 3A,
 * "IA32_STAR ... after reset"). */
struct GuestValues {
    uint64_t values[COUNT] = {};
};

/* Makes `guest`'s values the CPU's, unless they are already: another guest's
 * go back to it first and the host's are read once (they never change while
 * a guest's are loaded). MSRs whose guest value equals what the CPU holds are
 * not written. Interrupts off, and they must stay off until the VM entry:
 * a thread switch in between would take the values out again. */
void load_guest(GuestValues& guest);
/* If a guest's values are loaded: reads them back into its GuestValues and
 * loads the host's. Cheap when none is (one comparison), so the scheduler calls
 * it before every thread switch. Interrupts off. */
void restore_host();
/* The guest whose values the CPU holds, or nullptr (the host's). */
const GuestValues* owner();

/* `guest`'s value of MSRS[index], from the CPU while loaded. */
uint64_t read(GuestValues& guest, size_t index);
/* Sets `guest`'s value of MSRS[index], in the CPU while loaded. The caller
 * checked the value as WRMSR would (a non-canonical LSTAR raises #GP). */
void write(GuestValues& guest, size_t index, uint64_t value);

/* For tests and diagnostics: how often values went in and out since boot. */
struct Statistics {
    uint64_t guest_loads = 0;
    uint64_t host_restores = 0;
};
Statistics statistics();

} // namespace syscall_msrs
