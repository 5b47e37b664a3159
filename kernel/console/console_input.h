/* What the user types, from every input device (the PS/2 keyboard and COM1), as
 * one queue of bytes. Special keys arrive as the escape sequences a VT100-style
 * terminal sends (ESC [ A for the up arrow), so both devices look alike. */
#pragma once
#include <stddef.h>

namespace console_input {

/* Turns on COM1's receive interrupt (IRQ 4) and feeds what arrives into the
 * queue; carriage returns become '\n', as a terminal's Enter sends '\r'. */
void init_serial_input();

/* Called by input drivers (in their interrupt handlers): appends `length` bytes.
 * Bytes that do not fit are dropped and counted. */
void push(const char* bytes, size_t length);

/* The next byte typed, or -1 when nothing is waiting. Never blocks.
 * FIXME: a blocking read_char() once threads can sleep on a Condition. */
int read_char();

/* Bytes dropped because the queue was full. */
size_t dropped_count();

} // namespace console_input
