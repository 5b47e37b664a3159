/* Condition variable used with a Mutex, as in SWEB: wait() releases the mutex and
 * sleeps in one step (no wake-up can be lost in between), then takes the mutex
 * again before it returns. Callers re-check their predicate in a loop. wait,
 * signal and broadcast must be called with the mutex held. */
#pragma once
#include "sync/mutex.h"

class Condition {
public:
    Condition(Mutex& mutex, const char* name) : mutex_(mutex), name_(name) {}
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;

    void wait();
    void signal();
    void broadcast();

private:
    void require_mutex_held(const char* operation) const;

    Mutex& mutex_;
    const char* name_;
    ThreadQueue waiters_;
};
