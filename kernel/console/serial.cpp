/* 16550 UART on COM1, polled. */
#include "serial.h"

#include "arch/x86_64/cpu.h"

namespace serial {

namespace {

enum Register : uint16_t {
    DATA = 0,          /* THR on write, RBR on read; divisor low with DLAB */
    INTERRUPT_ENABLE = 1, /* divisor high with DLAB */
    FIFO_CONTROL = 2,
    LINE_CONTROL = 3,
    MODEM_CONTROL = 4,
    LINE_STATUS = 5,
};

constexpr uint8_t LINE_CONTROL_DLAB = 0x80;
constexpr uint8_t LINE_CONTROL_8N1 = 0x03;
constexpr uint8_t LINE_STATUS_DATA_READY = 0x01;
constexpr uint8_t LINE_STATUS_THR_EMPTY = 0x20;
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
}

void write(const char* text, size_t length)
{
    if (!present)
        return;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] == '\n')
            write("\r", 1);
        for (unsigned spins = 0; !(in(LINE_STATUS) & LINE_STATUS_THR_EMPTY) && spins < 100000; ++spins)
            cpu::pause();
        out(DATA, uint8_t(text[i]));
    }
    if (length)
        line_start = text[length - 1] == '\n' || text[length - 1] == '\r';
}

bool at_line_start() { return line_start; }

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
