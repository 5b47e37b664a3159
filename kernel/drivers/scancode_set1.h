/* Decoding PS/2 scancode set 1 (what the i8042 delivers with translation on) into
 * key events with a US layout: shift, caps lock, ctrl, alt, and the keys behind
 * the E0 prefix (arrows, the navigation block, right ctrl/alt). Follows the IBM
 * PS/2 keyboard scancode set 1 tables (as collected on the OSDev wiki, "PS/2
 * Keyboard"). Pure logic: also compiled into the unit tests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum class Key : uint8_t {
    none,
    character, /* a key with a character: KeyEvent::character says which */
    enter,
    backspace,
    tab,
    escape,
    left_shift,
    right_shift,
    left_ctrl,
    right_ctrl,
    left_alt,
    right_alt,
    caps_lock,
    num_lock,
    scroll_lock,
    up,
    down,
    left,
    right,
    home,
    end,
    page_up,
    page_down,
    insert,
    delete_key,
    f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12,
};

struct KeyEvent {
    Key key = Key::none;
    bool pressed = false; /* false: released */
    char character = 0;   /* for Key::character, with shift and caps lock applied */
    bool shift = false;   /* the modifiers held when the event happened */
    bool ctrl = false;
    bool alt = false;
};

class ScancodeDecoder {
public:
    /* Feeds one byte from the keyboard. Returns true and fills `event` when the
     * byte completes a key press or release; prefixes and ignored sequences
     * (Pause, Print Screen's fake shifts) return false. */
    bool feed(uint8_t byte, KeyEvent& event);

    bool caps_lock() const { return caps_lock_; }

private:
    void track_modifiers(Key key, bool pressed);

    bool extended_ = false;       /* the previous byte was the E0 prefix */
    int pause_bytes_left_ = 0;    /* Pause sends E1 1D 45 E1 9D C5 and no release */
    bool left_shift_ = false, right_shift_ = false;
    bool left_ctrl_ = false, right_ctrl_ = false;
    bool left_alt_ = false, right_alt_ = false;
    bool caps_lock_ = false;
};

/* The bytes a VT100-style terminal sends for a key press: the character (ctrl
 * with a letter gives its control code, ctrl-C = 0x03), '\n' for enter, '\b',
 * '\t', ESC, "\x1b[A" for the up arrow, "\x1bOP" for F1, "\x1b[15~" for F5 ...
 * Returns how many bytes were written to `out` (at most `size`); 0 for releases,
 * modifiers and keys that send nothing. */
size_t key_event_bytes(const KeyEvent& event, char* out, size_t size);
