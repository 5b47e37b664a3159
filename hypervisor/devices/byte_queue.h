/* A fixed-capacity FIFO of bytes for device buffers (keyboard, 8042, UART FIFO):
 * no heap, and every access is bounds-checked so guest behaviour cannot push it
 * out of its array. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace devices {

template <size_t CAPACITY> class ByteQueue {
    static_assert(CAPACITY > 0);

public:
    /* False (and the byte dropped) when full. */
    bool push(uint8_t byte)
    {
        if (count_ == CAPACITY)
            return false;
        bytes_[(head_ + count_) % CAPACITY] = byte;
        ++count_;
        return true;
    }
    /* The oldest byte; 0 when empty (callers check empty() first). */
    uint8_t pop()
    {
        if (count_ == 0)
            return 0;
        uint8_t byte = bytes_[head_];
        head_ = (head_ + 1) % CAPACITY;
        --count_;
        return byte;
    }
    uint8_t front() const { return count_ ? bytes_[head_] : 0; }
    uint8_t back() const { return count_ ? bytes_[(head_ + count_ - 1) % CAPACITY] : 0; }
    void clear() { head_ = count_ = 0; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == CAPACITY; }
    size_t size() const { return count_; }
    size_t free_space() const { return CAPACITY - count_; }
    static constexpr size_t capacity() { return CAPACITY; }

private:
    uint8_t bytes_[CAPACITY] = {};
    size_t head_ = 0;
    size_t count_ = 0;
};

} // namespace devices
