/* In-kernel tests of the PIT tick and the TSC clock, run with test=time. The
 * tolerances allow for an emulator that a loaded build machine slows down: QEMU
 * may deliver a late tick, never an early one. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "drivers/pit8254.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

/* Waits (halting) until the tick count passes `after`. */
void wait_for_tick_after(uint64_t after)
{
    while (pit8254::ticks() <= after)
        cpu::enable_interrupts_and_halt();
}

uint64_t difference(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

uint64_t hook_calls = 0;
void count_hook_call(TrapFrame&) { ++hook_calls; }

} // namespace

KERNEL_TEST(time, tsc_calibration_is_plausible)
{
    /* Bochs runs its TSC at the emulated instruction rate (50 MHz here); real and
     * QEMU CPUs at hundreds of MHz to a few GHz. */
    EXPECT(clock::tsc_hz() >= 10'000'000);
    EXPECT(clock::tsc_hz() <= 20'000'000'000);
}

KERNEL_TEST(time, pit_ticks_at_programmed_rate_against_tsc)
{
    constexpr uint64_t TICKS = 200;
    wait_for_tick_after(pit8254::ticks());
    uint64_t first = pit8254::ticks();
    uint64_t start = cpu::rdtsc();
    wait_for_tick_after(first + TICKS - 1);
    uint64_t measured_ns = clock::tsc_to_nanoseconds(cpu::rdtsc() - start);
    uint64_t expected_ns = (pit8254::ticks() - first) * pit8254::TICK_NS;
    if (difference(measured_ns, expected_ns) > expected_ns / 10)
        t.fail("%lu ticks took %lu ns by the TSC, expected %lu ns", TICKS, measured_ns, expected_ns);
}

KERNEL_TEST(time, nanoseconds_advance_with_busy_wait)
{
    uint64_t before = clock::nanoseconds();
    clock::busy_wait_ns(3'000'000);
    uint64_t after = clock::nanoseconds();
    EXPECT(after - before >= 3'000'000);
    EXPECT(after - before < 100'000'000);
}

KERNEL_TEST(time, nanoseconds_agree_with_ticks)
{
    wait_for_tick_after(pit8254::ticks());
    uint64_t by_ticks = clock::ticks() * pit8254::TICK_NS;
    uint64_t by_tsc = clock::nanoseconds();
    /* Calibration ran within the first ticks, so both count from the timer's start;
     * lost ticks under a loaded emulator only make the tick count lag. */
    if (difference(by_ticks, by_tsc) > by_tsc / 10 + 5'000'000)
        t.fail("ticks say %lu ns, the TSC says %lu ns", by_ticks, by_tsc);
}

KERNEL_TEST(time, tick_hook_runs_on_every_tick)
{
    uint64_t first;
    {
        /* Setting the hook and reading the count at one instant, and the same
         * again at the end, makes the two counts comparable exactly. */
        InterruptGuard guard;
        hook_calls = 0;
        pit8254::set_tick_hook(count_hook_call);
        first = pit8254::ticks();
    }
    wait_for_tick_after(first + 10);
    uint64_t ticks;
    {
        InterruptGuard guard;
        pit8254::set_tick_hook(nullptr);
        ticks = pit8254::ticks() - first;
    }
    EXPECT(ticks > 10);
    EXPECT_EQ(hook_calls, ticks);
}
