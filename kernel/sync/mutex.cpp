/* Mutex whose unlock wakes the first waiter to try again; see mutex.h for the
 * checks and for why the mutex is not handed to the waiter. */
#include "sync/mutex.h"

#include "arch/x86_64/cpu.h"
#include "debug/panic.h"
#include "sched/scheduler.h"

namespace {
/* Longest chain of "holder waits for a mutex held by ..." that is followed. */
constexpr int DEADLOCK_CHAIN_LIMIT = 16;
} // namespace

bool Mutex::held_by_current_thread() const { return owner_ && owner_ == Scheduler::instance().current(); }

void Mutex::check_before_sleeping(Thread* caller) const
{
    if (!cpu::interrupts_enabled())
        panic("Mutex %s: thread %s would sleep with interrupts disabled (held by %s)", name_, caller->name(),
              owner_->name());
    const Mutex* wanted = this;
    for (int depth = 0; depth < DEADLOCK_CHAIN_LIMIT && wanted; ++depth) {
        Thread* holder = wanted->owner_;
        if (!holder)
            return;
        if (holder == caller)
            panic("Mutex %s: deadlock: thread %s waits for it, and its holder chain leads back to %s", name_,
                  caller->name(), caller->name());
        wanted = holder->waiting_for();
    }
}

void Mutex::lock()
{
    Scheduler& scheduler = Scheduler::instance();
    Thread* caller = scheduler.current();
    if (owner_ == caller)
        panic("Mutex %s: recursive lock by thread %s", name_, caller->name());
    if (owner_)
        check_before_sleeping(caller);
    bool were_enabled = cpu::interrupts_enabled();
    cpu::cli();
    /* A woken waiter finds the mutex free unless a running thread took it
     * first; then it waits again, at the back of the queue. */
    while (owner_) {
        caller->waiting_for_ = this;
        scheduler.block_current_on(waiters_);
        caller->waiting_for_ = nullptr;
    }
    owner_ = caller;
    if (were_enabled)
        cpu::sti();
}

bool Mutex::try_lock()
{
    bool were_enabled = cpu::interrupts_enabled();
    cpu::cli();
    bool taken = owner_ == nullptr;
    if (taken)
        owner_ = Scheduler::instance().current();
    if (were_enabled)
        cpu::sti();
    return taken;
}

void Mutex::unlock()
{
    bool were_enabled = cpu::interrupts_enabled();
    cpu::cli();
    unlock_interrupts_off();
    if (were_enabled)
        cpu::sti();
}

void Mutex::unlock_interrupts_off()
{
    Thread* caller = Scheduler::instance().current();
    if (owner_ != caller)
        panic("Mutex %s: unlocked by thread %s, but held by %s", name_, caller->name(),
              owner_ ? owner_->name() : "nobody");
    owner_ = nullptr;
    Scheduler::instance().wake_one(waiters_);
}
