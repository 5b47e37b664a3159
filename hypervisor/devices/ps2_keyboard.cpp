/* The PS/2 keyboard; see ps2_keyboard.h. Command bytes from the OSDev wiki's
 * "PS/2 Keyboard" command table. */
#include "hypervisor/devices/ps2_keyboard.h"

namespace devices {

namespace {

enum Command : uint8_t {
    SET_LEDS = 0xED,
    ECHO_COMMAND = 0xEE,
    SCANCODE_SET = 0xF0,
    IDENTIFY = 0xF2,
    SET_TYPEMATIC = 0xF3,
    ENABLE_SCANNING = 0xF4,
    DISABLE_SCANNING = 0xF5,
    SET_DEFAULTS = 0xF6,
    RESEND_LAST = 0xFE,
    RESET = 0xFF,
};

/* Arguments never have bit 7 set; such a byte is a new command instead. */
constexpr uint8_t COMMAND_BIT = 0x80;

} // namespace

void Ps2Keyboard::set_defaults()
{
    leds_ = 0;
    typematic_ = DEFAULT_TYPEMATIC;
}

void Ps2Keyboard::reply(uint8_t byte)
{
    replies_.push(byte);
}

uint8_t Ps2Keyboard::take_output()
{
    if (!replies_.empty())
        last_sent_ = replies_.pop();
    else if (!scancodes_.empty())
        last_sent_ = scancodes_.pop();
    return last_sent_;
}

void Ps2Keyboard::receive(uint8_t byte)
{
    if (awaiting_ != Argument::none && !(byte & COMMAND_BIT)) {
        take_argument(byte);
        return;
    }
    awaiting_ = Argument::none;
    /* A new command abandons replies the guest has not read. */
    replies_.clear();
    run_command(byte);
}

void Ps2Keyboard::run_command(uint8_t command)
{
    switch (command) {
    case SET_LEDS: reply(ACK); awaiting_ = Argument::leds; break;
    case ECHO_COMMAND: reply(ECHO); break;
    case SCANCODE_SET: reply(ACK); awaiting_ = Argument::scancode_set; break;
    case IDENTIFY:
        reply(ACK);
        reply(0xAB); /* MF2 keyboard */
        reply(0x83);
        break;
    case SET_TYPEMATIC: reply(ACK); awaiting_ = Argument::typematic; break;
    case ENABLE_SCANNING: reply(ACK); scanning_ = true; break;
    case DISABLE_SCANNING:
        /* Disables and restores the defaults; pending keys are discarded. */
        reply(ACK);
        scanning_ = false;
        scancodes_.clear();
        set_defaults();
        break;
    case SET_DEFAULTS: reply(ACK); set_defaults(); break;
    case RESEND_LAST: reply(last_sent_); break;
    case RESET:
        scancodes_.clear();
        set_defaults();
        scanning_ = true;
        reply(ACK);
        reply(SELF_TEST_PASSED);
        break;
    default:
        /* F7-FD are set-3 key-type commands: acknowledged and ignored. */
        reply(command >= 0xF7 && command <= 0xFD ? ACK : RESEND);
        break;
    }
}

void Ps2Keyboard::take_argument(uint8_t value)
{
    Argument argument = awaiting_;
    awaiting_ = Argument::none;
    switch (argument) {
    case Argument::leds: leds_ = value & 0x07; reply(ACK); break;
    case Argument::typematic: typematic_ = value; reply(ACK); break;
    case Argument::scancode_set:
        if (value == 0) {
            reply(ACK);
            reply(scancode_set());
        } else {
            reply(value == 2 ? ACK : RESEND);
        }
        break;
    case Argument::none: break;
    }
}

bool Ps2Keyboard::press(const uint8_t* bytes, size_t count)
{
    if (!scanning_ || !bytes || count == 0)
        return false;
    /* One slot stays free for the overrun code. */
    if (count < scancodes_.free_space()) {
        for (size_t i = 0; i < count; ++i)
            scancodes_.push(bytes[i]);
        return true;
    }
    if (scancodes_.back() != OVERRUN)
        scancodes_.push(OVERRUN);
    return false;
}

} // namespace devices
