/* The timer core's data structure: deadlines ("fire this at time t") kept in one
 * list sorted by due time, earliest first. Pure logic with no clock and no
 * locking, so that the in-kernel tests can drive it with made-up times; the
 * timer (time/timer.h) owns the kernel's one queue and its locking.
 *
 * Invariants: a Deadline is in at most one queue; the list is sorted by `due`,
 * and deadlines with equal `due` stay in the order they were armed (FIFO), so
 * threads asking for the same instant wake in the order they asked. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace timer {

constexpr uint64_t NO_DEADLINE = ~uint64_t(0);

/* One pending event. The owner embeds it (in a Thread, a device) and keeps it
 * alive while it is queued; the queue never allocates, so arming cannot fail. */
struct Deadline {
    using Fire = void (*)(void* context);

    Deadline() = default;
    Deadline(Fire fire_function, void* fire_context) : fire(fire_function), context(fire_context) {}
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

    bool armed() const { return queued_; }
    uint64_t due() const { return due_; }

    Fire fire = nullptr;
    void* context = nullptr;

private:
    friend class DeadlineQueue;
    uint64_t due_ = NO_DEADLINE;
    Deadline* next_ = nullptr;
    bool queued_ = false;
};

class DeadlineQueue {
public:
    /* Queues `deadline` for `due`; a deadline already queued is moved. O(n) in
     * the deadlines due no later than `due`. */
    void insert(Deadline& deadline, uint64_t due);
    /* Takes `deadline` out; false when it was not queued (already fired or
     * never armed), which makes a late cancel harmless. */
    bool remove(Deadline& deadline);
    /* The earliest due time, NO_DEADLINE when empty. */
    uint64_t earliest() const { return head_ ? head_->due_ : NO_DEADLINE; }
    bool empty() const { return head_ == nullptr; }
    /* Takes out and returns the earliest deadline if it is due at `now`,
     * nullptr otherwise. */
    Deadline* pop_due(uint64_t now);
    size_t size() const;

private:
    Deadline* head_ = nullptr;
};

} // namespace timer
