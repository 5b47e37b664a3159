/* In-kernel tests of the PS/2 keyboard path, run with test=input: scancodes put
 * into the i8042's output buffer (command 0xD2) raise IRQ 1 like real keys and
 * must come out of the console input queue decoded. */
#include "console/console_input.h"
#include "drivers/i8042.h"
#include "drivers/keyboard.h"
#include "drivers/typing_for_tests.h"
#include "test/kernel_test.h"

namespace {

void drain_console_input()
{
    while (console_input::read_char() >= 0) {
    }
}

bool type_bytes(TestContext& t, const uint8_t* bytes, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        if (!type_scancode_byte(bytes[i])) {
            t.fail("scancode %x never reached the IRQ 1 handler", bytes[i]);
            return false;
        }
    }
    return true;
}

/* Reads what the queue holds into `text` (NUL-terminated). */
void read_console_input(char* text, size_t size)
{
    size_t length = 0;
    for (int c; length + 1 < size && (c = console_input::read_char()) >= 0;)
        text[length++] = char(c);
    text[length] = '\0';
}

} // namespace

KERNEL_TEST(input, i8042_delivers_translated_keyboard_interrupts)
{
    uint8_t config = i8042::read_config();
    EXPECT(config & i8042::CONFIG_PORT1_INTERRUPT);
    EXPECT(config & i8042::CONFIG_TRANSLATION);
    EXPECT(!(config & i8042::CONFIG_PORT1_CLOCK_DISABLED));
}

KERNEL_TEST(input, typed_scancodes_reach_console_input)
{
    drain_console_input();
    /* "a", shift-"a", "1": make and break codes. */
    const uint8_t scancodes[] = {0x1E, 0x9E, 0x2A, 0x1E, 0x9E, 0xAA, 0x02, 0x82};
    if (!type_bytes(t, scancodes, sizeof(scancodes)))
        return;
    char text[16];
    read_console_input(text, sizeof(text));
    EXPECT(__builtin_strcmp(text, "aA1") == 0);
    KeyEvent last = keyboard::last_event();
    EXPECT(last.key == Key::character && !last.pressed && last.character == '1');
}

KERNEL_TEST(input, arrow_key_arrives_as_escape_sequence)
{
    drain_console_input();
    const uint8_t up_arrow[] = {0xE0, 0x48, 0xE0, 0xC8};
    if (!type_bytes(t, up_arrow, sizeof(up_arrow)))
        return;
    char text[16];
    read_console_input(text, sizeof(text));
    EXPECT(__builtin_strcmp(text, "\x1b[A") == 0);
}

KERNEL_TEST(input, read_char_is_minus_one_when_empty)
{
    drain_console_input();
    EXPECT_EQ(console_input::read_char(), -1);
}
