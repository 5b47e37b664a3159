/* PCI configuration mechanism #1 without devices; see pci_config.h. */
#include "hypervisor/devices/pci_config.h"

namespace devices {

namespace {

uint32_t all_ones(unsigned size) { return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }

} // namespace

uint32_t PciConfig::read(uint16_t port, unsigned size, uint64_t)
{
    /* Only a dword access at 0xCF8 is CONFIG_ADDRESS; narrower accesses there
     * are ordinary I/O cycles, of which only the reset control byte answers. */
    if (port == ADDRESS_PORT && size == 4)
        return address_;
    if (port >= DATA_PORT)
        return all_ones(size); /* master abort: no device at any address */
    uint32_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
        uint32_t byte = port + i == RESET_CONTROL_PORT ? reset_control_ : 0xFF;
        value |= byte << (8 * i);
    }
    return value;
}

void PciConfig::write(uint16_t port, unsigned size, uint32_t value, uint64_t)
{
    if (port == ADDRESS_PORT && size == 4) {
        address_ = value & ADDRESS_WRITABLE;
        return;
    }
    if (port >= DATA_PORT)
        return; /* no device takes the write */
    for (unsigned i = 0; i < size; ++i) {
        if (port + i != RESET_CONTROL_PORT)
            continue;
        auto byte = uint8_t(value >> (8 * i));
        if (byte & RESET_CPU)
            reset_requested_ = true;
        reset_control_ = uint8_t(byte & (RESET_SYSTEM | RESET_FULL));
    }
}

bool PciConfig::take_reset_request()
{
    bool requested = reset_requested_;
    reset_requested_ = false;
    return requested;
}

} // namespace devices
