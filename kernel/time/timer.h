/* The timer core: one queue of deadlines ("wake this thread / fire this callback
 * at time t") for the whole kernel, served by the PIT's channel 0. While a thread
 * runs, channel 0 ticks periodically (the scheduler's time slice, and every tick
 * fires what is due); while the CPU idles (Scheduler::halt_until_interrupt) the
 * tick stops and channel 0 is programmed once, as a one-shot, for the earliest
 * deadline (tickless idle), and a thread made runnable brings the tick back.
 * The hypervisor's virtual PIT and local APIC timer reach it through their VM
 * thread: a halted guest's thread sleeps until its next device event, so that
 * deadline is exact to one PIT clock (838 ns) when the host idles. A VM thread
 * that runs alone stops the tick too (stop_tick_while_alone): its guest would
 * otherwise take an exit for every host tick that preempts nothing.
 *
 * Times are clock::nanoseconds(), which reads the TSC once it is calibrated; the
 * tick stops only then (before, ticks are the clock). Every function may be
 * called with interrupts on or off; fire functions run in the timer interrupt
 * with interrupts off and may wake threads, arm or cancel deadlines (a fire
 * function that re-arms its own deadline must ask for a later time). */
#pragma once
#include "time/deadline_queue.h"

namespace timer {

/* Queues `deadline` to fire at `due_ns`; re-arming an armed deadline moves it.
 * A due time already past fires at the next tick or one-shot (within a tick). */
void arm(Deadline& deadline, uint64_t due_ns);
/* False when it was not armed (it fired already or was never armed). */
bool cancel(Deadline& deadline);
/* The earliest armed deadline, NO_DEADLINE when none. */
uint64_t next_due_ns();

/* Fires every deadline due at `now_ns`, earliest first. The timer interrupt
 * calls it on every tick and one-shot. */
void expire_due(uint64_t now_ns);

/* Tickless idle, with interrupts off, right before halting: stops the periodic
 * tick and arms the one-shot for the earliest deadline (at most
 * pit8254::MAX_ONE_SHOT_COUNTS away, 54.9 ms: a farther deadline takes a few
 * one-shots). Does nothing while tickless idle is off or the clock is not
 * calibrated; programs nothing when the one-shot already waits for that deadline. */
void stop_tick_while_idle();
/* The same for a thread that runs alone (no other thread runnable) and needs no
 * time slice meanwhile: a VM thread, whose guest's devices keep their own
 * deadlines (Scheduler::stop_tick_if_alone). The host's deadlines still fire
 * on time through the one-shot, and the first thread made runnable brings the
 * tick back (resume_tick), so the slice counts again as soon as two threads
 * share the CPU. Cheap when already stopped: the VM run loop calls it on
 * every exit it handles. Interrupts off or on. */
void stop_tick_while_alone();
/* The periodic tick back (a thread became runnable); a no-op while it runs. */
void resume_tick();
bool tick_stopped();

/* Tickless idle on or off (kernel command line `tickless=off`; the guest_timer
 * test counts periodic ticks). Off resumes the tick at once. */
void set_tickless(bool on);
bool tickless();

/* The one-shot count for a deadline `delay_ns` away: PIT input clocks rounded up
 * (never early), at least 1, at most pit8254::MAX_ONE_SHOT_COUNTS. */
uint32_t one_shot_counts(uint64_t delay_ns);

struct Statistics {
    uint64_t one_shots_armed;  /* channel 0 programmed as a one-shot */
    uint64_t idle_entries;     /* stop_tick_while_idle() with the tick stopped after */
    uint64_t alone_entries;    /* stop_tick_while_alone() that stopped the tick or re-armed its one-shot */
    uint64_t deadlines_fired;
    uint64_t tick_resumes;
};
Statistics statistics();

/* Takes over channel 0's one-shot interrupt; after pit8254::init(). */
void init();

} // namespace timer
