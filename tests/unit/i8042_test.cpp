/* hypervisor/devices/i8042 and ps2_keyboard: the controller against the OSDev
 * "8042 PS/2 Controller" article, the keyboard against "PS/2 Keyboard". */
#include "hypervisor/devices/i8042.h"
#include "fake_interrupt_controller.h"
#include "unit_test.h"

#include <vector>

using devices::I8042;

namespace {

void command(I8042& kbc, uint8_t value) { kbc.write(0x64, 1, value, 0); }
void data(I8042& kbc, uint8_t value) { kbc.write(0x60, 1, value, 0); }
uint8_t status(I8042& kbc) { return uint8_t(kbc.read(0x64, 1, 0)); }

/* Everything the guest can read now, the way a polling driver reads it. */
std::vector<int> drain(I8042& kbc)
{
    std::vector<int> bytes;
    for (int i = 0; i < 64 && (status(kbc) & I8042::OUTPUT_FULL); ++i)
        bytes.push_back(int(kbc.read(0x60, 1, 0)));
    return bytes;
}

const std::vector<int> NOTHING{};

} // namespace

UNIT_TEST(i8042_linux_style_boot_sequence)
{
    FakeInterruptController pic;
    I8042 kbc(devices::IrqLine(pic, 1));
    command(kbc, 0xAD);  /* disable keyboard port */
    command(kbc, 0xA7);  /* disable mouse port */
    CHECK(drain(kbc) == NOTHING);
    command(kbc, 0x20);  /* read the command byte */
    uint8_t config = uint8_t(drain(kbc).at(0));
    CHECK_EQ(config & 0x10, 0x10); /* port 1 now disabled */
    command(kbc, 0x60);
    data(kbc, config & ~0x03); /* interrupts off during setup */
    command(kbc, 0xAA);
    CHECK(drain(kbc) == std::vector<int>{0x55});
    command(kbc, 0xAB);
    CHECK(drain(kbc) == std::vector<int>{0x00});
    command(kbc, 0xAE);
    command(kbc, 0x60);
    data(kbc, uint8_t(config | 0x01) & ~0x10);
    data(kbc, 0xFF); /* keyboard reset */
    CHECK(pic.level[1]);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xAA}));
    CHECK(!pic.level[1]);
    data(kbc, 0xF4);
    CHECK(drain(kbc) == std::vector<int>{0xFA});
}

UNIT_TEST(i8042_status_bits)
{
    I8042 kbc;
    CHECK_EQ(status(kbc), 0x14); /* not inhibited, system flag */
    command(kbc, 0x20);
    CHECK_EQ(status(kbc), 0x1D); /* + output full, last write was a command */
    kbc.read(0x60, 1, 0);
    data(kbc, 0xEE);
    CHECK_EQ(status(kbc), 0x15); /* data write: command/data bit clear */
    CHECK_EQ(status(kbc) & 0x02, 0); /* input buffer never full */
}

UNIT_TEST(i8042_command_byte_read_and_write)
{
    I8042 kbc;
    command(kbc, 0x20);
    CHECK(drain(kbc) == std::vector<int>{0x45});
    command(kbc, 0x60);
    data(kbc, 0x61);
    CHECK_EQ(kbc.command_byte(), 0x61);
    command(kbc, 0x20);
    CHECK(drain(kbc) == std::vector<int>{0x61});
    CHECK_EQ(status(kbc) & 0x04, 0); /* system flag follows the command byte */
}

UNIT_TEST(i8042_second_port_is_absent)
{
    I8042 kbc;
    command(kbc, 0xA8);
    command(kbc, 0x20);
    uint8_t enabled = uint8_t(drain(kbc).at(0));
    command(kbc, 0xA7);
    command(kbc, 0x20);
    CHECK_EQ(drain(kbc).at(0), enabled); /* the disable bit does not toggle */
    command(kbc, 0xA9);
    CHECK(drain(kbc) == NOTHING);
    command(kbc, 0xD4);
    data(kbc, 0xFF); /* a mouse reset reaches no one: no reply, keyboard untouched */
    CHECK(drain(kbc) == NOTHING);
    CHECK(kbc.keyboard().scanning());
}

UNIT_TEST(i8042_pulse_reset_line_requests_reset_once)
{
    I8042 kbc;
    CHECK(!kbc.take_reset_request());
    command(kbc, 0xFE);
    CHECK(kbc.take_reset_request());
    CHECK(!kbc.take_reset_request());
    command(kbc, 0xFF); /* pulses nothing */
    CHECK(!kbc.take_reset_request());
    command(kbc, 0xD1);
    data(kbc, 0x02); /* output port with the reset line low */
    CHECK(kbc.take_reset_request());
}

UNIT_TEST(i8042_output_port_a20)
{
    I8042 kbc;
    CHECK(kbc.a20_enabled());
    command(kbc, 0xD1);
    data(kbc, 0x01);
    CHECK(!kbc.a20_enabled());
    command(kbc, 0xD0);
    CHECK(drain(kbc) == std::vector<int>{0x01});
}

UNIT_TEST(i8042_write_port1_output_appears_as_keyboard_byte)
{
    FakeInterruptController pic;
    I8042 kbc(devices::IrqLine(pic, 1));
    command(kbc, 0xD2);
    data(kbc, 0x1E);
    CHECK(pic.level[1]);
    CHECK(drain(kbc) == std::vector<int>{0x1E});
}

UNIT_TEST(keyboard_command_replies)
{
    I8042 kbc;
    data(kbc, 0xED);
    CHECK(drain(kbc) == std::vector<int>{0xFA});
    data(kbc, 0x07);
    CHECK(drain(kbc) == std::vector<int>{0xFA});
    CHECK_EQ(kbc.keyboard().leds(), 7);
    data(kbc, 0xF3);
    data(kbc, 0x20);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xFA}));
    CHECK_EQ(kbc.keyboard().typematic(), 0x20);
    data(kbc, 0xF2);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xAB, 0x83}));
    data(kbc, 0xEE);
    CHECK(drain(kbc) == std::vector<int>{0xEE});
    data(kbc, 0xF5);
    CHECK(drain(kbc) == std::vector<int>{0xFA});
    CHECK(!kbc.keyboard().scanning());
    data(kbc, 0xF4);
    CHECK(drain(kbc) == std::vector<int>{0xFA});
    CHECK(kbc.keyboard().scanning());
    data(kbc, 0x42); /* not a command */
    CHECK(drain(kbc) == std::vector<int>{0xFE});
}

UNIT_TEST(keyboard_scancode_set_get_and_refusal)
{
    I8042 kbc;
    data(kbc, 0xF0);
    data(kbc, 0x00);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xFA, 0x02}));
    data(kbc, 0xF0);
    data(kbc, 0x02);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xFA}));
    data(kbc, 0xF0);
    data(kbc, 0x03);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xFE}));
}

UNIT_TEST(keyboard_command_interrupts_an_awaited_argument)
{
    I8042 kbc;
    data(kbc, 0xED);
    CHECK(drain(kbc) == std::vector<int>{0xFA});
    data(kbc, 0xEE); /* bit 7 set: a command, not the LED byte */
    CHECK(drain(kbc) == (std::vector<int>{0xEE}));
    CHECK_EQ(kbc.keyboard().leds(), 0);
}

UNIT_TEST(keyboard_reset_discards_pending_keys)
{
    I8042 kbc;
    command(kbc, 0xAD); /* keep the keys inside the keyboard */
    const uint8_t a[] = {0x1E, 0x9E};
    CHECK(kbc.press(a, 2));
    data(kbc, 0xFF);
    CHECK(drain(kbc) == (std::vector<int>{0xFA, 0xAA}));
}

UNIT_TEST(keyboard_keys_raise_irq1_only_when_enabled)
{
    FakeInterruptController pic;
    I8042 kbc(devices::IrqLine(pic, 1));
    command(kbc, 0x60);
    data(kbc, 0x44); /* interrupt bit clear */
    const uint8_t a[] = {0x1E, 0x9E};
    CHECK(kbc.press(a, 2));
    CHECK(!pic.level[1]);
    CHECK_EQ(status(kbc) & 0x01, 0x01);
    command(kbc, 0x60);
    data(kbc, 0x45);
    CHECK(pic.level[1]);
    CHECK_EQ(kbc.read(0x60, 1, 0), 0x1Eu);
    /* The next byte arrives at once: a new edge for the PIC. */
    CHECK_EQ(pic.rising_edges[1], 2u);
    CHECK_EQ(kbc.read(0x60, 1, 0), 0x9Eu);
    CHECK(!pic.level[1]);
}

UNIT_TEST(keyboard_disabled_port_holds_keys_until_enabled)
{
    I8042 kbc;
    command(kbc, 0xAD);
    const uint8_t extended_up[] = {0xE0, 0x48};
    CHECK(kbc.press(extended_up, 2));
    CHECK_EQ(status(kbc) & 0x01, 0);
    command(kbc, 0xAE);
    CHECK(drain(kbc) == (std::vector<int>{0xE0, 0x48}));
}

UNIT_TEST(keyboard_ignores_keys_while_scanning_disabled)
{
    I8042 kbc;
    data(kbc, 0xF5);
    drain(kbc);
    const uint8_t a[] = {0x1E};
    CHECK(!kbc.press(a, 1));
    CHECK(drain(kbc) == NOTHING);
}

UNIT_TEST(keyboard_queue_overflow_drops_whole_keys_and_reports_overrun_once)
{
    I8042 kbc;
    command(kbc, 0xAD);
    const uint8_t key[] = {0x1E, 0x9E};
    int accepted = 0;
    for (int i = 0; i < 20; ++i)
        accepted += kbc.press(key, 2) ? 1 : 0;
    CHECK_EQ(accepted, 7); /* 14 bytes of 16; one slot stays for the overrun code */
    command(kbc, 0xAE);
    std::vector<int> bytes = drain(kbc);
    CHECK_EQ(bytes.size(), 15u);
    CHECK_EQ(bytes.back(), 0xFF);
    CHECK_EQ(bytes[13], 0x9E);
}

UNIT_TEST(i8042_empty_output_buffer_reads_last_byte_again)
{
    I8042 kbc;
    command(kbc, 0xAA);
    CHECK_EQ(kbc.read(0x60, 1, 0), 0x55u);
    CHECK_EQ(kbc.read(0x60, 1, 0), 0x55u);
    CHECK_EQ(status(kbc) & 0x01, 0);
}

UNIT_TEST(i8042_controller_ram_index_stays_in_bounds)
{
    I8042 kbc;
    for (unsigned c = 0x20; c <= 0x7F; ++c) {
        command(kbc, uint8_t(c));
        data(kbc, 0x5A);
        drain(kbc);
    }
    command(kbc, 0x3F);
    CHECK(drain(kbc) == std::vector<int>{0x5A});
}
