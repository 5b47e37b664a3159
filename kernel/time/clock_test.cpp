/* In-kernel tests of the PIT tick and the TSC clock, run with test=time. The
 * tolerances allow for an emulator that a loaded build machine slows down: QEMU
 * may deliver a tick late or merge two, never deliver one early. */
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

KERNEL_TEST(time, tsc_frequency_is_the_one_our_hypervisor_reports)
{
    uint64_t reported = clock::measure_tsc_hz(clock::CalibrationMethod::hypervisor);
    if (!reported) {
        t.skip("not the guest of our hypervisor: the TSC was measured with the PIT");
        return;
    }
    EXPECT_EQ(clock::tsc_hz(), reported);
    /* And it is the right one: the PIT (the hypervisor's model, on its own
     * clock) agrees within the one-shot's granularity. */
    uint64_t measured = clock::measure_tsc_hz(clock::CalibrationMethod::pit_one_shot);
    if (measured && (measured > reported * 102 / 100 || measured < reported * 98 / 100))
        t.fail("reported %lu Hz, the PIT one-shot measures %lu Hz", reported, measured);
}

KERNEL_TEST(time, pit_counter_runs_with_programmed_divisor)
{
    /* Mode 2 counts tick_counts() down to 1 and reloads: sampled for a few
     * ticks, the counter stays in that range and covers most of it. */
    uint16_t lowest = 0xFFFF, highest = 0;
    uint64_t end = pit8254::ticks() + 4;
    for (int samples = 0; samples < 1'000'000 && pit8254::ticks() < end; ++samples) {
        uint16_t count = pit8254::read_tick_counter();
        lowest = count < lowest ? count : lowest;
        highest = count > highest ? count : highest;
    }
    uint32_t counts = pit8254::tick_counts();
    EXPECT(highest <= counts);
    EXPECT(highest >= counts * 9 / 10);
    EXPECT(lowest <= counts / 10);
}

KERNEL_TEST(time, pit_ticks_at_programmed_rate_against_tsc)
{
    /* The median tick interval, timed with the TSC calibrated through channel 2
     * at boot. An emulator whose host is busy merges ticks (QEMU then delivers
     * every second one), so an interval may come out longer, never shorter:
     * the lower bound is tight, the upper one only says that ticks keep coming.
     * The exact divisor is checked by pit_counter_runs_with_programmed_divisor. */
    uint64_t by_ticks_hz = clock::measure_tsc_hz(clock::CalibrationMethod::pit_ticks);
    EXPECT(by_ticks_hz != 0);
    uint64_t interval_ns = uint64_t((unsigned __int128)by_ticks_hz * pit8254::tick_ns() / clock::tsc_hz());
    if (interval_ns < pit8254::tick_ns() * 95 / 100)
        t.fail("ticks come every %lu ns, faster than the programmed %lu ns", interval_ns, pit8254::tick_ns());
    if (interval_ns > 10 * pit8254::tick_ns())
        t.fail("ticks come only every %lu ns, programmed %lu ns", interval_ns, pit8254::tick_ns());
}

KERNEL_TEST(time, nanoseconds_advance_with_busy_wait)
{
    uint64_t before = clock::nanoseconds();
    clock::busy_wait_ns(3'000'000);
    uint64_t after = clock::nanoseconds();
    EXPECT(after - before >= 3'000'000);
    EXPECT(after - before < 100'000'000);
}

KERNEL_TEST(time, nanoseconds_never_lag_ticks_and_never_go_back)
{
    /* Both clocks count from the timer's start. Ticks can be lost (a preempted
     * emulator merges them), TSC time cannot, so the TSC clock is never behind
     * the tick count by more than rounding and the calibration error. */
    wait_for_tick_after(pit8254::ticks());
    uint64_t by_ticks = clock::ticks() * pit8254::tick_ns();
    uint64_t by_tsc = clock::nanoseconds();
    if (by_tsc + by_ticks / 100 + pit8254::tick_ns() < by_ticks)
        t.fail("ticks say %lu ns, the TSC only %lu ns", by_ticks, by_tsc);
    uint64_t previous = clock::nanoseconds();
    for (int i = 0; i < 10000; ++i) {
        uint64_t now = clock::nanoseconds();
        if (now < previous) {
            t.fail("nanoseconds went back from %lu to %lu", previous, now);
            return;
        }
        previous = now;
    }
}

KERNEL_TEST(time, tick_hook_runs_on_every_tick)
{
    uint64_t first;
    pit8254::TickHook previous_hook;
    {
        /* Setting the hook and reading the count at one instant, and the same
         * again at the end, makes the two counts comparable exactly. */
        InterruptGuard guard;
        hook_calls = 0;
        previous_hook = pit8254::set_tick_hook(count_hook_call);
        first = pit8254::ticks();
    }
    wait_for_tick_after(first + 10);
    uint64_t ticks;
    {
        InterruptGuard guard;
        pit8254::set_tick_hook(previous_hook);
        ticks = pit8254::ticks() - first;
    }
    EXPECT(ticks > 10);
    EXPECT_EQ(hook_calls, ticks);
}
