/* The console input queue; see console_input.h. */
#include "console_input.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/serial.h"
#include "interrupts/irq.h"
#include "lib/ring_buffer.h"

namespace console_input {

namespace {

constexpr unsigned COM1_IRQ = 4;

RingBuffer<char, 256> queue;
size_t dropped = 0;
const InputRouting* routing = nullptr;
SerialHook serial_hook = nullptr;

void push_to_queue(const char* bytes, size_t length)
{
    InterruptGuard guard;
    for (size_t i = 0; i < length; ++i) {
        if (!queue.push(bytes[i]))
            ++dropped;
    }
}

void on_serial_interrupt(TrapFrame&)
{
    /* Reading the receive buffer clears the UART's interrupt; drain the FIFO so
     * that no byte waits for a next interrupt that will not come. */
    while (serial::has_input()) {
        char byte = char(serial::read_byte());
        if (serial_hook && serial_hook(byte))
            continue;
        if (byte == '\r')
            byte = '\n';
        if (routing)
            routing->serial(&byte, 1);
        else
            push_to_queue(&byte, 1);
    }
}

} // namespace

void init_serial_input()
{
    interrupts::register_irq_handler(COM1_IRQ, on_serial_interrupt);
    serial::enable_receive_interrupt();
}

void set_routing(const InputRouting* new_routing)
{
    InterruptGuard guard;
    routing = new_routing;
}

void set_serial_hook(SerialHook hook)
{
    InterruptGuard guard;
    serial_hook = hook;
}

void push(const char* bytes, size_t length)
{
    if (routing)
        routing->keyboard(bytes, length);
    else
        push_to_queue(bytes, length);
}

void switch_console(unsigned number)
{
    if (routing)
        routing->switch_console(number);
}

int read_char()
{
    InterruptGuard guard;
    char byte;
    return queue.pop(byte) ? int(uint8_t(byte)) : -1;
}

size_t dropped_count() { return dropped; }

} // namespace console_input
