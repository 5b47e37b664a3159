/* In-kernel tests of threads and the scheduler (set "sched"). */
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "drivers/pit8254.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

constexpr int SPINNER_COUNT = 60;
volatile bool spinners_stop = false;
volatile uint64_t spinner_progress[SPINNER_COUNT];

void spin(void* argument)
{
    auto index = reinterpret_cast<uintptr_t>(argument);
    while (!spinners_stop)
        spinner_progress[index] = spinner_progress[index] + 1;
}

void exit_with_argument(void* argument) { Scheduler::instance().exit(int(reinterpret_cast<intptr_t>(argument))); }

int ping_pong_trace[8];
volatile int ping_pong_position = 0;

void ping_pong(void* argument)
{
    for (int i = 0; i < 4; ++i) {
        ping_pong_trace[ping_pong_position] = int(reinterpret_cast<intptr_t>(argument));
        ping_pong_position = ping_pong_position + 1;
        Scheduler::instance().yield();
    }
}

} // namespace

KERNEL_TEST(sched, join_returns_exit_code)
{
    Thread* thread = Scheduler::instance().spawn(exit_with_argument, reinterpret_cast<void*>(42), "exit42");
    EXPECT(thread != nullptr);
    EXPECT_EQ(Scheduler::instance().join(thread), 42);
}

KERNEL_TEST(sched, sixty_busy_threads_all_make_progress)
{
    Scheduler& scheduler = Scheduler::instance();
    Thread* threads[SPINNER_COUNT];
    spinners_stop = false;
    for (int i = 0; i < SPINNER_COUNT; ++i) {
        spinner_progress[i] = 0;
        threads[i] = scheduler.spawn(spin, reinterpret_cast<void*>(uintptr_t(i)), "spinner");
        EXPECT(threads[i] != nullptr);
    }
    /* Spinners never yield: only preemption on the timer tick lets each run. 60
     * threads with 10-tick slices need 600 ms for one round. */
    scheduler.sleep_ns(1500 * clock::NS_PER_MS);
    spinners_stop = true;
    int idle_threads = 0;
    for (int i = 0; i < SPINNER_COUNT; ++i) {
        scheduler.join(threads[i]);
        idle_threads += spinner_progress[i] == 0;
    }
    EXPECT_EQ(idle_threads, 0);
}

KERNEL_TEST(sched, yield_alternates_between_two_threads)
{
    ping_pong_position = 0;
    Scheduler& scheduler = Scheduler::instance();
    Thread* a = scheduler.spawn(ping_pong, reinterpret_cast<void*>(1), "ping");
    Thread* b = scheduler.spawn(ping_pong, reinterpret_cast<void*>(2), "pong");
    scheduler.join(a);
    scheduler.join(b);
    EXPECT_EQ(ping_pong_position, 8);
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(ping_pong_trace[i], 1 + i % 2);
}

/* CPUID.1:ECX[31] set, and not our own signature: an emulator's or another
 * hypervisor's PIT, which may merge ticks. */
static bool foreign_hypervisor()
{
    if (!(cpu::cpuid(1).ecx & (1u << 31)))
        return false;
    return strcmp(log_source(), "guest") != 0;
}

KERNEL_TEST(sched, sleep_lasts_as_long_as_the_pit_says)
{
    Scheduler& scheduler = Scheduler::instance();
    const uint64_t durations_ms[] = {5, 20, 100};
    for (uint64_t ms : durations_ms) {
        uint64_t start_ticks = clock::ticks();
        uint64_t start_ns = clock::nanoseconds();
        scheduler.sleep_ns(ms * clock::NS_PER_MS);
        uint64_t slept_ns = clock::nanoseconds() - start_ns;
        uint64_t ticks = clock::ticks() - start_ticks;
        /* Never shorter than asked, never more than a few ticks late. Against
         * the PIT: the start falls anywhere in a tick (one tick less may be
         * seen). QEMU's TCG (a hypervisor other than ours, by CPUID) merges PIT
         * ticks when its host is busy, so there the PIT may count fewer. */
        if (slept_ns < ms * clock::NS_PER_MS)
            t.fail("sleep of %lu ms ended after %lu ns", ms, slept_ns);
        bool loose_pit = foreign_hypervisor();
        /* Late only as the clock says: a busy build machine can make QEMU's
         * wake-up late, and ticks() counts the periods a stopped tick missed. */
        if ((!loose_pit && ticks + 1 < ms) || ticks > slept_ns / pit8254::tick_ns() + 5)
            t.fail("sleep of %lu ms lasted %lu PIT ticks", ms, ticks);
    }
}

KERNEL_TEST(sched, idle_thread_runs_while_everyone_sleeps)
{
    Scheduler& scheduler = Scheduler::instance();
    uint64_t idle_before = 0, idle_after = 0;
    scheduler.for_each_thread([&](const Thread& thread) {
        if (__builtin_strcmp(thread.name(), "idle") == 0)
            idle_before = thread.switches_in();
    });
    scheduler.sleep_ns(10 * clock::NS_PER_MS);
    scheduler.for_each_thread([&](const Thread& thread) {
        if (__builtin_strcmp(thread.name(), "idle") == 0)
            idle_after = thread.switches_in();
    });
    EXPECT(idle_after > idle_before);
}

KERNEL_TEST(sched, finished_threads_are_reclaimed)
{
    Scheduler& scheduler = Scheduler::instance();
    size_t before = scheduler.thread_count();
    for (int round = 0; round < 3; ++round) {
        Thread* joined = scheduler.spawn(exit_with_argument, nullptr, "joined");
        Thread* detached = scheduler.spawn(exit_with_argument, nullptr, "detached");
        scheduler.detach(detached);
        scheduler.join(joined);
    }
    scheduler.sleep_ns(5 * clock::NS_PER_MS); /* lets the detached ones finish */
    EXPECT_EQ(scheduler.thread_count(), before);
}
