/* The guest's ISA I/O port space: routes each IN/OUT the hypervisor intercepts to
 * the device model owning the port, and answers every other port as an empty PC
 * bus does (reads float to all ones, writes vanish). */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class IoBus {
public:
    static constexpr size_t MAX_DEVICES = 16;
    /* Port 0x80: the POST code port, written by kernels as an I/O delay. */
    static constexpr uint16_t POST_PORT = 0x80;
    static constexpr size_t MAX_UNKNOWN_PORT_REPORTS = 16;

    /* Told about the first access to each port no device owns, once per port and
     * for the first MAX_UNKNOWN_PORT_REPORTS ports only, so the hypervisor logs
     * what the guest probes without flooding the log (a guest sweeping all 65536
     * ports would otherwise print a line for each). */
    using UnknownPortReporter = void (*)(void* context, uint16_t port, bool is_write);

    void set_unknown_port_reporter(UnknownPortReporter reporter, void* context);
    /* False when the table is full. The first attached device wins a port that
     * two devices claim. */
    [[nodiscard]] bool attach(PortDevice& device);

    /* `size` is 1, 2 or 4 (anything else is treated as 1). The result holds
     * `size` bytes, little endian, as the guest's AL/AX/EAX receives them. */
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns);
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns);

    /* Byte accesses to ports no device owns (port 0x80 not included): each read
     * answered with the floating bus's 0xFF, each write dropped. */
    uint64_t unknown_reads() const { return unknown_reads_; }
    uint64_t unknown_writes() const { return unknown_writes_; }

private:
    PortDevice* owner(uint16_t port) const;
    void report_unknown(uint16_t port, bool is_write);

    PortDevice* devices_[MAX_DEVICES] = {};
    size_t device_count_ = 0;
    UnknownPortReporter reporter_ = nullptr;
    void* reporter_context_ = nullptr;
    size_t reports_made_ = 0;
    uint64_t unknown_reads_ = 0;
    uint64_t unknown_writes_ = 0;
    /* One bit per port: already reported as unknown. */
    uint8_t reported_[65536 / 8] = {};
};

} // namespace devices
