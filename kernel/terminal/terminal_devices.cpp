/* Output of the three kinds of terminal; see terminal_devices.h. */
#include "terminal/terminal_devices.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "console/serial.h"
#include "console/vga_text.h"
#include "lib/string.h"

namespace {

/* Output goes out in pieces this large, each with interrupts off (so it never
 * lands inside a log line), and with interrupts on in between. */
constexpr size_t OUTPUT_PIECE = 128;

template <typename Write> void in_pieces(const char* text, size_t length, Write write)
{
    for (size_t done = 0; done < length; done += OUTPUT_PIECE) {
        size_t piece = length - done < OUTPUT_PIECE ? length - done : OUTPUT_PIECE;
        InterruptGuard guard;
        write(text + done, piece);
    }
}

void write_serial(void*, const char* text, size_t length) { serial::write(text, length); }

} // namespace

void ScreenTerminal::output(const char* text, size_t length)
{
    in_pieces(text, length, [this](const char* piece, size_t size) { vga_text::write_to(screen_, piece, size); });
}

/* Each piece is guarded against the console's state of that moment: a log line
 * written between two pieces leaves the console at the start of a line. */
void SerialTerminal::output(const char* text, size_t length)
{
    in_pieces(text, length, [this](const char* piece, size_t size) {
        guard_.resync(serial::at_line_start());
        guard_.feed(piece, size, write_serial, nullptr);
    });
}

void SerialTerminal::flush_output()
{
    InterruptGuard guard;
    guard_.flush(write_serial, nullptr);
}

void LogTerminal::set_label(const char* label)
{
    if (length_)
        end_line();
    size_t length = strnlen(label, sizeof(label_) - 1);
    memcpy(label_, label, length);
    label_[length] = '\0';
}

void LogTerminal::end_line()
{
    line_[length_] = '\0';
    log(LogCategory::user, "%s: %s", label_, line_);
    length_ = 0;
}

void LogTerminal::output(const char* text, size_t length)
{
    for (size_t i = 0; i < length; ++i) {
        if (text[i] == '\n') {
            end_line();
            continue;
        }
        line_[length_++] = text[i];
        if (length_ == LINE_CAPACITY - 1)
            end_line();
    }
}
