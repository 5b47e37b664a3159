/* The PS/2 keyboard on IRQ 1: decodes scancode set 1 (scancode_set1.h) and feeds
 * the typed bytes into the console input queue (console/console_input.h);
 * Alt+F1..F12 switch virtual terminals instead (console_input::switch_console). */
#pragma once
#include "drivers/i8042.h"
#include "drivers/scancode_set1.h"

namespace keyboard {

constexpr unsigned IRQ = 1;

/* Sets up the i8042 controller and registers the IRQ 1 handler. */
[[nodiscard]] i8042::ControllerError init();

/* The last key event decoded, for tests and diagnostics. */
KeyEvent last_event();

/* Who gets the raw scancodes instead of the console (the VM console, while a
 * guest's screen is in front): called in the interrupt handler for every byte
 * but the console switch keys Alt+F<n>; true means it took the byte. */
using RawScancodeHook = bool (*)(uint8_t byte);
void set_raw_scancode_hook(RawScancodeHook hook);
/* Bytes received from the keyboard since boot. */
uint64_t scancode_count();

} // namespace keyboard
