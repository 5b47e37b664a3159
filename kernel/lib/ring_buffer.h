/* A fixed-size FIFO of trivially copyable values for one producer and one
 * consumer, e.g. an interrupt handler filling it and a thread draining it. The
 * caller keeps the two sides from running at once (an InterruptGuard around the
 * consumer on one CPU). Pure logic: also compiled into the unit tests. */
#pragma once
#include <stddef.h>

template <typename T, size_t Capacity> class RingBuffer {
    static_assert(Capacity > 0 && (Capacity & (Capacity - 1)) == 0, "a power of two, so indices wrap with a mask");

public:
    /* False (and the value dropped) when the buffer is full: new input is lost,
     * never old input overwritten. */
    bool push(const T& value)
    {
        if (full())
            return false;
        items_[head_++ & (Capacity - 1)] = value;
        return true;
    }

    bool pop(T& value)
    {
        if (empty())
            return false;
        value = items_[tail_++ & (Capacity - 1)];
        return true;
    }

    bool empty() const { return head_ == tail_; }
    bool full() const { return size() == Capacity; }
    /* head_ and tail_ only grow; their difference is the fill even after they wrap. */
    size_t size() const { return head_ - tail_; }
    static constexpr size_t capacity() { return Capacity; }

private:
    T items_[Capacity] = {};
    size_t head_ = 0;
    size_t tail_ = 0;
};
