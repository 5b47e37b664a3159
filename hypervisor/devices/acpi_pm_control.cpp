/* The ACPI PM1a control register; see acpi_pm_control.h. */
#include "hypervisor/devices/acpi_pm_control.h"

namespace devices {

uint32_t AcpiPmControl::read(uint16_t port, unsigned size, uint64_t)
{
    uint16_t visible = uint16_t(value_ & ~SLP_EN);
    uint32_t from_low = port == port_ ? visible : visible >> 8;
    /* A 2-byte read at the second port sees the high byte, then nothing. */
    return size == 2 && port != port_ ? (from_low & 0xFF) | 0xFF00 : from_low & (size == 2 ? 0xFFFF : 0xFF);
}

void AcpiPmControl::write(uint16_t port, unsigned size, uint32_t value, uint64_t)
{
    for (unsigned i = 0; i < size; ++i) {
        uint32_t target = uint32_t(port) + i;
        auto byte = uint8_t(value >> (8 * i));
        if (target == port_)
            value_ = uint16_t((value_ & 0xFF00) | byte);
        else if (target == uint32_t(port_) + 1)
            value_ = uint16_t((value_ & 0x00FF) | byte << 8);
    }
    if (value_ & SLP_EN) {
        sleep_requested_ = true;
        sleep_type_ = (value_ >> SLP_TYP_SHIFT) & 7;
        value_ = uint16_t(value_ & ~SLP_EN);
    }
}

bool AcpiPmControl::take_sleep_request(unsigned& sleep_type)
{
    if (!sleep_requested_)
        return false;
    sleep_requested_ = false;
    sleep_type = sleep_type_;
    return true;
}

} // namespace devices
