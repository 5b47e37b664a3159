/* CR8 is the local APIC's task priority (Intel SDM revision 084, Vol. 3A, "Task
 * Priority Register (TPR)" and "Interaction of Task Priorities between CR8 and
 * APIC"): CR8[3:0] = TPR[7:4], both ways. True on any 64-bit CPU with an APIC;
 * in a Matryoshka guest it proves that MOV CR8 reaches the VM's emulated APIC
 * and never the host's. In the "devices" set, which the guest-kernel system
 * test runs (tests/system/test_hypervisor.py). */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "arch/x86_64/msr.h"
#include "drivers/pic8259.h"
#include "mm/direct_map.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

constexpr uint32_t CPUID1_EDX_APIC = 1u << 9;
constexpr uint64_t APIC_BASE_ENABLE = 1ull << 11;
constexpr uint64_t APIC_BASE_ADDRESS = 0xFFFFFF000ull;
constexpr uint32_t TPR_INDEX = 0x80 / 4;

bool has_enabled_apic()
{
    return (cpu::cpuid(1).edx & CPUID1_EDX_APIC) && (cpu::rdmsr(Msr::apic_base) & APIC_BASE_ENABLE);
}

} // namespace

KERNEL_TEST(devices, cr8_is_the_local_apic_task_priority)
{
    if (!has_enabled_apic())
        return; /* no APIC: no CR8 to compare with */
    uint64_t base = cpu::rdmsr(Msr::apic_base);
    auto* apic = phys_to_virt<volatile uint32_t>(base & APIC_BASE_ADDRESS);
    InterruptGuard guard; /* a raised priority must not hold back this CPU's own interrupts for long */
    uint64_t saved = cpu::read_cr8();
    cpu::write_cr8(3);
    EXPECT_EQ(apic[TPR_INDEX] & 0xF0, 0x30u);
    apic[TPR_INDEX] = 0x50;
    EXPECT_EQ(cpu::read_cr8(), uint64_t(5));
    cpu::write_cr8(saved);
    EXPECT_EQ(cpu::read_cr8(), saved);
}

/* MOV to CR8 while an interrupt waits with interrupts off. Under a hypervisor the
 * waiting IRQ is an open interrupt window, where QEMU 7.2's SVM once aborted on
 * the guest's CR8 write (svm::SvmVcpu::request_interrupt_window); the write must
 * take effect and the interrupt come once interrupts are on. The PIT's IRQ 0 is
 * what waits: the tick runs while this test's thread does. */
KERNEL_TEST(devices, cr8_write_while_an_interrupt_waits)
{
    if (!has_enabled_apic())
        return;
    uint64_t ticks_before = 0;
    {
        InterruptGuard guard;
        ticks_before = clock::ticks();
        uint64_t give_up = cpu::rdtsc() + clock::tsc_hz() / 10; /* 100 tick periods */
        bool requested = false;
        while (!requested && cpu::rdtsc() < give_up)
            requested = pic8259::read_requests() & 1;
        EXPECT(requested);
        (void)cpu::cpuid(0); /* one more exit under a hypervisor: the window is asked for */
        uint64_t saved = cpu::read_cr8();
        cpu::write_cr8(2);
        EXPECT_EQ(cpu::read_cr8(), uint64_t(2));
        cpu::write_cr8(saved);
        EXPECT_EQ(cpu::read_cr8(), saved);
        EXPECT_EQ(clock::ticks(), ticks_before);
    }
    /* Interrupts on: the waiting tick is taken. */
    uint64_t give_up = cpu::rdtsc() + clock::tsc_hz() / 10;
    while (clock::ticks() == ticks_before && cpu::rdtsc() < give_up)
        cpu::pause();
    EXPECT(clock::ticks() > ticks_before);
}
