/* hypervisor/devices/acpi_pm_control: the PM1a control register against the ACPI
 * Specification 6.5, "PM1 Control Registers", reached through the IoBus as a
 * guest reaches it (so wide and split accesses are covered). */
#include "hypervisor/devices/acpi_pm_control.h"
#include "hypervisor/devices/io_bus.h"
#include "unit_test.h"

using devices::AcpiPmControl;
using devices::IoBus;

UNIT_TEST(acpi_pm1a_slp_en_as_qemu_and_bochs_kernels_write_it_powers_off)
{
    for (uint16_t port : {AcpiPmControl::QEMU_PORT, AcpiPmControl::BOCHS_PORT}) {
        AcpiPmControl pm(port);
        IoBus bus;
        CHECK(bus.attach(pm));
        unsigned type = 99;
        CHECK(!pm.take_sleep_request(type));
        bus.write(port, 2, 0x2000, 0);
        CHECK(pm.take_sleep_request(type));
        CHECK_EQ(type, 0u);
        CHECK(!pm.take_sleep_request(type)); /* reported once */
    }
}

UNIT_TEST(acpi_pm1a_sleep_type_is_reported)
{
    AcpiPmControl pm(AcpiPmControl::QEMU_PORT);
    unsigned type = 0;
    pm.write(0x604, 2, AcpiPmControl::SLP_EN | 5u << AcpiPmControl::SLP_TYP_SHIFT, 0);
    CHECK(pm.take_sleep_request(type));
    CHECK_EQ(type, 5u);
}

UNIT_TEST(acpi_pm1a_writes_without_slp_en_do_not_power_off)
{
    AcpiPmControl pm(AcpiPmControl::BOCHS_PORT);
    IoBus bus;
    CHECK(bus.attach(pm));
    bus.write(0xB004, 2, 0xDFFF, 0);
    bus.write(0xB004, 1, 0xFF, 0);
    bus.write(0xB005, 1, 0xDF, 0);
    unsigned type = 0;
    CHECK(!pm.take_sleep_request(type));
    CHECK_EQ(bus.read(0xB004, 2, 0), 0xDFFFu);
}

UNIT_TEST(acpi_pm1a_slp_en_in_a_byte_or_a_split_write_powers_off)
{
    AcpiPmControl pm(AcpiPmControl::QEMU_PORT);
    IoBus bus;
    CHECK(bus.attach(pm));
    unsigned type = 0;
    bus.write(0x605, 1, 0x20, 0);
    CHECK(pm.take_sleep_request(type));
    /* A 32-bit OUT at 0x602 reaches 0x605 with its byte 3. */
    bus.write(0x602, 4, 0x20000000, 0);
    CHECK(pm.take_sleep_request(type));
    bus.write(0x602, 4, 0x00200000, 0); /* byte 2 lands on 0x604: bit 5, not SLP_EN */
    CHECK(!pm.take_sleep_request(type));
}

UNIT_TEST(acpi_pm1a_reads_sci_en_and_never_slp_en)
{
    AcpiPmControl pm(AcpiPmControl::QEMU_PORT);
    CHECK_EQ(pm.read(0x604, 2, 0), uint32_t(AcpiPmControl::SCI_EN));
    pm.write(0x604, 2, 0x2001, 0);
    CHECK_EQ(pm.read(0x604, 2, 0) & AcpiPmControl::SLP_EN, 0u);
    CHECK_EQ(pm.read(0x605, 1, 0), 0u);
}
