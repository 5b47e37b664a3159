/* For in-kernel tests of the keyboard path: types one scancode byte as if the
 * keyboard had sent it (i8042 command 0xD2, "write port 1 output") and waits
 * until IRQ 1's handler has taken it, because the controller holds one byte
 * only. */
#pragma once
#include "arch/x86_64/cpu.h"
#include "drivers/i8042.h"
#include "drivers/keyboard.h"
#include "drivers/pit8254.h"

/* False when the controller refused the byte or no IRQ 1 took it within 100 ticks. */
inline bool type_scancode_byte(uint8_t byte)
{
    uint64_t received = keyboard::scancode_count();
    if (i8042::inject_keyboard_byte(byte) != i8042::ControllerError::none)
        return false;
    uint64_t deadline = pit8254::ticks() + 100;
    while (keyboard::scancode_count() == received && pit8254::ticks() < deadline)
        cpu::enable_interrupts_and_halt();
    return keyboard::scancode_count() > received;
}
