/* Scancode set 1 decoding; see scancode_set1.h. A make code is the key's number,
 * its break code the same with bit 7 set; E0 selects a second table. */
#include "scancode_set1.h"

namespace {

constexpr uint8_t PREFIX_EXTENDED = 0xE0;
constexpr uint8_t PREFIX_PAUSE = 0xE1;
constexpr uint8_t BREAK_BIT = 0x80;
constexpr int PAUSE_SEQUENCE_LENGTH = 6;
/* Print Screen arrives as E0 2A E0 37; E0 2A and E0 AA are "fake shifts" that
 * older keyboards wrap around some keys, never real key presses. */
constexpr uint8_t FAKE_SHIFT = 0x2A;

/* Characters of make codes 0x00-0x58 without and with shift; 0 means "no
 * character, see special_key()". Keypad keys give their digits (num lock on). */
constexpr char UNSHIFTED[] =
    "\0\0" "1234567890-=" "\0\0"      /* 00-0F: -, esc, digits, backspace, tab */
    "qwertyuiop[]" "\0\0"             /* 10-1D: ..., enter, left ctrl */
    "asdfghjkl;'`" "\0"               /* 1E-2A: ..., left shift */
    "\\zxcvbnm,./" "\0"               /* 2B-36: ..., right shift */
    "*" "\0" " " "\0"                 /* 37-3A: keypad *, left alt, space, caps lock */
    "\0\0\0\0\0\0\0\0\0\0" "\0\0"     /* 3B-46: F1-F10, num lock, scroll lock */
    "789-456+1230.";                  /* 47-53: keypad */
constexpr char SHIFTED[] =
    "\0\0" "!@#$%^&*()_+" "\0\0"
    "QWERTYUIOP{}" "\0\0"
    "ASDFGHJKL:\"~" "\0"
    "|ZXCVBNM<>?" "\0"
    "*" "\0" " " "\0"
    "\0\0\0\0\0\0\0\0\0\0" "\0\0"
    "789-456+1230.";
static_assert(sizeof(UNSHIFTED) == 0x54 + 1 && sizeof(SHIFTED) == sizeof(UNSHIFTED));

Key special_key(uint8_t code)
{
    switch (code) {
    case 0x01: return Key::escape;
    case 0x0E: return Key::backspace;
    case 0x0F: return Key::tab;
    case 0x1C: return Key::enter;
    case 0x1D: return Key::left_ctrl;
    case 0x2A: return Key::left_shift;
    case 0x36: return Key::right_shift;
    case 0x38: return Key::left_alt;
    case 0x3A: return Key::caps_lock;
    case 0x45: return Key::num_lock;
    case 0x46: return Key::scroll_lock;
    case 0x57: return Key::f11;
    case 0x58: return Key::f12;
    }
    if (code >= 0x3B && code <= 0x44)
        return Key(uint8_t(Key::f1) + (code - 0x3B));
    return Key::none;
}

/* Keys behind the E0 prefix. The keypad's enter and slash act like the main ones. */
Key extended_key(uint8_t code, char& character)
{
    switch (code) {
    case 0x1C: return Key::enter;
    case 0x1D: return Key::right_ctrl;
    case 0x35: character = '/'; return Key::character;
    case 0x38: return Key::right_alt;
    case 0x47: return Key::home;
    case 0x48: return Key::up;
    case 0x49: return Key::page_up;
    case 0x4B: return Key::left;
    case 0x4D: return Key::right;
    case 0x4F: return Key::end;
    case 0x50: return Key::down;
    case 0x51: return Key::page_down;
    case 0x52: return Key::insert;
    case 0x53: return Key::delete_key;
    }
    return Key::none;
}

bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

/* The character of a plain (not E0) make code: letters follow shift XOR caps
 * lock, everything else shift alone. */
char plain_character(uint8_t code, bool shift, bool caps_lock)
{
    if (code >= sizeof(UNSHIFTED) - 1)
        return 0;
    char c = UNSHIFTED[code];
    if (is_letter(c))
        return shift != caps_lock ? SHIFTED[code] : c;
    return shift ? SHIFTED[code] : c;
}

} // namespace

void ScancodeDecoder::track_modifiers(Key key, bool pressed)
{
    switch (key) {
    case Key::left_shift: left_shift_ = pressed; break;
    case Key::right_shift: right_shift_ = pressed; break;
    case Key::left_ctrl: left_ctrl_ = pressed; break;
    case Key::right_ctrl: right_ctrl_ = pressed; break;
    case Key::left_alt: left_alt_ = pressed; break;
    case Key::right_alt: right_alt_ = pressed; break;
    /* Caps lock toggles on each press; holding the key repeats the make code,
     * which would toggle it again, as on a PC. */
    case Key::caps_lock: caps_lock_ ^= pressed; break;
    default: break;
    }
}

bool ScancodeDecoder::feed(uint8_t byte, KeyEvent& event)
{
    if (pause_bytes_left_ > 0) {
        --pause_bytes_left_;
        return false;
    }
    if (byte == PREFIX_PAUSE) {
        pause_bytes_left_ = PAUSE_SEQUENCE_LENGTH - 1;
        return false;
    }
    if (byte == PREFIX_EXTENDED) {
        extended_ = true;
        return false;
    }
    bool extended = extended_;
    extended_ = false;
    bool pressed = !(byte & BREAK_BIT);
    uint8_t code = byte & uint8_t(~BREAK_BIT);
    if (extended && code == FAKE_SHIFT)
        return false;

    bool shift = left_shift_ || right_shift_;
    char character = 0;
    Key key = extended ? extended_key(code, character) : special_key(code);
    if (!extended && key == Key::none) {
        character = plain_character(code, shift, caps_lock_);
        key = character ? Key::character : Key::none;
    }
    if (key == Key::none)
        return false;

    track_modifiers(key, pressed);
    event = KeyEvent{key, pressed, character, left_shift_ || right_shift_, left_ctrl_ || right_ctrl_,
                     left_alt_ || right_alt_};
    return true;
}

namespace {

/* Control codes: ctrl with '@', a letter, '[', '\', ']', '^' or '_' gives that
 * character's code minus 0x40 (ctrl-A = 1 ... ctrl-_ = 0x1F). */
bool control_code(char c, char& code)
{
    if (c >= 'a' && c <= 'z')
        c = char(c - 'a' + 'A');
    if (c < '@' || c > '_')
        return false;
    code = char(c - '@');
    return true;
}

const char* terminal_sequence(Key key)
{
    switch (key) {
    case Key::up: return "\x1b[A";
    case Key::down: return "\x1b[B";
    case Key::right: return "\x1b[C";
    case Key::left: return "\x1b[D";
    case Key::home: return "\x1b[H";
    case Key::end: return "\x1b[F";
    case Key::insert: return "\x1b[2~";
    case Key::delete_key: return "\x1b[3~";
    case Key::page_up: return "\x1b[5~";
    case Key::page_down: return "\x1b[6~";
    case Key::f1: return "\x1bOP";
    case Key::f2: return "\x1bOQ";
    case Key::f3: return "\x1bOR";
    case Key::f4: return "\x1bOS";
    case Key::f5: return "\x1b[15~";
    case Key::f6: return "\x1b[17~";
    case Key::f7: return "\x1b[18~";
    case Key::f8: return "\x1b[19~";
    case Key::f9: return "\x1b[20~";
    case Key::f10: return "\x1b[21~";
    case Key::f11: return "\x1b[23~";
    case Key::f12: return "\x1b[24~";
    case Key::enter: return "\n";
    case Key::backspace: return "\b";
    case Key::tab: return "\t";
    case Key::escape: return "\x1b";
    default: return "";
    }
}

} // namespace

size_t key_event_bytes(const KeyEvent& event, char* out, size_t size)
{
    if (!event.pressed || size == 0)
        return 0;
    if (event.key == Key::character) {
        char code;
        out[0] = event.ctrl && control_code(event.character, code) ? code : event.character;
        return 1;
    }
    const char* sequence = terminal_sequence(event.key);
    size_t length = 0;
    while (sequence[length] && length < size) {
        out[length] = sequence[length];
        ++length;
    }
    return length;
}
