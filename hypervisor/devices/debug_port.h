/* The Bochs/QEMU debug console at port 0xE9: every byte written is guest console
 * output (the hypervisor assembles it into lines), and a read returns 0xE9, which
 * is how a guest detects that the port exists (Bochs' "port E9 hack"). */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class DebugPort final : public PortDevice {
public:
    static constexpr uint16_t PORT = 0xE9;

    explicit DebugPort(ByteSink sink) : sink_(sink) {}

    bool handles(uint16_t port) const override { return port == PORT; }
    uint32_t read(uint16_t, unsigned, uint64_t) override { return PORT; }
    void write(uint16_t, unsigned, uint32_t value, uint64_t) override { sink_.put(uint8_t(value)); }

private:
    ByteSink sink_;
};

} // namespace devices
