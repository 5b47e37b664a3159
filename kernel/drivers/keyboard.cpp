/* PS/2 keyboard driver; see keyboard.h. */
#include "keyboard.h"

#include "console/console_input.h"
#include "interrupts/irq.h"

namespace keyboard {

namespace {

ScancodeDecoder decoder;
KeyEvent last;
uint64_t scancodes = 0;
RawScancodeHook raw_hook = nullptr;

/* IRQ 1 means one byte waits in the controller's output buffer. */
void on_interrupt(TrapFrame&)
{
    if (!i8042::has_data())
        return;
    uint8_t byte = i8042::read_data();
    ++scancodes;
    KeyEvent event;
    bool complete = decoder.feed(byte, event);
    if (complete)
        last = event;
    /* Alt+F<n> always switches consoles, whoever has the keyboard. */
    if (complete && event.pressed && event.alt && event.key >= Key::f1 && event.key <= Key::f12) {
        console_input::switch_console(unsigned(event.key) - unsigned(Key::f1) + 1);
        return;
    }
    if (raw_hook && raw_hook(byte))
        return;
    if (!complete)
        return;
    char bytes[8];
    size_t length = key_event_bytes(event, bytes, sizeof(bytes));
    console_input::push(bytes, length);
}

} // namespace

i8042::ControllerError init()
{
    i8042::ControllerError error = i8042::init();
    if (error == i8042::ControllerError::none)
        interrupts::register_irq_handler(IRQ, on_interrupt);
    return error;
}

KeyEvent last_event() { return last; }

void set_raw_scancode_hook(RawScancodeHook hook) { raw_hook = hook; }
uint64_t scancode_count() { return scancodes; }

} // namespace keyboard
