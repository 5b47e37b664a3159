/* hypervisor/devices/io_bus: routing, the empty-bus answer and unknown-port reports. */
#include "hypervisor/devices/debug_port.h"
#include "hypervisor/devices/io_bus.h"
#include "hypervisor/devices/uart16550.h"
#include "unit_test.h"

#include <vector>

using devices::IoBus;

namespace {

struct Report {
    uint16_t port;
    bool is_write;
};

struct Reports {
    std::vector<Report> seen;
    static void collect(void* self, uint16_t port, bool is_write)
    {
        static_cast<Reports*>(self)->seen.push_back({port, is_write});
    }
};

/* A device with one 32-bit register, for wide accesses. */
struct WideRegister final : devices::PortDevice {
    uint32_t value = 0;
    unsigned last_size = 0;
    bool handles(uint16_t port) const override { return port == 0xCFC; }
    uint32_t read(uint16_t, unsigned size, uint64_t) override
    {
        last_size = size;
        return value;
    }
    void write(uint16_t, unsigned size, uint32_t v, uint64_t) override
    {
        last_size = size;
        value = v;
    }
    unsigned max_access_size() const override { return 4; }
};

} // namespace

UNIT_TEST(io_bus_unknown_ports_read_all_ones_of_the_access_size)
{
    IoBus bus;
    CHECK_EQ(bus.read(0x300, 1, 0), 0xFFu);
    CHECK_EQ(bus.read(0x300, 2, 0), 0xFFFFu);
    CHECK_EQ(bus.read(0x300, 4, 0), 0xFFFFFFFFu);
    CHECK_EQ(bus.read(0x300, 3, 0), 0xFFu); /* nonsense sizes count as bytes */
    bus.write(0x300, 4, 0x12345678, 0);     /* dropped */
}

UNIT_TEST(io_bus_empty_ide_channels_read_as_ff)
{
    /* No IDE controller: the status register reads 0xFF, which drivers take as
     * "no drive" (floating bus), and the 16-bit data port reads 0xFFFF. */
    IoBus bus;
    for (uint16_t port = 0x1F0; port <= 0x1F7; ++port)
        CHECK_EQ(bus.read(port, 1, 0), 0xFFu);
    for (uint16_t port = 0x170; port <= 0x177; ++port)
        CHECK_EQ(bus.read(port, 1, 0), 0xFFu);
    CHECK_EQ(bus.read(0x1F0, 2, 0), 0xFFFFu);
}

UNIT_TEST(io_bus_reports_each_unknown_port_once)
{
    IoBus bus;
    Reports reports;
    bus.set_unknown_port_reporter(Reports::collect, &reports);
    bus.read(0x1F7, 1, 0);
    bus.read(0x1F7, 1, 0);
    bus.write(0x1F7, 1, 0xEC, 0);
    bus.write(0x3F0, 1, 0, 0);
    CHECK_EQ(reports.seen.size(), 2u);
    CHECK_EQ(reports.seen.at(0).port, 0x1F7);
    CHECK(!reports.seen.at(0).is_write);
    CHECK_EQ(reports.seen.at(1).port, 0x3F0);
    CHECK(reports.seen.at(1).is_write);
}

/* Regression: a guest sweeping every port made the host log 65536 lines. */
UNIT_TEST(io_bus_unknown_port_sweep_does_not_flood_the_log)
{
    IoBus bus;
    Reports reports;
    bus.set_unknown_port_reporter(Reports::collect, &reports);
    for (uint32_t port = 0x1000; port <= 0xFFFF; ++port)
        bus.write(uint16_t(port), 1, 0, 0);
    CHECK_EQ(reports.seen.size(), IoBus::MAX_UNKNOWN_PORT_REPORTS);
    CHECK_EQ(reports.seen.at(0).port, 0x1000);
    CHECK_EQ(bus.read(0xFFFF, 1, 0), 0xFFu);
}

UNIT_TEST(io_bus_accepts_post_port_silently)
{
    IoBus bus;
    Reports reports;
    bus.set_unknown_port_reporter(Reports::collect, &reports);
    bus.write(0x80, 1, 0x42, 0);
    CHECK_EQ(bus.read(0x80, 1, 0), 0xFFu);
    CHECK(reports.seen.empty());
}

UNIT_TEST(io_bus_absent_com2_to_com4_read_as_all_ones)
{
    IoBus bus;
    devices::Uart16550 com1(devices::Uart16550::COM1_BASE, {}, {});
    CHECK(bus.attach(com1));
    CHECK(bus.read(0x3FD, 1, 0) != 0xFFu); /* COM1 LSR */
    for (uint16_t base : {uint16_t(0x2F8), uint16_t(0x3E8), uint16_t(0x2E8)}) {
        CHECK_EQ(bus.read(uint16_t(base + 5), 1, 0), 0xFFu); /* the LSR test serial.cpp uses */
        bus.write(uint16_t(base + 7), 1, 0x5A, 0);
        CHECK_EQ(bus.read(uint16_t(base + 7), 1, 0), 0xFFu); /* no scratch register */
    }
}

UNIT_TEST(io_bus_routes_to_the_owning_device)
{
    IoBus bus;
    devices::DebugPort debug({});
    CHECK(bus.attach(debug));
    CHECK_EQ(bus.read(0xE9, 1, 0), 0xE9u);
    CHECK_EQ(bus.read(0xE8, 1, 0), 0xFFu);
}

UNIT_TEST(io_bus_splits_wide_accesses_for_byte_devices)
{
    IoBus bus;
    devices::DebugPort debug({});
    CHECK(bus.attach(debug));
    /* inw 0xE8: 0xE8 floats, 0xE9 answers. */
    CHECK_EQ(bus.read(0xE8, 2, 0), 0xE9FFu);
    CHECK_EQ(bus.read(0xE9, 4, 0), 0xFFFFFFE9u);
    /* Port numbers wrap at the top of the I/O space. */
    CHECK_EQ(bus.read(0xFFFF, 2, 0), 0xFFFFu);
}

UNIT_TEST(io_bus_passes_wide_accesses_to_wide_devices)
{
    IoBus bus;
    WideRegister reg;
    CHECK(bus.attach(reg));
    bus.write(0xCFC, 4, 0x80001234, 0);
    CHECK_EQ(reg.last_size, 4u);
    CHECK_EQ(bus.read(0xCFC, 2, 0), 0x1234u);
    CHECK_EQ(reg.last_size, 2u);
}

UNIT_TEST(io_bus_table_is_bounded)
{
    IoBus bus;
    devices::DebugPort debug({});
    for (size_t i = 0; i < IoBus::MAX_DEVICES; ++i)
        CHECK(bus.attach(debug));
    CHECK(!bus.attach(debug));
}

UNIT_TEST(io_bus_counts_bytes_to_unknown_ports_but_not_the_post_port)
{
    IoBus bus;
    bus.read(0x300, 1, 0);
    bus.read(0x300, 4, 0);   /* four byte cycles */
    bus.write(0x300, 2, 0, 0); /* two */
    bus.write(IoBus::POST_PORT, 1, 0x55, 0);
    bus.read(IoBus::POST_PORT, 1, 0);
    CHECK_EQ(bus.unknown_reads(), 5u);
    CHECK_EQ(bus.unknown_writes(), 2u);
}
