/* Mutex: a blocking lock with an owner, as in SWEB. Misuse is a broken invariant
 * and panics: locking a mutex the thread already holds, unlocking one it does not
 * hold, sleeping on a mutex with interrupts off (nothing could ever wake the CPU
 * into the scheduler), and the simple deadlock where the holder already waits,
 * directly or through a chain of holders, for a mutex the caller holds.
 *
 * unlock() frees the mutex and wakes the first waiter, which takes it when it
 * runs if nobody has taken it meanwhile. It does not hand the mutex to the
 * waiter: with a hand-off, a thread preempted while holding a busy mutex (the
 * file system lock, held by each VM's hypercalls) makes a convoy. Each thread
 * then gets the lock once per round of the run queue and sleeps on its next
 * lock() while the lock's new owner waits behind every CPU-bound thread, so the
 * threads that share the lock together get less than one thread's share. */
#pragma once
#include "sched/thread.h"

class Mutex {
public:
    explicit Mutex(const char* name) : name_(name) {}
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    void lock();
    [[nodiscard]] bool try_lock();
    void unlock();

    bool held_by_current_thread() const;
    Thread* owner() const { return owner_; }
    const char* name() const { return name_; }

private:
    friend class Condition;
    /* unlock() with interrupts already off; wakes the first waiter. */
    void unlock_interrupts_off();
    void check_before_sleeping(Thread* caller) const;

    const char* name_;
    Thread* owner_ = nullptr;
    ThreadQueue waiters_;
};

/* Locks for a scope. */
class MutexLocker {
public:
    explicit MutexLocker(Mutex& mutex) : mutex_(mutex) { mutex_.lock(); }
    ~MutexLocker() { mutex_.unlock(); }
    MutexLocker(const MutexLocker&) = delete;
    MutexLocker& operator=(const MutexLocker&) = delete;

private:
    Mutex& mutex_;
};
