/* hypervisor/devices/key_typist: host text typed into the PS/2 keyboard model as
 * set-1 keystrokes, read back through the host kernel's own set-1 decoder
 * (kernel/drivers/scancode_set1), as a guest's driver would read it. */
#include "drivers/scancode_set1.h"
#include "hypervisor/devices/key_typist.h"
#include "unit_test.h"

#include <string>
#include <vector>

using devices::I8042;
using devices::KeyTypist;

namespace {

/* The characters a terminal would make of the bytes (key_event_bytes). */
struct Decoded {
    ScancodeDecoder decoder;
    std::string text;
    void feed(uint8_t byte)
    {
        KeyEvent event;
        if (!decoder.feed(byte, event))
            return;
        char out[8];
        size_t length = key_event_bytes(event, out, sizeof(out));
        text.append(out, length);
    }
};

/* What a guest reading port 0x60 while the status says "output full" gets now. */
std::vector<uint8_t> drain(I8042& kbc)
{
    std::vector<uint8_t> bytes;
    for (int i = 0; i < 64 && (kbc.read(0x64, 1, 0) & I8042::OUTPUT_FULL); ++i)
        bytes.push_back(uint8_t(kbc.read(0x60, 1, 0)));
    return bytes;
}

} // namespace

UNIT_TEST(key_typist_every_printable_character_decodes_back_to_itself)
{
    for (int c = 0x20; c < 0x7F; ++c) {
        uint8_t bytes[devices::MAX_KEYSTROKE_BYTES];
        size_t count = devices::keystroke_bytes(uint8_t(c), bytes);
        CHECK(count == 2 || count == 4);
        Decoded decoded;
        for (size_t i = 0; i < count; ++i)
            decoded.feed(bytes[i]);
        CHECK_EQ(decoded.text, std::string(1, char(c)));
        CHECK(!decoded.decoder.caps_lock());
    }
}

UNIT_TEST(key_typist_capitals_hold_left_shift_around_the_key)
{
    uint8_t bytes[devices::MAX_KEYSTROKE_BYTES];
    CHECK_EQ(devices::keystroke_bytes('A', bytes), 4u);
    CHECK(std::vector<int>(bytes, bytes + 4) == (std::vector<int>{0x2A, 0x1E, 0x9E, 0xAA}));
    CHECK_EQ(devices::keystroke_bytes('a', bytes), 2u);
    CHECK(std::vector<int>(bytes, bytes + 2) == (std::vector<int>{0x1E, 0x9E}));
    CHECK_EQ(devices::keystroke_bytes('\n', bytes), 2u);
    CHECK(std::vector<int>(bytes, bytes + 2) == (std::vector<int>{0x1C, 0x9C}));
    CHECK_EQ(devices::keystroke_bytes(0x80, bytes), 0u); /* no key types it */
    CHECK_EQ(devices::keystroke_bytes(0x01, bytes), 0u);
}

/* A line far longer than the keyboard's 16-byte buffer arrives whole and in
 * order, one key at a time, without an overrun code, however slowly it is read. */
UNIT_TEST(key_typist_paces_a_long_line_through_the_16_byte_buffer)
{
    I8042 kbc;
    KeyTypist typist;
    std::string line = "Hello, World! ls -l /bin | grep \"~user\"\n";
    CHECK_EQ(typist.type(reinterpret_cast<const uint8_t*>(line.data()), line.size()), line.size());
    Decoded decoded;
    for (int round = 0; round < 1000 && (typist.waiting() || kbc.keyboard().has_output()); ++round) {
        typist.pump(kbc);
        typist.pump(kbc); /* a second entry before the guest read: no second key */
        std::vector<uint8_t> bytes = drain(kbc);
        CHECK(bytes.size() <= devices::MAX_KEYSTROKE_BYTES);
        for (uint8_t byte : bytes) {
            CHECK(byte != devices::Ps2Keyboard::OVERRUN);
            decoded.feed(byte);
        }
    }
    CHECK_EQ(decoded.text, line);
}

UNIT_TEST(key_typist_waits_while_the_keyboard_does_not_scan)
{
    I8042 kbc;
    KeyTypist typist;
    kbc.write(0x60, 1, 0xF5, 0); /* disable scanning */
    CHECK(drain(kbc) == std::vector<uint8_t>{0xFA});
    CHECK_EQ(typist.type(reinterpret_cast<const uint8_t*>("x"), 1), 1u);
    typist.pump(kbc);
    CHECK(drain(kbc).empty());
    CHECK_EQ(typist.waiting(), 1u); /* kept, not dropped */
    kbc.write(0x60, 1, 0xF4, 0); /* enable scanning */
    CHECK(drain(kbc) == std::vector<uint8_t>{0xFA});
    typist.pump(kbc);
    CHECK(drain(kbc) == (std::vector<uint8_t>{0x2D, 0xAD}));
}

UNIT_TEST(key_typist_refuses_what_does_not_fit_and_skips_untypeable_bytes)
{
    I8042 kbc;
    KeyTypist typist;
    std::vector<uint8_t> flood(KeyTypist::CAPACITY + 100, 0x80);
    CHECK_EQ(typist.type(flood.data(), flood.size()), KeyTypist::CAPACITY);
    flood[KeyTypist::CAPACITY - 1] = 'q';
    KeyTypist second;
    CHECK_EQ(second.type(flood.data(), KeyTypist::CAPACITY), KeyTypist::CAPACITY);
    second.pump(kbc); /* 511 untypeable bytes skipped on the way to the 'q' */
    CHECK(drain(kbc) == (std::vector<uint8_t>{0x10, 0x90}));
    CHECK_EQ(second.waiting(), 0u);
}
