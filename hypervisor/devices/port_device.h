/* The interfaces between the hypervisor and its device models: a device answers
 * guest port I/O (IN/OUT), raises interrupt lines, and hands out bytes it emits.
 * The models are plain C++ (no VMX, no heap, no std library) so that the VMX and a
 * future SVM backend share them and the build machine can unit-test them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace devices {

/* A device that owns some I/O ports. `now_ns` is the guest time of the access in
 * nanoseconds, passed in by the caller so that time-counting devices (the PIT)
 * never read a clock themselves and tests are deterministic.
 *
 * Every model here is an 8-bit ISA device: the IoBus splits wider accesses into
 * byte accesses at consecutive ports (as the ISA bus does for 8-bit devices, which
 * is what makes `outw 0x3D4, 0x0E0F` write index and data in one instruction), so
 * `size` is 1 unless a device overrides max_access_size(). */
class PortDevice {
public:
    virtual bool handles(uint16_t port) const = 0;
    virtual uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) = 0;
    virtual void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) = 0;
    /* The widest access the device decodes itself. */
    virtual unsigned max_access_size() const { return 1; }

protected:
    /* Devices live inside the VM object and are never deleted through this
     * interface (there is no heap), so the destructor need not be virtual. */
    ~PortDevice() = default;
};

/* The receiving end of ISA interrupt lines: the 8259A pair (later maybe an
 * IOAPIC). `irq` is the ISA line number 0-15; out-of-range lines are ignored. */
class InterruptController {
public:
    virtual void set_irq_level(unsigned irq, bool high) = 0;

protected:
    ~InterruptController() = default;
};

/* One device's interrupt output wire. Unconnected lines (default-constructed)
 * go nowhere, so a model works without a PIC in tests that do not care. */
class IrqLine {
public:
    IrqLine() = default;
    IrqLine(InterruptController& controller, unsigned irq) : controller_(&controller), irq_(irq) {}

    void set(bool high)
    {
        if (high == high_)
            return;
        high_ = high;
        if (controller_)
            controller_->set_irq_level(irq_, high);
    }
    void raise() { set(true); }
    void lower() { set(false); }
    /* A rising edge that leaves the line high, even when it already was high. */
    void pulse()
    {
        lower();
        raise();
    }
    bool is_high() const { return high_; }

private:
    InterruptController* controller_ = nullptr;
    unsigned irq_ = 0;
    bool high_ = false;
};

/* Where a device's output bytes go (a UART's transmitter, the debug port). */
struct ByteSink {
    void (*function)(void* context, uint8_t byte) = nullptr;
    void* context = nullptr;

    void put(uint8_t byte) const
    {
        if (function)
            function(context, byte);
    }
};

/* Where a device's input bytes come from when it has room for them (the host's
 * input waiting for a UART's receive FIFO). */
struct ByteSource {
    bool (*function)(void* context, uint8_t& byte) = nullptr;
    void* context = nullptr;

    /* False when nothing waits. */
    bool take(uint8_t& byte) const { return function && function(context, byte); }
};

} // namespace devices
