/* Host input waiting for a guest device that has less room than the host has
 * bytes: a UART's receive FIFO holds 16, a pasted line or `vm send` has more. The
 * device pulls from here as the guest reads (Uart16550::set_input), so nothing is
 * lost while the guest keeps reading; the host learns at once how much was
 * accepted when the queue itself is full. */
#pragma once
#include "hypervisor/devices/byte_queue.h"
#include "hypervisor/devices/port_device.h"

namespace devices {

template <size_t CAPACITY> class PendingInput {
public:
    /* Queues bytes in order until the queue is full; returns how many were
     * queued (the rest were refused, none lost silently). */
    size_t push(const uint8_t* bytes, size_t count)
    {
        size_t queued = 0;
        while (bytes && queued < count && queue_.push(bytes[queued]))
            ++queued;
        return queued;
    }
    bool take(uint8_t& byte)
    {
        if (queue_.empty())
            return false;
        byte = queue_.pop();
        return true;
    }
    void clear() { queue_.clear(); }
    size_t size() const { return queue_.size(); }
    size_t free_space() const { return queue_.free_space(); }
    static constexpr size_t capacity() { return CAPACITY; }

    /* A ByteSource handing out the queued bytes, oldest first. */
    ByteSource source()
    {
        return ByteSource{[](void* self, uint8_t& byte) { return static_cast<PendingInput*>(self)->take(byte); }, this};
    }

private:
    ByteQueue<CAPACITY> queue_;
};

} // namespace devices
