/* hypervisor/devices/uart16550: the UART against the TI PC16550D datasheet. */
#include "hypervisor/devices/line_assembler.h"
#include "hypervisor/devices/uart16550.h"
#include "fake_interrupt_controller.h"
#include "unit_test.h"

#include <string>
#include <vector>

using devices::Uart16550;

namespace {

struct Lines {
    std::vector<std::string> lines;
    static void collect(void* self, const char* text, size_t length)
    {
        static_cast<Lines*>(self)->lines.emplace_back(text, length);
    }
};

struct Com1 {
    FakeInterruptController pic;
    Lines received;
    devices::LineAssembler assembler{Lines::collect, &received};
    Uart16550 uart{Uart16550::COM1_BASE, devices::IrqLine(pic, 4), assembler.sink()};

    void out(unsigned offset, uint8_t value) { uart.write(uint16_t(0x3F8 + offset), 1, value, 0); }
    uint8_t in(unsigned offset) { return uint8_t(uart.read(uint16_t(0x3F8 + offset), 1, 0)); }

    /* kernel/console/serial.cpp's init. */
    void init_like_our_kernel()
    {
        out(1, 0x00);
        out(3, 0x80);
        out(0, 0x01);
        out(1, 0x00);
        out(3, 0x03);
        out(2, 0xC7);
        out(4, 0x03);
    }
    void send(const char* text)
    {
        for (; *text; ++text)
            out(0, uint8_t(*text));
    }
};

} // namespace

UNIT_TEST(uart_our_kernels_init_sequence)
{
    Com1 com;
    com.init_like_our_kernel();
    CHECK_EQ(com.uart.divisor(), 1u);
    CHECK_EQ(com.uart.baud_rate(), 115200u);
    CHECK_EQ(com.uart.line_control(), 0x03);
    CHECK(com.uart.fifo_enabled());
    CHECK_EQ(com.uart.modem_control(), 0x03);
    CHECK(com.in(5) != 0xFF); /* what serial.cpp checks for presence */
    CHECK_EQ(com.in(2), 0xC1); /* FIFOs enabled, no interrupt pending */
    CHECK_EQ(com.in(1), 0x00); /* DLAB off again: IER */
}

UNIT_TEST(uart_divisor_latch_is_separate_from_data_and_ier)
{
    Com1 com;
    com.out(3, 0x80);
    com.out(0, 0x0C);
    com.out(1, 0x00);
    CHECK_EQ(com.in(0), 0x0C);
    com.out(3, 0x03);
    CHECK_EQ(com.uart.baud_rate(), 9600u);
    CHECK(com.received.lines.empty()); /* the divisor write was not transmitted */
    com.out(3, 0x80);
    com.out(0, 0x00);
    CHECK_EQ(com.uart.divisor(), 0x10000u); /* zero counts as 65536, no division by 0 */
}

UNIT_TEST(uart_transmitted_bytes_become_lines)
{
    Com1 com;
    com.init_like_our_kernel();
    com.send("[guest boot] hello\r\nsecond ");
    com.send("line\n");
    CHECK_EQ(com.received.lines.size(), 2u);
    CHECK_EQ(com.received.lines.at(0), std::string("[guest boot] hello"));
    CHECK_EQ(com.received.lines.at(1), std::string("second line"));
}

UNIT_TEST(uart_lsr_reports_transmitter_empty_and_data_ready)
{
    Com1 com;
    com.init_like_our_kernel();
    CHECK_EQ(com.in(5), 0x60);
    const uint8_t byte = 'x';
    CHECK_EQ(com.uart.receive(&byte, 1), 1u);
    CHECK_EQ(com.in(5), 0x61);
    CHECK_EQ(com.in(0), 'x');
    CHECK_EQ(com.in(5), 0x60);
}

UNIT_TEST(uart_receive_raises_irq4_when_enabled_and_out2_set)
{
    Com1 com;
    com.init_like_our_kernel(); /* MCR 3: OUT2 clear, so no IRQ reaches the PIC */
    com.out(1, 0x01);
    const uint8_t byte = 'k';
    com.uart.receive(&byte, 1);
    CHECK(!com.pic.level[4]);
    CHECK_EQ(com.in(2), 0xCC); /* below the 14-byte trigger: character timeout */
    com.out(4, 0x0B);          /* DTR, RTS, OUT2: what Linux sets */
    CHECK(com.pic.level[4]);
    CHECK_EQ(com.in(0), 'k');
    CHECK(!com.pic.level[4]);
    CHECK_EQ(com.in(2), 0xC1);
}

UNIT_TEST(uart_receive_data_available_at_trigger_level)
{
    Com1 com;
    com.out(2, 0x41); /* FIFO on, trigger at 4 */
    com.out(1, 0x01);
    const uint8_t bytes[] = {1, 2, 3, 4};
    com.uart.receive(bytes, 3);
    CHECK_EQ(com.in(2) & 0x0F, 0x0C);
    com.uart.receive(bytes + 3, 1);
    CHECK_EQ(com.in(2) & 0x0F, 0x04);
}

UNIT_TEST(uart_without_fifo_reports_data_available_for_one_byte)
{
    Com1 com;
    com.out(1, 0x01);
    const uint8_t byte = 'a';
    com.uart.receive(&byte, 1);
    CHECK_EQ(com.in(2), 0x04);
}

UNIT_TEST(uart_thr_empty_interrupt_cleared_by_iir_read_and_rearmed_by_write)
{
    Com1 com;
    com.out(4, 0x08);
    com.out(1, 0x02);
    CHECK(com.pic.level[4]);
    CHECK_EQ(com.in(2), 0x02);
    CHECK(!com.pic.level[4]);
    CHECK_EQ(com.in(2), 0x01);
    com.out(0, 'z');
    CHECK(com.pic.level[4]);
    CHECK_EQ(com.in(2), 0x02);
}

UNIT_TEST(uart_iir_priority_line_status_then_data_then_thr_empty)
{
    Com1 com;
    com.out(1, 0x07);
    com.out(0, 'a'); /* THR empty pending */
    const uint8_t bytes[] = {1, 2};
    com.uart.receive(bytes, 2); /* FIFO off: the second overruns the first */
    CHECK_EQ(com.in(2), 0x06);
    CHECK_EQ(com.in(5) & 0x02, 0x02); /* overrun, cleared by this read */
    CHECK_EQ(com.in(2), 0x04);
    CHECK_EQ(com.in(0), 2);
    CHECK_EQ(com.in(2), 0x02);
    CHECK_EQ(com.in(2), 0x01);
}

UNIT_TEST(uart_fifo_overrun_keeps_the_first_16_bytes)
{
    Com1 com;
    com.out(2, 0x01);
    uint8_t bytes[20];
    for (int i = 0; i < 20; ++i)
        bytes[i] = uint8_t(i);
    CHECK_EQ(com.uart.receive(bytes, 20), 16u);
    CHECK_EQ(com.in(5) & 0x03, 0x03);
    for (int i = 0; i < 16; ++i)
        CHECK_EQ(com.in(0), i);
    CHECK_EQ(com.in(5) & 0x01, 0);
}

UNIT_TEST(uart_scratch_register_holds_a_byte)
{
    Com1 com;
    com.out(7, 0x5A);
    CHECK_EQ(com.in(7), 0x5A);
    com.out(7, 0xA5);
    CHECK_EQ(com.in(7), 0xA5);
}

UNIT_TEST(uart_loopback_as_linux_8250_probes_it)
{
    Com1 com;
    com.out(4, 0x1A); /* loop, OUT2, RTS */
    CHECK_EQ(com.in(6) & 0xF0, 0x90);
    com.out(1, 0x01);
    com.out(0, 'L');
    CHECK(com.received.lines.empty());
    CHECK(!com.pic.level[4]); /* no interrupt output in loopback */
    CHECK_EQ(com.in(0), 'L');
    com.out(4, 0x03);
    CHECK_EQ(com.in(6), 0xB0); /* a terminal is attached: CTS, DSR, DCD */
}

UNIT_TEST(uart_fcr_clears_the_receive_fifo)
{
    Com1 com;
    com.out(2, 0x01);
    const uint8_t bytes[] = {1, 2, 3};
    com.uart.receive(bytes, 3);
    com.out(2, 0x03);
    CHECK_EQ(com.in(5) & 0x01, 0);
}
