/* kernel/drivers/scancode_set1.cpp: scancode set 1 to key events and to the
 * bytes a terminal would send. */
#include "drivers/scancode_set1.h"
#include "unit_test.h"

#include <vector>

namespace {

/* Feeds `bytes` and returns every event they complete. */
std::vector<KeyEvent> decode(ScancodeDecoder& decoder, std::vector<uint8_t> bytes)
{
    std::vector<KeyEvent> events;
    for (uint8_t byte : bytes) {
        KeyEvent event;
        if (decoder.feed(byte, event))
            events.push_back(event);
    }
    return events;
}

/* The text typed by `bytes`: the terminal bytes of every event. */
std::string typed(std::vector<uint8_t> bytes)
{
    ScancodeDecoder decoder;
    std::string text;
    for (const KeyEvent& event : decode(decoder, bytes)) {
        char out[8];
        text.append(out, key_event_bytes(event, out, sizeof(out)));
    }
    return text;
}

} // namespace

UNIT_TEST(keyboard_letter_press_and_release)
{
    ScancodeDecoder decoder;
    std::vector<KeyEvent> events = decode(decoder, {0x1E, 0x9E});
    CHECK_EQ(events.size(), size_t(2));
    CHECK(events[0].key == Key::character);
    CHECK(events[0].pressed);
    CHECK_EQ(events[0].character, 'a');
    CHECK(!events[1].pressed);
    CHECK_EQ(events[1].character, 'a');
}

UNIT_TEST(keyboard_shift_gives_upper_case_and_symbols)
{
    CHECK_EQ(typed({0x2A, 0x1E, 0x9E, 0x02, 0x82, 0xAA, 0x1E, 0x9E}), std::string("A!a"));
    CHECK_EQ(typed({0x36, 0x0C, 0x8C, 0x27, 0xB6, 0x27}), std::string("_:;"));
}

UNIT_TEST(keyboard_caps_lock_toggles_letters_only)
{
    /* caps lock on, a, 1, shift-a; caps lock again (off), a */
    CHECK_EQ(typed({0x3A, 0xBA, 0x1E, 0x02, 0x2A, 0x1E, 0xAA, 0x3A, 0xBA, 0x1E}), std::string("A1aa"));
}

UNIT_TEST(keyboard_caps_lock_state_is_kept)
{
    ScancodeDecoder decoder;
    decode(decoder, {0x3A, 0xBA});
    CHECK(decoder.caps_lock());
    decode(decoder, {0x3A, 0xBA});
    CHECK(!decoder.caps_lock());
}

UNIT_TEST(keyboard_ctrl_letter_gives_control_code)
{
    CHECK_EQ(typed({0x1D, 0x2E, 0xAE, 0x9D, 0x2E}), std::string("\x03" "c"));
    /* right ctrl is E0 1D */
    CHECK_EQ(typed({0xE0, 0x1D, 0x20, 0xE0, 0x9D}), std::string("\x04"));
}

UNIT_TEST(keyboard_extended_arrow_keys)
{
    ScancodeDecoder decoder;
    std::vector<KeyEvent> events = decode(decoder, {0xE0, 0x48, 0xE0, 0xC8, 0xE0, 0x4B});
    CHECK_EQ(events.size(), size_t(3));
    CHECK(events[0].key == Key::up && events[0].pressed);
    CHECK(events[1].key == Key::up && !events[1].pressed);
    CHECK(events[2].key == Key::left);
    CHECK_EQ(typed({0xE0, 0x48, 0xE0, 0x50, 0xE0, 0x4D, 0xE0, 0x4B}), std::string("\x1b[A\x1b[B\x1b[C\x1b[D"));
}

UNIT_TEST(keyboard_e0_prefix_applies_to_one_byte_only)
{
    /* E0 48 is up; the plain 48 after it is keypad 8. */
    CHECK_EQ(typed({0xE0, 0x48, 0x48}), std::string("\x1b[A" "8"));
}

UNIT_TEST(keyboard_navigation_block)
{
    CHECK_EQ(typed({0xE0, 0x47, 0xE0, 0x4F, 0xE0, 0x53, 0xE0, 0x49}), std::string("\x1b[H\x1b[F\x1b[3~\x1b[5~"));
}

UNIT_TEST(keyboard_function_keys)
{
    ScancodeDecoder decoder;
    std::vector<KeyEvent> events = decode(decoder, {0x3B, 0x44, 0x57, 0x58});
    CHECK_EQ(events.size(), size_t(4));
    CHECK(events[0].key == Key::f1);
    CHECK(events[1].key == Key::f10);
    CHECK(events[2].key == Key::f11);
    CHECK(events[3].key == Key::f12);
    CHECK_EQ(typed({0x3B, 0x3F, 0x58}), std::string("\x1bOP\x1b[15~\x1b[24~"));
}

UNIT_TEST(keyboard_enter_backspace_tab_escape)
{
    CHECK_EQ(typed({0x1C, 0x0E, 0x0F, 0x01, 0xE0, 0x1C}), std::string("\n\b\t\x1b\n"));
}

UNIT_TEST(keyboard_modifiers_are_reported_and_released)
{
    ScancodeDecoder decoder;
    std::vector<KeyEvent> events = decode(decoder, {0x2A, 0x38, 0x1E, 0xAA, 0xB8, 0x1E});
    CHECK_EQ(events.size(), size_t(6));
    CHECK(events[2].shift && events[2].alt && !events[2].ctrl);
    CHECK(!events[5].shift && !events[5].alt);
    CHECK_EQ(events[5].character, 'a');
}

UNIT_TEST(keyboard_both_shifts_count_until_both_released)
{
    CHECK_EQ(typed({0x2A, 0x36, 0xAA, 0x1E, 0xB6, 0x1E}), std::string("Aa"));
}

UNIT_TEST(keyboard_print_screen_fake_shift_is_ignored)
{
    /* Print Screen: E0 2A E0 37 ... E0 B7 E0 AA; the fake shift must not make
     * the next letter upper case. */
    CHECK_EQ(typed({0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA, 0x1E}), std::string("a"));
}

UNIT_TEST(keyboard_pause_sequence_is_swallowed)
{
    CHECK_EQ(typed({0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x1E}), std::string("a"));
}

UNIT_TEST(keyboard_unknown_codes_make_no_event)
{
    ScancodeDecoder decoder;
    CHECK(decode(decoder, {0x59, 0x7F, 0xE0, 0x10}).empty());
}

UNIT_TEST(keyboard_key_bytes_respects_buffer_size)
{
    KeyEvent f5{Key::f5, true, 0, false, false, false};
    char out[3];
    CHECK_EQ(key_event_bytes(f5, out, sizeof(out)), size_t(3));
    CHECK_EQ(std::string(out, 3), std::string("\x1b[1"));
    KeyEvent released{Key::character, false, 'a', false, false, false};
    CHECK_EQ(key_event_bytes(released, out, sizeof(out)), size_t(0));
}
