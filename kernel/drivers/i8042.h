/* The 8042 PS/2 controller: data port 0x60, status/command port 0x64. Only the
 * first port (the keyboard) is used. Follows the IBM PS/2 Hardware Technical
 * Reference, "Keyboard/Auxiliary Device Controller" (as summarised on the OSDev
 * wiki, "8042 PS/2 Controller"). */
#pragma once
#include <stdint.h>

namespace i8042 {

/* Controller configuration byte (command 0x20 reads it, 0x60 writes it). */
enum ConfigBit : uint8_t {
    CONFIG_PORT1_INTERRUPT = 1 << 0,
    CONFIG_PORT2_INTERRUPT = 1 << 1,
    CONFIG_PORT1_CLOCK_DISABLED = 1 << 4,
    CONFIG_PORT2_CLOCK_DISABLED = 1 << 5,
    CONFIG_TRANSLATION = 1 << 6, /* the keyboard's set 2 reaches us as set 1 */
};

enum class ControllerError { none, not_responding };

/* Disables both ports, drains stale bytes, then enables the first port with its
 * interrupt (IRQ 1) and scancode translation; the second port stays off. */
[[nodiscard]] ControllerError init();

uint8_t read_config();
/* True when a byte waits in the output buffer (status bit 0). */
bool has_data();
uint8_t read_data();

/* Command 0xD2: puts `byte` into the output buffer as if the keyboard had sent
 * it, raising IRQ 1. Lets tests type without a keyboard. */
[[nodiscard]] ControllerError inject_keyboard_byte(uint8_t byte);

} // namespace i8042
