/* hypervisor/devices: all models wired together the way the hypervisor wires a
 * VM's platform, and driven with random guest port I/O (the guest is untrusted). */
#include "hypervisor/devices/debug_port.h"
#include "hypervisor/devices/i8042.h"
#include "hypervisor/devices/io_bus.h"
#include "hypervisor/devices/line_assembler.h"
#include "hypervisor/devices/pic8259.h"
#include "hypervisor/devices/pit8254.h"
#include "hypervisor/devices/system_control_port.h"
#include "hypervisor/devices/uart16550.h"
#include "hypervisor/devices/vga_text_device.h"
#include "unit_test.h"

#include <string>
#include <vector>

using namespace devices;

namespace {

struct Platform {
    std::vector<std::string> lines;
    uint8_t text[VgaTextDevice::SCREEN_BYTES] = {};
    LineAssembler console{[](void* self, const char* t, size_t n) { static_cast<Platform*>(self)->lines.emplace_back(t, n); },
                          this};
    Pic8259Pair pic;
    Pit8254 pit{IrqLine(pic, 0)};
    SystemControlPort port61{pit};
    I8042 keyboard{IrqLine(pic, 1)};
    Uart16550 com1{Uart16550::COM1_BASE, IrqLine(pic, Uart16550::COM1_IRQ), console.sink()};
    DebugPort debug{console.sink()};
    VgaTextDevice vga{text, sizeof(text)};
    IoBus bus;

    Platform()
    {
        PortDevice* all[] = {&pic, &pit, &port61, &keyboard, &com1, &debug, &vga};
        for (PortDevice* device : all)
            CHECK(bus.attach(*device));
    }
    void out(uint16_t port, uint8_t value, uint64_t now = 0) { bus.write(port, 1, value, now); }
};

void init_pic(Platform& p)
{
    const uint8_t sequence[][2] = {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xA0, 0x11},
                                   {0xA1, 0x28}, {0xA1, 0x02}, {0xA1, 0x01}, {0x21, 0x00}, {0xA1, 0x00}};
    for (auto& step : sequence)
        p.out(step[0], step[1]);
}

} // namespace

UNIT_TEST(platform_timer_tick_reaches_the_cpu_as_vector_0x20)
{
    Platform p;
    init_pic(p);
    p.out(0x43, 0x34);
    p.out(0x40, 11932 & 0xFF);
    p.out(0x40, 11932 >> 8);
    /* Programming mode 2 raised OUT0: the first request is already there. */
    CHECK_EQ(p.pic.acknowledge(), 0x20);
    p.out(0x20, 0x20);
    CHECK(!p.pic.has_pending_interrupt());
    uint64_t deadline = p.pit.next_irq_deadline_ns(0);
    CHECK_EQ(deadline, Pit8254::ns_at(11932));
    p.pit.advance(deadline);
    CHECK(p.pic.has_pending_interrupt());
    CHECK_EQ(p.pic.acknowledge(), 0x20);
}

UNIT_TEST(platform_keyboard_and_serial_interrupts_in_priority_order)
{
    Platform p;
    init_pic(p);
    p.out(0x3F9, 0x01); /* COM1: received data interrupt */
    p.out(0x3FC, 0x0B); /* OUT2 */
    const uint8_t byte = 'x';
    p.com1.receive(&byte, 1);
    const uint8_t key[] = {0x1C};
    CHECK(p.keyboard.press(key, 1));
    CHECK_EQ(p.pic.acknowledge(), 0x21); /* IRQ 1 before IRQ 4 */
    CHECK_EQ(p.bus.read(0x60, 1, 0), 0x1Cu);
    p.out(0x20, 0x20);
    CHECK_EQ(p.pic.acknowledge(), 0x24);
}

UNIT_TEST(platform_console_lines_from_com1_and_debug_port)
{
    Platform p;
    for (char c : std::string("via com1\n"))
        p.out(0x3F8, uint8_t(c));
    for (char c : std::string("via e9\n"))
        p.out(0xE9, uint8_t(c));
    CHECK(p.lines == (std::vector<std::string>{"via com1", "via e9"}));
}

UNIT_TEST(platform_survives_random_guest_port_io)
{
    Platform p;
    uint64_t state = 0x9E3779B97F4A7C15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    /* The ports of every model, plus neighbours. */
    const uint16_t ports[] = {0x20,  0x21,  0xA0,  0xA1,  0x4D0, 0x4D1, 0x40,  0x41,  0x42,  0x43,  0x61,
                              0x60,  0x64,  0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FE, 0x3FF, 0xE9,
                              0x3B4, 0x3B5, 0x3BA, 0x3C0, 0x3C1, 0x3C2, 0x3C4, 0x3C5, 0x3C6, 0x3C7, 0x3C8,
                              0x3C9, 0x3CA, 0x3CC, 0x3CE, 0x3CF, 0x3D4, 0x3D5, 0x3DA, 0x80,  0x1F7};
    const unsigned sizes[] = {1, 2, 4};
    uint64_t now = 0;
    unsigned acknowledged = 0;
    for (int i = 0; i < 200000; ++i) {
        uint64_t r = next();
        uint16_t port = ports[r % (sizeof(ports) / sizeof(ports[0]))];
        unsigned size = sizes[(r >> 8) % 3];
        now += (r >> 16) % 5000;
        if ((r >> 40) & 1)
            p.bus.write(port, size, uint32_t(next()), now);
        else
            p.bus.read(port, size, now);
        if ((r >> 41) % 16 == 0) {
            p.pit.advance(now);
            if (p.pic.has_pending_interrupt()) {
                p.pic.acknowledge();
                ++acknowledged;
            }
            p.pit.next_irq_deadline_ns(now);
        }
        if ((r >> 45) % 64 == 0) {
            uint8_t bytes[3] = {uint8_t(r >> 48), uint8_t(r >> 56), uint8_t(r)};
            p.keyboard.press(bytes, 1 + (r >> 50) % 3);
            p.com1.receive(bytes, 3);
        }
        if ((r >> 52) % 1024 == 0) {
            char row[81];
            p.vga.row_text(int((r >> 20) % 30) - 2, row, sizeof(row));
            p.vga.changed_since_last_look();
            p.vga.cursor();
        }
    }
    /* Reaching here without a sanitizer report is the test; the guest must also
     * have managed to get some interrupts and console lines through. */
    CHECK(acknowledged > 0);
    CHECK(!p.lines.empty());
}
