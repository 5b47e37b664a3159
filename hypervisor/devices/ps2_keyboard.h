/* A PS/2 (MF2) keyboard as the 8042 controller sees it: the commands a kernel
 * sends through port 0x60 and the bytes the keyboard answers, plus key input from
 * the host. Follows the OSDev wiki article "PS/2 Keyboard" (command table) and the
 * IBM PS/2 Technical Reference's keyboard chapter.
 *
 * Scancodes: the keyboard is a set-2 keyboard behind an 8042 that translates to
 * set 1 (command byte bit 6), which is how every PC boots; the host hands in the
 * set-1 bytes the guest will see (press()). Requests for set 1 or 3 (F0 01/03) are
 * refused with RESEND, so a guest stays with set 2; FIXME: a guest that turns the
 * translation off still receives set-1 bytes.
 * Replies pass the controller untranslated (identify answers AB 83; a real
 * translating 8042 turns that into AB 41 - guests accept both). */
#pragma once
#include "hypervisor/devices/byte_queue.h"

namespace devices {

class Ps2Keyboard {
public:
    /* The real keyboard buffers 16 bytes of scancodes. */
    static constexpr size_t SCANCODE_BUFFER = 16;
    static constexpr uint8_t ACK = 0xFA, RESEND = 0xFE, SELF_TEST_PASSED = 0xAA, ECHO = 0xEE;
    /* The set-1 "key detection error / buffer overrun" code. */
    static constexpr uint8_t OVERRUN = 0xFF;
    static constexpr uint8_t DEFAULT_TYPEMATIC = 0x2B; /* 10.9 characters/s, 500 ms */

    /* A byte the controller sends the keyboard (the guest's write to port 0x60). */
    void receive(uint8_t byte);
    /* Host input: one key event as set-1 bytes (e.g. 1E for 'a' pressed, 9E
     * released, E0 48 for cursor up). Accepted only while scanning is enabled and
     * only whole: when the bytes do not fit, they are dropped and a single OVERRUN
     * code queued instead, as the keyboard reports lost keys; returns false then. */
    bool press(const uint8_t* bytes, size_t count);

    bool has_output() const { return !replies_.empty() || !scancodes_.empty(); }
    /* The next byte towards the controller: command replies before scancodes. */
    uint8_t take_output();

    bool scanning() const { return scanning_; }
    uint8_t leds() const { return leds_; }
    uint8_t typematic() const { return typematic_; }
    uint8_t scancode_set() const { return 2; }

private:
    enum class Argument : uint8_t { none, leds, typematic, scancode_set };

    void run_command(uint8_t command);
    void take_argument(uint8_t value);
    void reply(uint8_t byte);
    void set_defaults();

    ByteQueue<4> replies_;
    ByteQueue<SCANCODE_BUFFER> scancodes_;
    Argument awaiting_ = Argument::none;
    bool scanning_ = true;
    uint8_t leds_ = 0;
    uint8_t typematic_ = DEFAULT_TYPEMATIC;
    uint8_t last_sent_ = SELF_TEST_PASSED;
};

} // namespace devices
