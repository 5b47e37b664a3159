/* Host text to set-1 keystrokes; see key_typist.h. */
#include "hypervisor/devices/key_typist.h"

namespace devices {

namespace {

constexpr uint8_t LEFT_SHIFT = 0x2A;
constexpr uint8_t BREAK = 0x80; /* a key's break code is its make code | 0x80 */

/* Make codes of the US layout's character keys, unshifted and shifted, in the
 * order of the scancode table (0x02 '1' ... 0x35 '/', 0x39 space). */
struct KeyCharacters {
    uint8_t make;
    char plain;
    char shifted;
};
constexpr KeyCharacters KEYS[] = {
    {0x02, '1', '!'}, {0x03, '2', '@'}, {0x04, '3', '#'}, {0x05, '4', '$'}, {0x06, '5', '%'},
    {0x07, '6', '^'}, {0x08, '7', '&'}, {0x09, '8', '*'}, {0x0A, '9', '('}, {0x0B, '0', ')'},
    {0x0C, '-', '_'}, {0x0D, '=', '+'}, {0x10, 'q', 'Q'}, {0x11, 'w', 'W'}, {0x12, 'e', 'E'},
    {0x13, 'r', 'R'}, {0x14, 't', 'T'}, {0x15, 'y', 'Y'}, {0x16, 'u', 'U'}, {0x17, 'i', 'I'},
    {0x18, 'o', 'O'}, {0x19, 'p', 'P'}, {0x1A, '[', '{'}, {0x1B, ']', '}'}, {0x1E, 'a', 'A'},
    {0x1F, 's', 'S'}, {0x20, 'd', 'D'}, {0x21, 'f', 'F'}, {0x22, 'g', 'G'}, {0x23, 'h', 'H'},
    {0x24, 'j', 'J'}, {0x25, 'k', 'K'}, {0x26, 'l', 'L'}, {0x27, ';', ':'}, {0x28, '\'', '"'},
    {0x29, '`', '~'}, {0x2B, '\\', '|'}, {0x2C, 'z', 'Z'}, {0x2D, 'x', 'X'}, {0x2E, 'c', 'C'},
    {0x2F, 'v', 'V'}, {0x30, 'b', 'B'}, {0x31, 'n', 'N'}, {0x32, 'm', 'M'}, {0x33, ',', '<'},
    {0x34, '.', '>'}, {0x35, '/', '?'}, {0x39, ' ', ' '},
};

/* Keys without a character of their own. */
uint8_t control_key(uint8_t character)
{
    switch (character) {
    case '\n':
    case '\r': return 0x1C; /* Enter */
    case '\b': return 0x0E; /* Backspace */
    case '\t': return 0x0F; /* Tab */
    case 0x1B: return 0x01; /* Escape */
    default: return 0;
    }
}

} // namespace

size_t keystroke_bytes(uint8_t character, uint8_t* out)
{
    if (uint8_t make = control_key(character)) {
        out[0] = make;
        out[1] = make | BREAK;
        return 2;
    }
    for (const KeyCharacters& key : KEYS) {
        if (character == uint8_t(key.plain)) {
            out[0] = key.make;
            out[1] = key.make | BREAK;
            return 2;
        }
        if (character == uint8_t(key.shifted)) {
            out[0] = LEFT_SHIFT;
            out[1] = key.make;
            out[2] = key.make | BREAK;
            out[3] = LEFT_SHIFT | BREAK;
            return 4;
        }
    }
    return 0;
}

void KeyTypist::pump(I8042& controller)
{
    const Ps2Keyboard& keyboard = controller.keyboard();
    if (!keyboard.scanning() || keyboard.has_output())
        return;
    uint8_t character = 0;
    while (pending_.take(character)) {
        uint8_t bytes[MAX_KEYSTROKE_BYTES];
        size_t count = keystroke_bytes(character, bytes);
        if (count == 0)
            continue;
        (void)controller.press(bytes, count); /* fits: the buffer was empty */
        return;
    }
}

} // namespace devices
