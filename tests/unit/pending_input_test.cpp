/* hypervisor/devices/pending_input.h with the 16550 that pulls from it: host input
 * longer than the receive FIFO reaches the guest whole, in order, as it reads. */
#include "hypervisor/devices/line_assembler.h"
#include "hypervisor/devices/pending_input.h"
#include "hypervisor/devices/uart16550.h"
#include "fake_interrupt_controller.h"
#include "unit_test.h"

#include <string>
#include <vector>

using devices::Uart16550;

namespace {

struct Com1WithInput {
    FakeInterruptController pic;
    devices::PendingInput<64> pending;
    Uart16550 uart{Uart16550::COM1_BASE, devices::IrqLine(pic, 4), devices::ByteSink{}};

    Com1WithInput() { uart.set_input(pending.source()); }
    void out(unsigned offset, uint8_t value) { uart.write(uint16_t(0x3F8 + offset), 1, value, 0); }
    uint8_t in(unsigned offset) { return uint8_t(uart.read(uint16_t(0x3F8 + offset), 1, 0)); }

    /* What kernel/console/serial.cpp does: FIFOs on and cleared, then the
     * received-data interrupt through OUT2. */
    void init_interrupt_driven()
    {
        out(2, 0xC7);
        out(2, 0x01);
        out(4, 0x0B);
        out(1, 0x01);
    }
    size_t send(const char* text)
    {
        size_t queued = pending.push(reinterpret_cast<const uint8_t*>(text), std::string(text).size());
        uart.pull_input();
        return queued;
    }
    /* The guest's interrupt handler: read RBR while LSR says data is ready. */
    std::string drain()
    {
        std::string got;
        while (in(5) & 0x01)
            got += char(in(0));
        return got;
    }
};

} // namespace

UNIT_TEST(pending_input_queues_until_full_and_says_how_much)
{
    devices::PendingInput<4> pending;
    const uint8_t bytes[6] = {1, 2, 3, 4, 5, 6};
    CHECK_EQ(pending.push(bytes, 3), 3u);
    CHECK_EQ(pending.push(bytes + 3, 3), 1u); /* one place left: 5 and 6 refused */
    CHECK_EQ(pending.free_space(), 0u);
    uint8_t byte = 0;
    for (uint8_t expected = 1; expected <= 4; ++expected) {
        CHECK(pending.take(byte));
        CHECK_EQ(byte, expected);
    }
    CHECK(!pending.take(byte));
    CHECK_EQ(pending.push(nullptr, 3), 0u);
}

UNIT_TEST(pending_input_reaches_the_guest_whole_beyond_the_16_byte_fifo)
{
    Com1WithInput com;
    com.init_interrupt_driven();
    const char* text = "echo forty bytes of text for the guest\r";
    CHECK_EQ(com.send(text), std::string(text).size());
    CHECK_EQ(com.pending.size(), std::string(text).size() - Uart16550::FIFO_SIZE);
    CHECK(com.pic.level[4]);
    CHECK_EQ(com.drain(), std::string(text));
    CHECK_EQ(com.pending.size(), 0u);
    CHECK_EQ(com.in(5) & 0x02, 0); /* no overrun */
    CHECK(!com.pic.level[4]);
}

UNIT_TEST(pending_input_waits_until_the_guest_driver_is_ready)
{
    Com1WithInput com;
    CHECK_EQ(com.send("early"), 5u);
    com.out(2, 0xC7); /* the driver's FIFO reset must not flush the early input */
    CHECK_EQ(com.pending.size(), 5u);
    com.init_interrupt_driven();
    CHECK_EQ(com.drain(), std::string("early"));
}

UNIT_TEST(pending_input_reaches_a_polling_guest_without_fifo)
{
    Com1WithInput com; /* FIFOs off, no interrupts: LSR polling as a boot loader does */
    CHECK_EQ(com.send("poll me"), 7u);
    CHECK_EQ(com.drain(), std::string("poll me"));
}

UNIT_TEST(pending_input_is_held_back_in_loopback)
{
    Com1WithInput com;
    com.init_interrupt_driven();
    com.out(4, 0x1B); /* loopback: the serial input is disconnected */
    com.send("held");
    CHECK_EQ(com.in(5) & 0x01, 0);
    com.out(4, 0x0B);
    CHECK_EQ(com.drain(), std::string("held"));
}

UNIT_TEST(pending_input_full_queue_refuses_the_rest)
{
    Com1WithInput com;
    std::string text(100, 'x');
    CHECK_EQ(com.send(text.c_str()), 64u); /* the guest reads nothing yet */
    com.init_interrupt_driven();
    CHECK_EQ(com.drain(), std::string(64, 'x'));
}

UNIT_TEST(line_assembler_remembers_a_prompt_shown_live)
{
    std::vector<std::string> lines;
    devices::LineAssembler assembler{
        [](void* out, const char* text, size_t length) { static_cast<std::vector<std::string>*>(out)->emplace_back(text, length); },
        &lines};
    for (char c : std::string("shown live\r\n/$ "))
        assembler.put_shown(uint8_t(c));
    CHECK(lines.empty()); /* shown already: not handed out again */
    char prompt[8];
    CHECK_EQ(assembler.copy_partial(prompt, sizeof(prompt)), 3u);
    CHECK_EQ(std::string(prompt), std::string("/$ "));
    for (char c : std::string("ls\n"))
        assembler.put(uint8_t(c));
    CHECK_EQ(lines.size(), 1u);
    CHECK_EQ(lines.at(0), std::string("/$ ls")); /* the relayed line begins with the prompt */
}

UNIT_TEST(line_assembler_long_line_shown_live_still_splits_at_max_line)
{
    std::vector<std::string> lines;
    devices::LineAssembler assembler{
        [](void* out, const char* text, size_t length) { static_cast<std::vector<std::string>*>(out)->emplace_back(text, length); },
        &lines};
    for (size_t i = 0; i < 2 * devices::LineAssembler::MAX_LINE; ++i)
        assembler.put_shown('x');
    for (size_t i = 0; i < 10; ++i)
        assembler.put('y');
    CHECK_EQ(lines.size(), 1u);
    CHECK_EQ(lines.at(0).size(), devices::LineAssembler::MAX_LINE);
}
