/* The ACPI PM1a control register (PM1a_CNT) of a PC's power management block:
 * the register a kernel writes to enter a sleep state, S5 being "soft off". It
 * sits at 0x604 on QEMU's machines and at 0xB004 on Bochs' PIIX4 (the PM base
 * 0xB000 plus 4), and this model is attached at both so either kernel's way of
 * turning itself off works. Writing SLP_EN (bit 13) asks for the sleep state in
 * SLP_TYP (bits 12:10); the VM has no sleep states, so every such write is a
 * power off. Follows the ACPI Specification 6.5, "PM1 Control Registers" and
 * "Sleeping/Wake Control". */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class AcpiPmControl final : public PortDevice {
public:
    static constexpr uint16_t QEMU_PORT = 0x604, BOCHS_PORT = 0xB004;
    static constexpr uint16_t SCI_EN = 1u << 0;
    static constexpr uint16_t SLP_EN = 1u << 13;
    static constexpr unsigned SLP_TYP_SHIFT = 10;

    explicit AcpiPmControl(uint16_t port) : port_(port) {}

    uint16_t port() const { return port_; }
    bool handles(uint16_t port) const override { return port == port_ || port == port_ + 1; }
    unsigned max_access_size() const override { return 2; }
    /* SLP_EN is write-only and reads 0; SCI_EN reads 1 (the machine is in ACPI
     * mode, so a kernel need not ask the firmware to switch). */
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    /* A byte at the second port lands in the high byte; bytes beyond the
     * register are not ours and vanish. */
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* True once after the guest set SLP_EN; `sleep_type` is the SLP_TYP written. */
    bool take_sleep_request(unsigned& sleep_type);

private:
    uint16_t port_;
    uint16_t value_ = SCI_EN;
    bool sleep_requested_ = false;
    unsigned sleep_type_ = 0;
};

} // namespace devices
