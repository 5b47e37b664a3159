/* What the user types, from every input device (the PS/2 keyboard and COM1), as
 * one queue of bytes. Special keys arrive as the escape sequences a VT100-style
 * terminal sends (ESC [ A for the up arrow), so both devices look alike. */
#pragma once
#include <stddef.h>

namespace console_input {

/* Turns on COM1's receive interrupt (IRQ 4) and feeds what arrives into the
 * queue; carriage returns become '\n', as a terminal's Enter sends '\r'. */
void init_serial_input();

/* Where input goes once terminals exist (kernel/terminal): each device's bytes
 * to its own terminal, and Alt+F<n> to the virtual terminal switch. Until a
 * routing is set (and while tests run), everything goes into the one queue. */
struct InputRouting {
    void (*keyboard)(const char* bytes, size_t length);
    void (*serial)(const char* bytes, size_t length);
    void (*switch_console)(unsigned number); /* Alt+F<number>, from 1 */
};
/* nullptr: back to the one queue. Called with interrupts on or off. */
void set_routing(const InputRouting* routing);

/* Sees each byte COM1 receives first, raw (before '\r' becomes '\n'), in the
 * interrupt handler; returns true when it took the byte, which then goes nowhere
 * else. `vm attach` forwards COM1 to a VM this way (hypervisor/vm_console/vm_serial.h).
 * nullptr removes it. */
using SerialHook = bool (*)(char byte);
void set_serial_hook(SerialHook hook);

/* Called by the keyboard driver (in its interrupt handler): appends `length`
 * bytes. Bytes that do not fit are dropped and counted. */
void push(const char* bytes, size_t length);
/* Called by the keyboard driver for Alt+F<number>: switches virtual terminals
 * when terminals exist, else does nothing. */
void switch_console(unsigned number);

/* The next byte typed, or -1 when nothing is waiting. Never blocks: a thread
 * that wants to sleep until input comes reads a terminal (kernel/terminal),
 * which takes the input once a routing is set. */
int read_char();

/* Bytes dropped because the queue was full. */
size_t dropped_count();

} // namespace console_input
