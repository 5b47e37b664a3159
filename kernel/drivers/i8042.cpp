/* 8042 PS/2 controller; see i8042.h. */
#include "i8042.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"

namespace i8042 {

namespace {

constexpr uint16_t DATA_PORT = 0x60;
constexpr uint16_t STATUS_PORT = 0x64; /* read: status; write: command */
constexpr uint8_t STATUS_OUTPUT_FULL = 1 << 0;
constexpr uint8_t STATUS_INPUT_FULL = 1 << 1;

enum Command : uint8_t {
    READ_CONFIG = 0x20,
    WRITE_CONFIG = 0x60,
    DISABLE_PORT2 = 0xA7,
    DISABLE_PORT1 = 0xAD,
    ENABLE_PORT1 = 0xAE,
    WRITE_PORT1_OUTPUT = 0xD2,
};

/* The controller answers within microseconds; this many status polls (each a
 * port read of about a microsecond) mean it is not there. */
constexpr unsigned POLL_LIMIT = 100000;
constexpr unsigned STALE_BYTE_LIMIT = 32;

bool wait_input_empty()
{
    for (unsigned i = 0; i < POLL_LIMIT; ++i) {
        if (!(cpu::inb(STATUS_PORT) & STATUS_INPUT_FULL))
            return true;
        cpu::pause();
    }
    return false;
}

bool wait_output_full()
{
    for (unsigned i = 0; i < POLL_LIMIT; ++i) {
        if (cpu::inb(STATUS_PORT) & STATUS_OUTPUT_FULL)
            return true;
        cpu::pause();
    }
    return false;
}

bool command(uint8_t code)
{
    if (!wait_input_empty())
        return false;
    cpu::outb(STATUS_PORT, code);
    return true;
}

bool command_with_data(uint8_t code, uint8_t data)
{
    if (!command(code) || !wait_input_empty())
        return false;
    cpu::outb(DATA_PORT, data);
    return true;
}

bool command_with_reply(uint8_t code, uint8_t& reply)
{
    if (!command(code) || !wait_output_full())
        return false;
    reply = cpu::inb(DATA_PORT);
    return true;
}

void drain_output()
{
    for (unsigned i = 0; i < STALE_BYTE_LIMIT && has_data(); ++i)
        read_data();
}

} // namespace

ControllerError init()
{
    /* Ports off first, so that no keystroke lands between the drain and the
     * configuration write. */
    if (!command(DISABLE_PORT1) || !command(DISABLE_PORT2))
        return ControllerError::not_responding;
    drain_output();
    uint8_t config;
    if (!command_with_reply(READ_CONFIG, config))
        return ControllerError::not_responding;
    config |= CONFIG_PORT1_INTERRUPT | CONFIG_TRANSLATION;
    config &= uint8_t(~(CONFIG_PORT2_INTERRUPT | CONFIG_PORT1_CLOCK_DISABLED));
    if (!command_with_data(WRITE_CONFIG, config) || !command(ENABLE_PORT1))
        return ControllerError::not_responding;
    return ControllerError::none;
}

/* With interrupts on, the reply raises IRQ 1 as it lands in the output buffer,
 * and the keyboard's handler would take it for a scancode before the poll
 * below sees it (on a fast controller, such as the hypervisor's 8042 model,
 * at once). */
uint8_t read_config()
{
    InterruptGuard no_irq1_handler;
    uint8_t config = 0;
    if (!command_with_reply(READ_CONFIG, config))
        return 0;
    return config;
}

bool has_data() { return cpu::inb(STATUS_PORT) & STATUS_OUTPUT_FULL; }

uint8_t read_data() { return cpu::inb(DATA_PORT); }

ControllerError inject_keyboard_byte(uint8_t byte)
{
    return command_with_data(WRITE_PORT1_OUTPUT, byte) ? ControllerError::none : ControllerError::not_responding;
}

} // namespace i8042
