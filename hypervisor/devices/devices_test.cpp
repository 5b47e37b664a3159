/* In-kernel tests of the device models: the same code the host unit tests check,
 * built freestanding with the kernel's flags (no SSE, no libc, -O2), must behave
 * the same. The full datasheet tests are in tests/unit/. */
#include "hypervisor/devices/io_bus.h"
#include "hypervisor/devices/line_assembler.h"
#include "hypervisor/devices/pic8259.h"
#include "hypervisor/devices/pit8254.h"
#include "hypervisor/devices/uart16550.h"
#include "lib/string.h"
#include "test/kernel_test.h"

namespace {

using namespace devices;

char last_line[LineAssembler::MAX_LINE + 1];

void remember_line(void*, const char* text, size_t length)
{
    memcpy(last_line, text, length + 1);
}

/* Static storage: the bus alone holds an 8 KiB bitmap, too much for a test's stack. */
Pic8259Pair pic;
Pit8254 pit{IrqLine(pic, 0)};
LineAssembler console{remember_line, nullptr};
Uart16550 com1{Uart16550::COM1_BASE, IrqLine(pic, Uart16550::COM1_IRQ), console.sink()};
IoBus bus;

} // namespace

KERNEL_TEST(devices, timer_tick_through_bus_pit_and_pic)
{
    EXPECT(bus.attach(pic));
    EXPECT(bus.attach(pit));
    const uint8_t init[][2] = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0x21, 0xFE}};
    for (auto& step : init)
        bus.write(step[0], 1, step[1], 0);
    bus.write(0x43, 1, 0x34, 0);
    bus.write(0x40, 1, 1193 & 0xFF, 0);
    bus.write(0x40, 1, 1193 >> 8, 0);
    EXPECT_EQ(pic.acknowledge(), 0x20u); /* the rising OUT0 of the mode write */
    bus.write(0x20, 1, 0x20, 0);
    EXPECT_EQ(pit.next_irq_deadline_ns(0), Pit8254::ns_at(1193));
    pit.advance(1000000000);
    /* 1000 periods: one edge now, MAX_BACKLOG remembered, the rest dropped. */
    EXPECT_EQ(pit.backlog(), Pit8254::MAX_BACKLOG);
    EXPECT_EQ(pit.ticks_coalesced(), 999u - Pit8254::MAX_BACKLOG);
    EXPECT_EQ(pic.acknowledge(), 0x20u);
    EXPECT_EQ(bus.read(0x1F7, 1, 0), 0xFFu);
}

KERNEL_TEST(devices, serial_output_becomes_a_line)
{
    EXPECT(bus.attach(com1));
    for (const char* c = "guest says hi\r\n"; *c; ++c)
        bus.write(0x3F8, 1, uint8_t(*c), 0);
    EXPECT(strcmp(last_line, "guest says hi") == 0);
    EXPECT_EQ(bus.read(0x3FD, 1, 0), 0x60u);
}
