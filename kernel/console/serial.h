/* Driver for the 16550 UART on COM1: the kernel's machine-readable console.
 * Follows the TI PC16550D datasheet (registers THR/RBR, IER, FCR, LCR, LSR). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace serial {

constexpr uint16_t COM1_PORT = 0x3F8;

/* 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on. */
void init();
void write(const char* text, size_t length);
/* Whether the last byte written was a newline or carriage return (or nothing was
 * written yet): the next byte starts a line. */
bool at_line_start();
/* Waits until every byte written has left the UART (its transmit FIFO holds up
 * to 16): before the machine powers off, so the last line is not cut short. */
void drain();
/* Raises the UART's interrupt (IRQ 4 on a PC) whenever a byte arrives. */
void enable_receive_interrupt();
/* True when a received byte waits in the receive buffer. */
bool has_input();
uint8_t read_byte();

} // namespace serial
