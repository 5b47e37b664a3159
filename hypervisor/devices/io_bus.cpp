/* Port routing for the guest's I/O space; see io_bus.h. */
#include "hypervisor/devices/io_bus.h"

namespace devices {

namespace {

unsigned checked_size(unsigned size) { return size == 2 || size == 4 ? size : 1; }

uint32_t all_ones(unsigned size) { return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }

} // namespace

void IoBus::set_unknown_port_reporter(UnknownPortReporter reporter, void* context)
{
    reporter_ = reporter;
    reporter_context_ = context;
}

bool IoBus::attach(PortDevice& device)
{
    if (device_count_ == MAX_DEVICES)
        return false;
    devices_[device_count_++] = &device;
    return true;
}

PortDevice* IoBus::owner(uint16_t port) const
{
    for (size_t i = 0; i < device_count_; ++i)
        if (devices_[i]->handles(port))
            return devices_[i];
    return nullptr;
}

void IoBus::report_unknown(uint16_t port, bool is_write)
{
    ++(is_write ? unknown_writes_ : unknown_reads_);
    uint8_t bit = uint8_t(1u << (port & 7));
    if (reported_[port >> 3] & bit)
        return;
    reported_[port >> 3] |= bit;
    if (reports_made_ == MAX_UNKNOWN_PORT_REPORTS)
        return;
    ++reports_made_;
    if (reporter_)
        reporter_(reporter_context_, port, is_write);
}

uint32_t IoBus::read(uint16_t port, unsigned size, uint64_t now_ns)
{
    size = checked_size(size);
    PortDevice* device = owner(port);
    if (device && size <= device->max_access_size())
        return device->read(port, size, now_ns) & all_ones(size);
    if (size > 1) {
        /* An 8-bit device on a wider access: the bus splits it into byte cycles
         * at consecutive ports, each routed on its own. Ports wrap at 64 KiB like
         * the address lines do. */
        uint32_t value = 0;
        for (unsigned i = 0; i < size; ++i)
            value |= read(uint16_t(port + i), 1, now_ns) << (8 * i);
        return value;
    }
    if (device)
        return device->read(port, 1, now_ns) & 0xFF;
    if (port != POST_PORT)
        report_unknown(port, false);
    return 0xFF;
}

void IoBus::write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns)
{
    size = checked_size(size);
    PortDevice* device = owner(port);
    if (device && size <= device->max_access_size()) {
        device->write(port, size, value & all_ones(size), now_ns);
        return;
    }
    if (size > 1) {
        for (unsigned i = 0; i < size; ++i)
            write(uint16_t(port + i), 1, (value >> (8 * i)) & 0xFF, now_ns);
        return;
    }
    if (device)
        device->write(port, 1, value & 0xFF, now_ns);
    else if (port != POST_PORT)
        report_unknown(port, true);
}

} // namespace devices
