/* In-kernel tests of the lazily switched syscall MSRs (set "sched",
 * arch/x86_64/syscall_msrs.h), without a VM, so they run in QEMU too: a guest's
 * values loaded into the CPU go out at the next thread switch (the thread that
 * runs next finds the host's), keep what was written to the CPU meanwhile (a
 * guest's passed-through WRMSR), and give way to another guest's. The VM-level
 * test is hypervisor.guest_syscall_msrs_survive_host_thread_switches. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/syscall_msrs.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"

namespace {

using syscall_msrs::COUNT;
using syscall_msrs::MSRS;

volatile uint64_t seen_by_other_thread[COUNT];

void read_syscall_msrs(void*)
{
    for (size_t i = 0; i < COUNT; ++i)
        seen_by_other_thread[i] = cpu::rdmsr(MSRS[i]);
}

void read_cpu(uint64_t (&values)[COUNT])
{
    for (size_t i = 0; i < COUNT; ++i)
        values[i] = cpu::rdmsr(MSRS[i]);
}

/* No host value: canonical addresses where the SDM wants them, FMASK's high half clear. */
void fill_guest(syscall_msrs::GuestValues& guest, uint64_t tag)
{
    guest.values[0] = 0x0033002000000000ull | tag;
    guest.values[1] = 0xFFFF800012340000ull + (tag << 12);
    guest.values[2] = 0xFFFF800056780000ull + (tag << 12);
    guest.values[3] = 0x300 | tag;
    guest.values[4] = 0xFFFF8000ABC00000ull + (tag << 12);
}

} // namespace

KERNEL_TEST(sched, guest_syscall_msrs_go_out_at_a_thread_switch_and_keep_what_the_guest_wrote)
{
    uint64_t host[COUNT];
    read_cpu(host);
    syscall_msrs::GuestValues guest;
    fill_guest(guest, 1);
    uint64_t expected[COUNT];
    for (size_t i = 0; i < COUNT; ++i)
        expected[i] = guest.values[i];
    expected[1] += 0x1000;
    uint64_t restores = syscall_msrs::statistics().host_restores;

    cpu::cli();
    syscall_msrs::load_guest(guest);
    EXPECT(syscall_msrs::owner() == &guest);
    uint64_t loaded[COUNT];
    read_cpu(loaded);
    /* A guest's WRMSR of LSTAR goes straight to the CPU (the MSR bitmap passes it). */
    cpu::wrmsr(Msr::lstar, expected[1]);
    for (size_t i = 0; i < COUNT; ++i)
        seen_by_other_thread[i] = 0;
    Thread* other = Scheduler::instance().spawn(read_syscall_msrs, nullptr, "syscall msrs");
    EXPECT(other != nullptr);
    if (other)
        Scheduler::instance().join(other); /* switches to `other` and back */
    const syscall_msrs::GuestValues* owner = syscall_msrs::owner();
    uint64_t after[COUNT];
    read_cpu(after);
    syscall_msrs::restore_host();
    cpu::sti();

    EXPECT(owner == nullptr);
    EXPECT(syscall_msrs::statistics().host_restores > restores);
    for (size_t i = 0; i < COUNT; ++i) {
        EXPECT_EQ(loaded[i], i == 1 ? expected[1] - 0x1000 : expected[i]);
        EXPECT_EQ(seen_by_other_thread[i], host[i]);
        EXPECT_EQ(after[i], host[i]);
        EXPECT_EQ(guest.values[i], expected[i]);
    }
}

KERNEL_TEST(sched, second_guest_takes_the_syscall_msrs_from_the_first_and_each_keeps_its_own)
{
    uint64_t host[COUNT];
    read_cpu(host);
    syscall_msrs::GuestValues first, second;
    fill_guest(first, 2);
    fill_guest(second, 3);
    size_t fmask = syscall_msrs::index_of(Msr::fmask);
    size_t kernel_gs_base = syscall_msrs::index_of(Msr::kernel_gs_base);
    EXPECT(fmask < COUNT && kernel_gs_base < COUNT);
    EXPECT_EQ(syscall_msrs::index_of(Msr::efer), COUNT);

    cpu::cli();
    syscall_msrs::load_guest(first);
    cpu::wrmsr(Msr::kernel_gs_base, 0xFFFF8000CAFE0000ull);
    /* read()/write() reach the CPU while `first` is loaded, the copy otherwise. */
    uint64_t first_fmask_live = syscall_msrs::read(first, fmask);
    syscall_msrs::write(first, fmask, 0x700);
    uint64_t cpu_fmask = cpu::rdmsr(Msr::fmask);
    syscall_msrs::write(second, fmask, 0x4700);
    syscall_msrs::load_guest(second);
    uint64_t second_cpu[COUNT];
    read_cpu(second_cpu);
    uint64_t first_kernel_gs_base = syscall_msrs::read(first, kernel_gs_base);
    syscall_msrs::load_guest(first);
    uint64_t first_cpu[COUNT];
    read_cpu(first_cpu);
    syscall_msrs::restore_host();
    uint64_t host_after[COUNT];
    read_cpu(host_after);
    const syscall_msrs::GuestValues* owner = syscall_msrs::owner();
    cpu::sti();

    EXPECT(owner == nullptr);
    EXPECT_EQ(first_fmask_live, 0x300u | 2u);
    EXPECT_EQ(cpu_fmask, 0x700u);
    EXPECT_EQ(first_kernel_gs_base, 0xFFFF8000CAFE0000ull);
    for (size_t i = 0; i < COUNT; ++i) {
        EXPECT_EQ(second_cpu[i], i == fmask ? 0x4700u : second.values[i]);
        EXPECT_EQ(first_cpu[i], first.values[i]);
        EXPECT_EQ(host_after[i], host[i]);
    }
    EXPECT_EQ(first.values[fmask], 0x700u);
    EXPECT_EQ(first.values[kernel_gs_base], 0xFFFF8000CAFE0000ull);
}
