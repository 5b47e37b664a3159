/* 16550 UART on COM1, polled. With the 16550A's FIFOs on, LSR's THRE means the
 * whole 16-byte transmit FIFO is empty (PC16550D datasheet, "Line Status
 * Register", bit 5 in the FIFO mode), so one poll lets 16 bytes go: one port
 * read per 16 bytes instead of per byte, which under a hypervisor is one exit
 * per 16 bytes (two levels of it for a nested guest's console). An 8250/16450,
 * or a 16550 whose FIFOs do not work (IIR bits 7-6 not both set), gets one
 * byte per poll. */
#include "serial.h"

#include "arch/x86_64/cpu.h"

namespace serial {

namespace {

enum Register : uint16_t {
    DATA = 0,          /* THR on write, RBR on read; divisor low with DLAB */
    INTERRUPT_ENABLE = 1, /* divisor high with DLAB */
    FIFO_CONTROL = 2,  /* IIR on read */
    LINE_CONTROL = 3,
    MODEM_CONTROL = 4,
    LINE_STATUS = 5,
};

constexpr uint8_t LINE_CONTROL_DLAB = 0x80;
constexpr uint8_t LINE_CONTROL_8N1 = 0x03;
constexpr uint8_t LINE_STATUS_DATA_READY = 0x01;
constexpr uint8_t LINE_STATUS_THR_EMPTY = 0x20;
/* TEMT: the transmit FIFO and the shift register are both empty, the last byte is out. */
constexpr uint8_t LINE_STATUS_TRANSMITTER_EMPTY = 0x40;
/* IIR bits 7-6: both set when the FIFOs are enabled (16550A), 0 without FIFOs. */
constexpr uint8_t INTERRUPT_ID_FIFOS_ENABLED = 0xC0;
constexpr unsigned TRANSMIT_FIFO_BYTES = 16;
constexpr uint16_t DIVISOR_115200 = 1;
constexpr uint8_t INTERRUPT_ENABLE_RECEIVED_DATA = 0x01;
/* FIFOs on, receive trigger level 1 byte, contents kept: typed input interrupts
 * at once instead of waiting for 14 bytes or the character timeout. */
constexpr uint8_t FIFO_ENABLE_TRIGGER_1 = 0x01;
/* On a PC, the UART's interrupt output reaches the PIC only through OUT2. */
constexpr uint8_t MODEM_CONTROL_DTR_RTS = 0x03;
constexpr uint8_t MODEM_CONTROL_OUT2 = 0x08;

bool present = false;
bool line_start = true;
/* Bytes the transmitter takes without another poll: its FIFO's depth, or 1. */
unsigned transmit_depth = 1;
/* Room known to be left since the last poll saw THRE (never more than there
 * is: the FIFO only drains meanwhile). */
unsigned transmit_room = 0;

void out(Register r, uint8_t value) { cpu::outb(COM1_PORT + r, value); }
uint8_t in(Register r) { return cpu::inb(COM1_PORT + r); }

} // namespace

void init()
{
    out(INTERRUPT_ENABLE, 0);
    out(LINE_CONTROL, LINE_CONTROL_DLAB);
    out(DATA, DIVISOR_115200 & 0xFF);
    out(INTERRUPT_ENABLE, DIVISOR_115200 >> 8);
    out(LINE_CONTROL, LINE_CONTROL_8N1);
    out(FIFO_CONTROL, 0xC7);  /* enable and clear FIFOs, 14-byte threshold */
    out(MODEM_CONTROL, MODEM_CONTROL_DTR_RTS);
    /* An absent UART reads as all ones. */
    present = in(LINE_STATUS) != 0xFF;
    bool fifos = present && (in(FIFO_CONTROL) & INTERRUPT_ID_FIFOS_ENABLED) == INTERRUPT_ID_FIFOS_ENABLED;
    transmit_depth = fifos ? TRANSMIT_FIFO_BYTES : 1;
    transmit_room = 0;
}

void write(const char* text, size_t length)
{
    if (!present)
        return;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] == '\n')
            write("\r", 1);
        if (transmit_room == 0) {
            for (unsigned spins = 0; !(in(LINE_STATUS) & LINE_STATUS_THR_EMPTY) && spins < 100000; ++spins)
                cpu::pause();
            transmit_room = transmit_depth;
        }
        --transmit_room;
        out(DATA, uint8_t(text[i]));
    }
    if (length)
        line_start = text[length - 1] == '\n' || text[length - 1] == '\r';
}

bool at_line_start() { return line_start; }

void drain()
{
    if (!present)
        return;
    /* 16 bytes at 115200 baud take 1.4 ms; the bound only guards a broken UART. */
    for (unsigned spins = 0; !(in(LINE_STATUS) & LINE_STATUS_TRANSMITTER_EMPTY) && spins < 1000000; ++spins)
        cpu::pause();
}

void enable_receive_interrupt()
{
    if (!present)
        return;
    out(FIFO_CONTROL, FIFO_ENABLE_TRIGGER_1);
    out(MODEM_CONTROL, MODEM_CONTROL_DTR_RTS | MODEM_CONTROL_OUT2);
    out(INTERRUPT_ENABLE, INTERRUPT_ENABLE_RECEIVED_DATA);
}

bool has_input() { return present && (in(LINE_STATUS) & LINE_STATUS_DATA_READY); }

uint8_t read_byte() { return in(DATA); }

} // namespace serial
