/* The sorted deadline list; see deadline_queue.h. */
#include "time/deadline_queue.h"

namespace timer {

void DeadlineQueue::insert(Deadline& deadline, uint64_t due)
{
    remove(deadline);
    deadline.due_ = due;
    /* After every deadline due no later: equal times stay first armed, first fired. */
    Deadline** link = &head_;
    while (*link && (*link)->due_ <= due)
        link = &(*link)->next_;
    deadline.next_ = *link;
    *link = &deadline;
    deadline.queued_ = true;
}

bool DeadlineQueue::remove(Deadline& deadline)
{
    if (!deadline.queued_)
        return false;
    for (Deadline** link = &head_; *link; link = &(*link)->next_) {
        if (*link == &deadline) {
            *link = deadline.next_;
            deadline.next_ = nullptr;
            deadline.queued_ = false;
            return true;
        }
    }
    return false;
}

Deadline* DeadlineQueue::pop_due(uint64_t now)
{
    Deadline* first = head_;
    if (!first || first->due_ > now)
        return nullptr;
    head_ = first->next_;
    first->next_ = nullptr;
    first->queued_ = false;
    return first;
}

size_t DeadlineQueue::size() const
{
    size_t count = 0;
    for (Deadline* d = head_; d; d = d->next_)
        ++count;
    return count;
}

} // namespace timer
