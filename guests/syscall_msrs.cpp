/* Test guest "syscall_msrs": the five syscall MSRs (IA32_STAR, IA32_LSTAR,
 * IA32_CSTAR, IA32_FMASK, IA32_KERNEL_GS_BASE), which the hypervisor passes
 * through and switches with the host's lazily (kernel/arch/x86_64/syscall_msrs.h),
 * keep the guest's values while the host switches threads under it: each HLT
 * puts the VM's thread to sleep until the guest's next timer interrupt, so the
 * host runs other threads (another copy of this guest among them) in between,
 * and a busy phase keeps the guest running while host interrupts come and the
 * host preempts it. Values depend on "seed=N", so two copies hold different
 * ones. Kernel test hypervisor.guest_syscall_msrs_survive_host_thread_switches
 * runs it. Follows the Intel SDM (revision 084), Vol. 4, "IA32 Architectural
 * MSRs", and Vol. 2, "RDMSR", "WRMSR", "HLT". */
#include "common/cpu.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/interrupts.h"
#include "common/text.h"
#include "kernel/arch/x86_64/msr.h"

namespace guest {

const char GUEST_NAME[] = "syscall_msrs";

namespace {

constexpr uint32_t MSRS[] = {uint32_t(Msr::star), uint32_t(Msr::lstar), uint32_t(Msr::cstar), uint32_t(Msr::fmask),
                             uint32_t(Msr::kernel_gs_base)};
constexpr uint32_t COUNT = sizeof(MSRS) / sizeof(MSRS[0]);
constexpr uint32_t HALTS = 20;
constexpr uint32_t BUSY_TICKS = 30;
/* PIT channel 0 at about 1 kHz (1193182 Hz / 1193). */
constexpr uint16_t PIT_DIVISOR = 1193;

uint64_t read_msr(uint32_t msr)
{
    uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
    return uint64_t(high) << 32 | low;
}

void write_msr(uint32_t msr, uint64_t value)
{
    asm volatile("wrmsr" : : "c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)) : "memory");
}

/* Values no host would hold, different for each seed: canonical addresses for
 * LSTAR, CSTAR and KERNEL_GS_BASE, FMASK within its 32 defined bits. */
void pick_values(uint32_t seed, uint64_t (&values)[COUNT])
{
    values[0] = 0x0023001000000000ull | (uint64_t(seed) << 8);
    values[1] = 0xFFFFFFFF80001000ull + (uint64_t(seed) << 16);
    values[2] = 0xFFFFFFFF80002000ull + (uint64_t(seed) << 16);
    values[3] = 0x4700u | seed << 16;
    values[4] = 0xFFFF800000001000ull + (uint64_t(seed) << 24);
}

/* The first of the five that differs from `values`, or COUNT. */
uint32_t first_difference(const uint64_t (&values)[COUNT], uint64_t& seen)
{
    for (uint32_t i = 0; i < COUNT; ++i) {
        seen = read_msr(MSRS[i]);
        if (seen != values[i])
            return i;
    }
    return COUNT;
}

void check_values(const char* name, const uint64_t (&values)[COUNT], uint32_t rounds)
{
    uint64_t seen = 0;
    uint32_t wrong = first_difference(values, seen);
    Text reason;
    if (wrong != COUNT)
        reason.add("MSR ").add_hex(MSRS[wrong]).add(" reads ").add_hex(uint32_t(seen >> 32)).add(":")
            .add_hex(uint32_t(seen)).add(" after ").add_decimal(int32_t(rounds)).add(" rounds");
    check(name, wrong == COUNT, reason.c_str());
}

} // namespace

void guest_main()
{
    uint64_t values[COUNT];
    pick_values(command_line_seed(), values);
    for (uint32_t i = 0; i < COUNT; ++i)
        write_msr(MSRS[i], values[i]);
    check_values("values_read_back_at_once", values, 0);

    install_irq_handlers();
    program_pics(0xFFFE);
    program_pit(2, PIT_DIVISOR);
    asm volatile("sti");
    /* Each HLT sleeps the VM's thread until IRQ 0: a host thread switch. */
    uint32_t halts = 0;
    uint64_t seen = 0;
    for (; halts < HALTS && first_difference(values, seen) == COUNT; ++halts)
        asm volatile("hlt");
    check_values("values_survive_each_hlt", values, halts);

    /* Busy: the host's interrupts come and its scheduler may preempt the VM's
     * thread in the middle; the values are compared all the while. */
    uint32_t until = irq_counts[0] + BUSY_TICKS, spins = 0;
    while (irq_counts[0] < until && first_difference(values, seen) == COUNT)
        ++spins;
    check_values("values_survive_busy_ticks", values, spins);
    asm volatile("cli");

    /* A value written late replaces the old one for good. */
    values[1] += 0x1000;
    write_msr(MSRS[1], values[1]);
    asm volatile("sti; hlt; cli");
    check_values("lstar_written_again_survives_a_hlt", values, 1);
}

} // namespace guest
