/* In-kernel tests of the timer core and tickless idle (set "timer"): the deadline
 * queue's order, the one-shot's count, deadlines near, far, past and cancelled,
 * many sleeping threads, an idle second that takes few timer interrupts while
 * sleeps still end on time, and a thread alone on the CPU (a VM thread's case)
 * that runs without the tick until a second thread wants its share. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "drivers/pit8254.h"
#include "interrupts/irq.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"
#include "time/clock.h"
#include "time/timer.h"

namespace {

/* Fire functions record the order they ran in and when. */
constexpr int RECORDED = 40;
volatile int fired_count = 0;
int fired_order[RECORDED];
uint64_t fired_at[RECORDED];

void record_fire(void* context)
{
    int index = fired_count;
    if (index < RECORDED) {
        fired_order[index] = int(reinterpret_cast<intptr_t>(context));
        fired_at[index] = clock::nanoseconds();
    }
    fired_count = index + 1;
}

void reset_record()
{
    fired_count = 0;
    memset(fired_order, 0xFF, sizeof(fired_order));
}

/* Waits (sleeping) until `count` fire functions ran or `limit_ns` went by. */
void sleep_until_fired(int count, uint64_t limit_ns)
{
    uint64_t end = clock::nanoseconds() + limit_ns;
    while (fired_count < count && clock::nanoseconds() < end)
        Scheduler::instance().sleep_ns(clock::NS_PER_MS);
}

constexpr int SLEEPERS = 16;
struct SleeperRecord {
    uint64_t asked_ns;
    uint64_t deadline_ns;
    uint64_t woke_ns;
    int wake_rank;
};
SleeperRecord sleepers[SLEEPERS];
volatile int wake_rank = 0;

void sleeper(void* argument)
{
    SleeperRecord& record = sleepers[reinterpret_cast<intptr_t>(argument)];
    record.deadline_ns = clock::nanoseconds() + record.asked_ns;
    Scheduler::instance().sleep_ns(record.asked_ns);
    record.woke_ns = clock::nanoseconds();
    cpu::cli();
    record.wake_rank = wake_rank;
    wake_rank = wake_rank + 1;
    cpu::sti();
}

/* CPUID.1:ECX[31] set, and not our own signature: QEMU's TCG, whose clocks follow
 * its host's time, so a busy build machine makes any wake-up late there; the
 * lateness bounds hold in Bochs (emulated time) and on hardware. */
bool foreign_hypervisor()
{
    if (!(cpu::cpuid(1).ecx & (1u << 31)))
        return false;
    return strcmp(log_source(), "guest") != 0;
}

uint64_t allowed_lateness_ns(uint64_t exact_ns) { return foreign_hypervisor() ? 100 * clock::NS_PER_MS : exact_ns; }

/* Busy for `ns` with interrupts on: the CPU is never given up. */
void spin_ns(uint64_t ns)
{
    uint64_t end = clock::nanoseconds() + ns;
    while (clock::nanoseconds() < end)
        cpu::pause();
}

volatile bool second_thread_ran = false;

void note_second_thread_ran(void*) { second_thread_ran = true; }

} // namespace

KERNEL_TEST(timer, deadline_queue_keeps_due_order_and_fifo_among_equals)
{
    timer::DeadlineQueue queue;
    timer::Deadline d[6];
    const uint64_t due[] = {50, 10, 30, 10, 40, 10};
    for (int i = 0; i < 6; ++i)
        queue.insert(d[i], due[i]);
    EXPECT_EQ(queue.size(), size_t(6));
    EXPECT_EQ(queue.earliest(), uint64_t(10));
    /* Due at 29: the three 10s, in the order they were armed, and nothing more. */
    EXPECT(queue.pop_due(29) == &d[1]);
    EXPECT(queue.pop_due(29) == &d[3]);
    EXPECT(queue.pop_due(29) == &d[5]);
    EXPECT(queue.pop_due(29) == nullptr);
    EXPECT_EQ(queue.earliest(), uint64_t(30));
    EXPECT(queue.pop_due(1000) == &d[2]);
    EXPECT(queue.pop_due(1000) == &d[4]);
    EXPECT(queue.pop_due(1000) == &d[0]);
    EXPECT(queue.empty());
    EXPECT_EQ(queue.earliest(), timer::NO_DEADLINE);
}

KERNEL_TEST(timer, rearm_moves_and_cancel_removes_once)
{
    timer::DeadlineQueue queue;
    timer::Deadline early, late, never;
    queue.insert(early, 10);
    queue.insert(late, 20);
    queue.insert(early, 30); /* moved behind `late`, not queued twice */
    EXPECT_EQ(queue.size(), size_t(2));
    EXPECT(queue.pop_due(25) == &late);
    EXPECT(queue.pop_due(25) == nullptr);
    EXPECT(queue.remove(early));
    EXPECT(!queue.remove(early));
    EXPECT(!queue.remove(never));
    EXPECT(!early.armed());
    EXPECT(queue.empty());
}

KERNEL_TEST(timer, one_shot_count_rounds_up_and_clamps)
{
    EXPECT_EQ(timer::one_shot_counts(0), 1u);   /* due or past: the shortest count */
    EXPECT_EQ(timer::one_shot_counts(1), 1u);
    EXPECT_EQ(timer::one_shot_counts(838), 1u); /* 838 ns = 0.99989 clocks */
    EXPECT_EQ(timer::one_shot_counts(839), 2u); /* never early: rounded up */
    EXPECT_EQ(timer::one_shot_counts(clock::NS_PER_MS), 1194u);
    EXPECT_EQ(timer::one_shot_counts(54'900'000), 65506u);
    EXPECT_EQ(timer::one_shot_counts(54'930'000), pit8254::MAX_ONE_SHOT_COUNTS); /* beyond 16 bits */
    EXPECT_EQ(timer::one_shot_counts(999'999'999), pit8254::MAX_ONE_SHOT_COUNTS);
    EXPECT_EQ(timer::one_shot_counts(timer::NO_DEADLINE), pit8254::MAX_ONE_SHOT_COUNTS);
}

KERNEL_TEST(timer, deadlines_fire_in_due_order_never_early)
{
    reset_record();
    constexpr int COUNT = 24;
    static timer::Deadline deadlines[COUNT];
    uint64_t base = clock::nanoseconds() + 2 * clock::NS_PER_MS;
    uint64_t due[COUNT];
    /* A scrambled order of arming (slot 7 * i mod 24 at step i). Slots 13 and 14
     * share their time, and 14 is armed first (step 2, 13 at step 19): equal
     * times fire in the order they were armed. */
    for (int i = 0; i < COUNT; ++i) {
        int slot = (i * 7) % COUNT;
        due[slot] = base + uint64_t(slot == 14 ? 13 : slot) * 300'000;
    }
    for (int i = 0; i < COUNT; ++i) {
        int slot = (i * 7) % COUNT;
        deadlines[slot].fire = record_fire;
        deadlines[slot].context = reinterpret_cast<void*>(intptr_t(slot));
        timer::arm(deadlines[slot], due[slot]);
    }
    sleep_until_fired(COUNT, 500 * clock::NS_PER_MS);
    EXPECT_EQ(fired_count, COUNT);
    int expected[COUNT];
    for (int i = 0; i < COUNT; ++i)
        expected[i] = i;
    expected[13] = 14;
    expected[14] = 13;
    for (int i = 0; i < COUNT && i < fired_count; ++i) {
        if (fired_order[i] != expected[i])
            t.fail("fire %d was deadline %d, expected %d", i, fired_order[i], expected[i]);
        if (fired_at[i] < due[fired_order[i]])
            t.fail("deadline %d fired %lu ns early", fired_order[i], due[fired_order[i]] - fired_at[i]);
    }
}

KERNEL_TEST(timer, cancelled_deadline_never_fires_and_past_one_fires_at_once)
{
    reset_record();
    static timer::Deadline cancelled(record_fire, reinterpret_cast<void*>(1));
    static timer::Deadline past(record_fire, reinterpret_cast<void*>(2));
    static timer::Deadline far(record_fire, reinterpret_cast<void*>(3));
    uint64_t now = clock::nanoseconds();
    timer::arm(cancelled, now + 2 * clock::NS_PER_MS);
    timer::arm(far, now + 3600 * 1000 * clock::NS_PER_MS); /* an hour: armed, never due here */
    EXPECT(timer::cancel(cancelled));
    EXPECT(!timer::cancel(cancelled));
    timer::arm(past, now > clock::NS_PER_MS ? now - clock::NS_PER_MS : 0);
    Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    EXPECT_EQ(fired_count, 1);
    EXPECT_EQ(fired_order[0], 2);
    /* Within one tick or one-shot of being armed. */
    EXPECT(fired_at[0] < now + allowed_lateness_ns(2 * pit8254::tick_ns()));
    EXPECT(far.armed());
    EXPECT(timer::cancel(far));
    EXPECT(!past.armed());
}

KERNEL_TEST(timer, many_sleepers_wake_in_deadline_order_never_early)
{
    Scheduler& scheduler = Scheduler::instance();
    wake_rank = 0;
    Thread* threads[SLEEPERS];
    for (int i = 0; i < SLEEPERS; ++i) {
        sleepers[i] = {uint64_t((i * 5) % SLEEPERS + 1) * 3 * clock::NS_PER_MS, 0, 0, -1};
        threads[i] = scheduler.spawn(sleeper, reinterpret_cast<void*>(intptr_t(i)), "sleeper");
        if (!threads[i]) {
            t.fail("no memory for sleeper %d", i);
            return;
        }
    }
    for (Thread* thread : threads)
        scheduler.join(thread);
    for (int i = 0; i < SLEEPERS; ++i) {
        const SleeperRecord& a = sleepers[i];
        if (a.woke_ns < a.deadline_ns)
            t.fail("sleeper %d woke %lu ns early", i, a.deadline_ns - a.woke_ns);
        /* Deadlines 3 ms apart (less the spread of the starts) wake in order. */
        for (int j = 0; j < SLEEPERS; ++j) {
            const SleeperRecord& b = sleepers[j];
            if (a.deadline_ns + clock::NS_PER_MS < b.deadline_ns && a.wake_rank > b.wake_rank)
                t.fail("sleeper %d (due %lu) woke after sleeper %d (due %lu)", i, a.deadline_ns, j, b.deadline_ns);
        }
    }
}

/* Tickless idle: with every thread asleep the tick stops, so an idle second takes
 * a few one-shots (one per 54.9 ms at most) instead of a thousand ticks, and a
 * sleep still ends on time. On a host with other sleepers waking (none in a
 * test boot) the count would be higher: the bound leaves room for them. */
KERNEL_TEST(timer, idle_second_stops_the_tick_and_sleeps_end_on_time)
{
    if (!timer::tickless()) {
        t.skip("tickless idle is off (tickless=off)");
        return;
    }
    Scheduler& scheduler = Scheduler::instance();
    timer::Statistics before = timer::statistics();
    uint64_t irqs_before = interrupts::irq_count(pit8254::IRQ);
    uint64_t ticks_before = pit8254::ticks();
    uint64_t start = clock::nanoseconds();
    scheduler.sleep_ns(1000 * clock::NS_PER_MS);
    uint64_t slept = clock::nanoseconds() - start;
    uint64_t irqs = interrupts::irq_count(pit8254::IRQ) - irqs_before;
    uint64_t ticks = pit8254::ticks() - ticks_before;
    timer::Statistics after = timer::statistics();
    log(LogCategory::test, "idle second: %lu timer interrupts, %lu one-shots armed, ticks() moved by %lu, slept %lu ns",
        irqs, after.one_shots_armed - before.one_shots_armed, ticks, slept);
    if (irqs > 60)
        t.fail("%lu timer interrupts in an idle second (the periodic tick gives 1000)", irqs);
    EXPECT(after.one_shots_armed > before.one_shots_armed);
    EXPECT(after.tick_resumes > before.tick_resumes);
    if (slept < 1000 * clock::NS_PER_MS)
        t.fail("a sleep of 1 s ended after %lu ns", slept);
    /* ticks() still measures time across the stopped tick (each restart of the
     * tick may lose part of a period). */
    uint64_t periods = slept / pit8254::tick_ns();
    if (ticks + 5 < periods || ticks > periods + 2)
        t.fail("ticks() moved by %lu over a sleep of %lu periods", ticks, periods);
    /* Short sleeps, each ended by its own one-shot: never early, and late by less
     * than a tick (the periodic tick would add up to a whole one). */
    const uint64_t asked_us[] = {150, 2300, 7700, 13100};
    for (uint64_t us : asked_us) {
        uint64_t from = clock::nanoseconds();
        scheduler.sleep_ns(us * 1000);
        uint64_t took = clock::nanoseconds() - from;
        log(LogCategory::test, "sleep of %lu us took %lu ns", us, took);
        if (took < us * 1000)
            t.fail("a sleep of %lu us ended after %lu ns", us, took);
        else if (took - us * 1000 > allowed_lateness_ns(500'000))
            t.fail("a sleep of %lu us ended %lu ns late (tickless idle wakes within a PIT clock or two)", us,
                   took - us * 1000);
    }
}

/* Scheduler::stop_tick_if_alone, which a VM thread calls before each entry: with
 * no other thread runnable the periodic tick stops, so a busy interval takes no
 * timer interrupt (a deadline still fires, through the one-shot), and a thread
 * made runnable brings the tick back, whose time slice then hands it the CPU
 * while the first thread stays busy. */
KERNEL_TEST(timer, thread_alone_runs_without_tick_until_another_is_runnable)
{
    if (!timer::tickless()) {
        t.skip("tickless idle is off (tickless=off)");
        return;
    }
    Scheduler& scheduler = Scheduler::instance();
    timer::Statistics before = timer::statistics();
    bool stopped, again;
    uint64_t one_shots, one_shots_again;
    {
        /* Both calls under one guard, as a VM thread makes them before entries
         * with interrupts off: an interrupt between them (the one-shot firing
         * early under a loaded QEMU's real-time clock) would arm a new one-shot
         * by its own right and is not what this asks. */
        InterruptGuard guard;
        stopped = scheduler.stop_tick_if_alone();
        one_shots = timer::statistics().one_shots_armed;
        /* Asking again while stopped programs nothing. */
        again = scheduler.stop_tick_if_alone();
        one_shots_again = timer::statistics().one_shots_armed;
    }
    if (!stopped) {
        t.fail("the tick runs on with the test thread alone on the CPU");
        return;
    }
    EXPECT(timer::statistics().alone_entries > before.alone_entries);
    EXPECT(again);
    EXPECT_EQ(one_shots_again, one_shots);

    uint64_t irqs_before = interrupts::irq_count(pit8254::IRQ);
    uint64_t ticks_before = pit8254::ticks();
    spin_ns(30 * clock::NS_PER_MS);
    uint64_t irqs = interrupts::irq_count(pit8254::IRQ) - irqs_before;
    log(LogCategory::test, "30 ms busy and alone: %lu timer interrupts", irqs);
    /* The periodic tick would give 30; the one-shot waits for a deadline (none
     * in a test boot, or a sleeper of the harness) or 54.9 ms. */
    if (irqs > 2)
        t.fail("%lu timer interrupts in 30 ms with one thread alone (the periodic tick gives 30)", irqs);
    EXPECT(timer::tick_stopped());
    EXPECT_EQ(pit8254::ticks(), ticks_before);

    /* A deadline while alone fires on time, through the one-shot. */
    reset_record();
    static timer::Deadline soon(record_fire, reinterpret_cast<void*>(7));
    uint64_t armed = clock::nanoseconds();
    timer::arm(soon, armed + 5 * clock::NS_PER_MS);
    while (fired_count == 0 && clock::nanoseconds() < armed + 1000 * clock::NS_PER_MS)
        cpu::pause();
    EXPECT_EQ(fired_count, 1);
    if (fired_count == 1 && (fired_at[0] < armed + 5 * clock::NS_PER_MS ||
                             fired_at[0] > armed + 5 * clock::NS_PER_MS + allowed_lateness_ns(500'000)))
        t.fail("a deadline 5 ms away fired after %lu ns with the tick stopped", fired_at[0] - armed);
    EXPECT(timer::tick_stopped());

    /* A second runnable thread: the tick is back at once, and its slice gives
     * the newcomer the CPU while this thread never yields. */
    second_thread_ran = false;
    Thread* second = scheduler.spawn(note_second_thread_ran, nullptr, "second");
    if (!second) {
        t.fail("no memory for the second thread");
        timer::resume_tick(); /* the tests after this one may count ticks */
        return;
    }
    EXPECT(!timer::tick_stopped());
    /* Counted in ticks (QEMU's may lag its TSC on a busy build machine): the
     * slice ends within TIME_SLICE_TICKS of them; a second of TSC time stops a
     * wait whose ticks never come. */
    uint64_t waited = clock::nanoseconds();
    uint64_t tick_limit = pit8254::ticks() + 2 * Scheduler::TIME_SLICE_TICKS;
    while (!second_thread_ran && pit8254::ticks() < tick_limit && clock::nanoseconds() < waited + 1000 * clock::NS_PER_MS)
        cpu::pause();
    if (!second_thread_ran)
        t.fail("the second thread did not run within %lu ns of busy waiting", clock::nanoseconds() - waited);
    scheduler.join(second);
    /* ticks() counted the stopped stretch as missed periods: at least the 30 ms
     * spin and the 5 ms deadline, 35 periods less one for where in a period the
     * stretch began (the slice after it may be as short as one tick: the second
     * thread can run at the first tick after the resume). */
    EXPECT(pit8254::ticks() >= ticks_before + 34);
}
