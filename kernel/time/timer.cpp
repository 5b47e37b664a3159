/* The timer core and tickless idle; see timer.h. */
#include "time/timer.h"

#include "arch/x86_64/interrupt_guard.h"
#include "drivers/pit8254.h"
#include "time/clock.h"

namespace timer {

namespace {

constexpr uint64_t NS_PER_SECOND = 1'000'000'000;

DeadlineQueue queue;
bool tickless_on = true;
bool stopped = false;
/* When the tick stopped: the periods missed meanwhile are added to ticks(). */
uint64_t stopped_at_ns = 0;
/* A one-shot is counting down for `one_shot_for` (NO_DEADLINE: clamped to the
 * longest count, so it wakes before any deadline). */
bool one_shot_counting = false;
uint64_t one_shot_for = NO_DEADLINE;
Statistics stats = {};

void on_one_shot(TrapFrame&)
{
    /* Nothing counts now: a deadline armed before the CPU idles again must
     * program its own one-shot (see arm()). */
    one_shot_counting = false;
    one_shot_for = NO_DEADLINE;
    expire_due(clock::nanoseconds());
}

void program_one_shot(uint64_t due, uint64_t now)
{
    uint64_t delay = due > now ? due - now : 0;
    uint32_t counts = one_shot_counts(delay);
    pit8254::arm_one_shot_tick(counts);
    one_shot_counting = true;
    one_shot_for = due != NO_DEADLINE && counts < pit8254::MAX_ONE_SHOT_COUNTS ? due : NO_DEADLINE;
    ++stats.one_shots_armed;
}

/* Stops the periodic tick (once) and makes sure a one-shot waits for the
 * earliest deadline. Interrupts off. */
void stop_tick(uint64_t& entries)
{
    if (!tickless_on || !clock::tsc_hz())
        return;
    uint64_t now = clock::nanoseconds();
    if (!stopped) {
        stopped = true;
        stopped_at_ns = now;
        one_shot_counting = false;
    }
    ++entries;
    uint64_t due = queue.earliest();
    /* Already counting down to this very deadline (an interrupt other than the
     * timer's woke the CPU): nothing to program. */
    if (one_shot_counting && one_shot_for == due && due != NO_DEADLINE)
        return;
    program_one_shot(due, now);
}

} // namespace

uint32_t one_shot_counts(uint64_t delay_ns)
{
    /* ceil(delay * 1193182 / 10^9), split so that no product overflows. */
    uint64_t whole_seconds = delay_ns / NS_PER_SECOND;
    if (whole_seconds >= 1)
        return pit8254::MAX_ONE_SHOT_COUNTS;
    uint64_t counts = (delay_ns * pit8254::INPUT_HZ + NS_PER_SECOND - 1) / NS_PER_SECOND;
    if (counts == 0)
        return 1;
    return counts > pit8254::MAX_ONE_SHOT_COUNTS ? pit8254::MAX_ONE_SHOT_COUNTS : uint32_t(counts);
}

void arm(Deadline& deadline, uint64_t due_ns)
{
    InterruptGuard guard;
    queue.insert(deadline, due_ns);
    /* The tick is stopped and no one-shot waits for anything earlier: this
     * deadline must program its own (a fire function, an interrupt handler, or
     * the one thread that runs while the CPU has nothing else to do). */
    if (stopped && due_ns < one_shot_for)
        program_one_shot(due_ns, clock::nanoseconds());
}

bool cancel(Deadline& deadline)
{
    InterruptGuard guard;
    return queue.remove(deadline);
}

uint64_t next_due_ns()
{
    InterruptGuard guard;
    return queue.earliest();
}

void expire_due(uint64_t now_ns)
{
    InterruptGuard guard;
    while (Deadline* due = queue.pop_due(now_ns)) {
        ++stats.deadlines_fired;
        if (due->fire)
            due->fire(due->context);
    }
}

void stop_tick_while_idle()
{
    InterruptGuard guard;
    stop_tick(stats.idle_entries);
}

void stop_tick_while_alone()
{
    InterruptGuard guard;
    /* The common case, once per VM exit the run loop handles: the tick is
     * stopped and a one-shot counts down. A deadline armed since programmed
     * its own one-shot when it was earlier (arm()), so nothing is to do. */
    if (stopped && one_shot_counting)
        return;
    stop_tick(stats.alone_entries);
}

void resume_tick()
{
    InterruptGuard guard;
    if (!stopped)
        return;
    uint64_t missed = (clock::nanoseconds() - stopped_at_ns) / pit8254::tick_ns();
    pit8254::resume_periodic_tick(missed);
    stopped = false;
    one_shot_counting = false;
    one_shot_for = NO_DEADLINE;
    ++stats.tick_resumes;
}

bool tick_stopped() { return stopped; }

void set_tickless(bool on)
{
    tickless_on = on;
    if (!on)
        resume_tick();
}

bool tickless() { return tickless_on; }

Statistics statistics()
{
    InterruptGuard guard;
    return stats;
}

void init() { pit8254::set_one_shot_hook(on_one_shot); }

} // namespace timer
