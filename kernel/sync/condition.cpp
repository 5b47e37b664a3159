/* Condition variable; see condition.h. */
#include "sync/condition.h"

#include "arch/x86_64/cpu.h"
#include "debug/panic.h"
#include "sched/scheduler.h"

void Condition::require_mutex_held(const char* operation) const
{
    if (!mutex_.held_by_current_thread())
        panic("Condition %s: %s without holding mutex %s", name_, operation, mutex_.name());
}

void Condition::wait()
{
    require_mutex_held("wait");
    if (!cpu::interrupts_enabled())
        panic("Condition %s: wait with interrupts disabled", name_);
    cpu::cli();
    /* Releasing the mutex and queueing ourselves happen with interrupts off, so
     * on one CPU no other thread runs in between: a signal sent after another
     * thread takes the mutex always finds us queued. */
    Scheduler& scheduler = Scheduler::instance();
    mutex_.unlock_interrupts_off();
    scheduler.block_current_on(waiters_);
    cpu::sti();
    mutex_.lock();
}

void Condition::signal()
{
    require_mutex_held("signal");
    bool were_enabled = cpu::interrupts_enabled();
    cpu::cli();
    Scheduler::instance().wake_one(waiters_);
    if (were_enabled)
        cpu::sti();
}

void Condition::broadcast()
{
    require_mutex_held("broadcast");
    bool were_enabled = cpu::interrupts_enabled();
    cpu::cli();
    Scheduler::instance().wake_all(waiters_);
    if (were_enabled)
        cpu::sti();
}
