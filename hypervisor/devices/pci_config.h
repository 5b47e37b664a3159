/* PCI configuration mechanism #1 of a host bridge with nothing behind it: the
 * CONFIG_ADDRESS register at 0xCF8 (a dword that reads back what was written, its
 * reserved bits 30:24 and 1:0 as zero) and the CONFIG_DATA window at 0xCFC-0xCFF,
 * where every read ends in a master abort and returns all ones, so a guest's bus
 * scan finds vendor ID 0xFFFF ("no device") at every bus, device and function;
 * writes vanish. The byte at 0xCF9 is the reset control register of the PIIX3
 * and later chipsets: setting its RST_CPU bit resets the machine, one of the ways
 * kernels reboot, and here ends the VM as the 8042's reset line does.
 * Follows the PCI Local Bus Specification 3.0, "Configuration Mechanism #1",
 * and the Intel 82371SB (PIIX3) datasheet, "Reset Control Register". */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class PciConfig final : public PortDevice {
public:
    static constexpr uint16_t ADDRESS_PORT = 0xCF8, DATA_PORT = 0xCFC;
    static constexpr uint16_t RESET_CONTROL_PORT = 0xCF9;
    static constexpr uint32_t ADDRESS_ENABLE = 1u << 31;
    /* Enable, bus, device, function and dword register number. */
    static constexpr uint32_t ADDRESS_WRITABLE = ADDRESS_ENABLE | 0x00FFFFFC;
    static constexpr uint8_t RESET_SYSTEM = 0x02;   /* SYS_RST: hard rather than soft reset */
    static constexpr uint8_t RESET_CPU = 0x04;      /* RST_CPU: the reset happens */
    static constexpr uint8_t RESET_FULL = 0x08;     /* FULL_RST (ICH) */

    bool handles(uint16_t port) const override { return port >= ADDRESS_PORT && port <= DATA_PORT + 3; }
    unsigned max_access_size() const override { return 4; }
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    uint32_t address() const { return address_; }
    /* True once after the guest set RST_CPU at 0xCF9. */
    bool take_reset_request();

private:
    uint32_t address_ = 0;
    uint8_t reset_control_ = 0; /* SYS_RST and FULL_RST as written; RST_CPU reads 0 */
    bool reset_requested_ = false;
};

} // namespace devices
