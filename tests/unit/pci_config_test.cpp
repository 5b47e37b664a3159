/* hypervisor/devices/pci_config: configuration mechanism #1 of the PCI Local Bus
 * Specification 3.0 with no device behind it, and the PIIX3 reset control
 * register, directly and through the I/O bus as the hypervisor routes them. */
#include "hypervisor/devices/io_bus.h"
#include "hypervisor/devices/pci_config.h"
#include "unit_test.h"

using devices::IoBus;
using devices::PciConfig;

namespace {

uint32_t config_address(unsigned bus, unsigned device, unsigned function, unsigned offset)
{
    return PciConfig::ADDRESS_ENABLE | bus << 16 | device << 11 | function << 8 | (offset & 0xFC);
}

} // namespace

UNIT_TEST(pci_config_address_reads_back_without_its_reserved_bits)
{
    PciConfig pci;
    pci.write(0xCF8, 4, 0xFFFFFFFF, 0);
    CHECK_EQ(pci.read(0xCF8, 4, 0), 0x80FFFFFCu);
    pci.write(0xCF8, 4, config_address(3, 4, 5, 0x10), 0);
    CHECK_EQ(pci.read(0xCF8, 4, 0), config_address(3, 4, 5, 0x10));
}

UNIT_TEST(pci_config_every_function_reads_vendor_ffff)
{
    PciConfig pci;
    IoBus bus;
    CHECK(bus.attach(pci));
    unsigned answered = 0;
    for (unsigned number = 0; number < 256; number += 51)
        for (unsigned device = 0; device < 32; ++device)
            for (unsigned function = 0; function < 8; ++function) {
                bus.write(0xCF8, 4, config_address(number, device, function, 0), 0);
                answered += bus.read(0xCFC, 4, 0) != 0xFFFFFFFF;
                answered += bus.read(0xCFC, 2, 0) != 0xFFFF;  /* vendor ID */
                answered += bus.read(0xCFE, 2, 0) != 0xFFFF;  /* device ID */
                answered += bus.read(0xCFF, 1, 0) != 0xFF;
            }
    CHECK_EQ(answered, 0u);
    CHECK_EQ(bus.unknown_reads(), 0u); /* the bridge answered, no byte was split off */
}

UNIT_TEST(pci_config_data_writes_vanish)
{
    PciConfig pci;
    pci.write(0xCF8, 4, config_address(0, 0, 0, 0x04), 0);
    pci.write(0xCFC, 4, 0x00000007, 0);
    pci.write(0xCFD, 1, 0x12, 0);
    CHECK_EQ(pci.read(0xCFC, 4, 0), 0xFFFFFFFFu);
    CHECK_EQ(pci.read(0xCF8, 4, 0), config_address(0, 0, 0, 0x04));
}

UNIT_TEST(pci_config_narrow_accesses_leave_the_address_alone)
{
    /* Linux's check for mechanism #1: a byte written to 0xCFB must not change
     * the dword register at 0xCF8. */
    PciConfig pci;
    pci.write(0xCF8, 4, 0x80000000, 0);
    pci.write(0xCFB, 1, 0x01, 0);
    pci.write(0xCF8, 2, 0x1234, 0);
    CHECK_EQ(pci.read(0xCF8, 4, 0), 0x80000000u);
    CHECK_EQ(pci.read(0xCF8, 1, 0), 0xFFu);
    CHECK_EQ(pci.read(0xCFA, 2, 0), 0xFFFFu);
}

UNIT_TEST(pci_config_reset_control_resets_once_on_rst_cpu)
{
    PciConfig pci;
    IoBus bus;
    CHECK(bus.attach(pci));
    bus.write(PciConfig::RESET_CONTROL_PORT, 1, PciConfig::RESET_SYSTEM, 0);
    CHECK(!pci.take_reset_request());
    CHECK_EQ(bus.read(PciConfig::RESET_CONTROL_PORT, 1, 0), uint32_t(PciConfig::RESET_SYSTEM));
    bus.write(PciConfig::RESET_CONTROL_PORT, 1, PciConfig::RESET_SYSTEM | PciConfig::RESET_CPU, 0);
    CHECK(pci.take_reset_request());
    CHECK(!pci.take_reset_request());
    /* RST_CPU reads back as 0. */
    CHECK_EQ(bus.read(PciConfig::RESET_CONTROL_PORT, 1, 0), uint32_t(PciConfig::RESET_SYSTEM));
}
