/* The Scheduler: preemptive round-robin over kernel threads on one CPU. The PIT
 * tick (kernel/drivers/pit8254) drives time slices; sleepers are deadlines of the
 * timer core (time/timer.h); a thread that blocks, sleeps, yields or exits
 * switches directly. When nothing is runnable, the idle thread halts the CPU
 * until the next interrupt, with the tick stopped (tickless idle): the timer
 * core wakes the CPU once, for the earliest sleeper, and a thread made runnable
 * brings the tick back, so a running thread still loses the CPU at its slice's end.
 *
 * Invariant: the scheduler's queues are only touched with interrupts off. */
#pragma once
#include "mm/page_manager.h"
#include "sched/thread.h"

class Scheduler {
public:
    static constexpr unsigned TIME_SLICE_TICKS = 10;

    static Scheduler& instance();

    /* Turns the boot flow into the thread "main" and creates the idle thread.
     * Call once, before interrupts are enabled. */
    void init();

    /* Starts a new thread; nullptr when out of memory. The thread is joinable:
     * join() or detach() it, or its Thread stays allocated after it ends.
     * `claim`: PageClaim::ordinary for the thread of a user process, whose kernel
     * stack must leave the kernel's reserve alone. */
    [[nodiscard]] Thread* spawn(ThreadFunction function, void* argument, const char* name,
                                PageClaim claim = PageClaim::kernel);
    /* Waits until `thread` ends, frees it, and returns its exit code. */
    int join(Thread* thread);
    /* The thread frees itself when it ends. */
    void detach(Thread* thread);

    Thread* current() const { return current_; }
    void yield();
    void sleep_ns(uint64_t nanoseconds);
    /* Ends `thread`'s sleep_ns() now (its deadline cancelled) if it sleeps;
     * nothing otherwise. For a sleeper that has news sooner than it asked (a
     * halted guest's VM thread when input or a stop request arrives). */
    void wake_early(Thread* thread);
    /* Halts the CPU until the next interrupt, interrupts off on entry and on
     * return (sti;hlt: an interrupt between the caller's check and the halt
     * still ends it). With no other thread runnable the tick stops meanwhile
     * (tickless idle). For the idle thread and for a thread that polls a device
     * with the CPU to itself (the boot-time echo). */
    void halt_until_interrupt();
    /* For a thread that needs no time slice while no other thread wants the
     * CPU (a VM thread: its guest keeps time with its own device deadlines):
     * with nothing else runnable, stops the periodic tick until a thread is
     * made runnable (timer::stop_tick_while_alone), so the thread is not
     * interrupted 1000 times a second to be told to go on. Returns whether the
     * tick is stopped now. Interrupts off. */
    bool stop_tick_if_alone();
    [[noreturn]] void exit(int code);

    /* Puts the current thread on `queue` and switches away until a wake call.
     * Interrupts must be off; they are off again when this returns. */
    void block_current_on(ThreadQueue& queue);
    /* Makes the first (or every) thread of `queue` runnable. Interrupts off. */
    Thread* wake_one(ThreadQueue& queue);
    void wake_all(ThreadQueue& queue);

    /* Called by the timer interrupt on every tick. */
    void on_tick();
    /* Called at the end of every interrupt, after the EOI: switches when the
     * time slice ran out or a woken thread waits while the CPU idles. */
    void preempt_if_needed();

    size_t thread_count() const;
    /* Calls visit(thread) for every thread, interrupts off. */
    template <typename Visit> void for_each_thread(Visit visit) const
    {
        for (Thread* t = all_threads_; t; t = t->all_next_)
            visit(*t);
    }
    uint64_t context_switches() const { return context_switches_; }

private:
    friend void thread_start_trampoline(ThreadFunction, void*);

    /* Picks the next thread and switches to it. Interrupts off. */
    void schedule();
    void make_runnable(Thread* thread);
    /* The fire function of a sleeping thread's wake_timer_. */
    static void wake_sleeper(void* thread);
    void reap_finished();
    Thread* allocate_thread(const char* name);

    Thread* current_ = nullptr;
    Thread* idle_ = nullptr;
    Thread* all_threads_ = nullptr;
    ThreadQueue run_queue_;
    unsigned slice_left_ = TIME_SLICE_TICKS;
    bool need_resched_ = false;
    ThreadId next_id_ = 0;
    uint64_t context_switches_ = 0;
};
