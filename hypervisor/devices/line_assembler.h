/* Collects the bytes a guest writes to a character device (UART, debug port) into
 * whole lines, so the hypervisor can log each guest line tagged with the VM's id.
 * A guest that is a hypervisor too writes its own guest's lines tagged already
 * ("[vm1] text"); the host tags them again ("[vm1] [vm1] text"), and a line
 * too long for one piece keeps those leading tags on every piece, so that no
 * piece of a nested guest's line reads as a line of the level above it. */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

/* The length of the guest tags a line starts with ("[vm1] ", "[vm2:e9] ",
 * repeated for each level), 0 when it starts otherwise. */
size_t guest_tag_length(const char* text, size_t length);

class LineAssembler {
public:
    /* Longer lines are handed out in pieces of this many characters: the
     * console's width (UART output), unless the owner asks for more. */
    static constexpr size_t MAX_LINE = 160;
    /* The most an owner may ask for: kernels log long lines through port 0xE9
     * (a SWEB kernel's stack traces, test summaries), and those stay whole. */
    static constexpr size_t LONG_LINE = 4096;
    /* Receives each line without its '\n', NUL-terminated; `length` excludes the NUL. */
    using LineHandler = void (*)(void* context, const char* text, size_t length);

    /* `max_line` is clamped to [1, LONG_LINE]. */
    LineAssembler(LineHandler handler, void* context, size_t max_line = MAX_LINE)
        : handler_(handler), context_(context),
          max_line_(max_line == 0 ? 1 : max_line > LONG_LINE ? LONG_LINE : max_line)
    {
    }
    size_t max_line() const { return max_line_; }

    /* '\n' ends a line, '\r' is dropped (serial consoles send "\r\n"), other bytes
     * are kept as they are. A line split at max_line() starts its next piece
     * with its guest tags again, when they take less than half a piece. */
    void put(uint8_t byte);
    /* Hands out a partial line (when the guest stops or the VM is torn down). */
    void flush();
    /* A byte the caller has shown another way (live): it still counts for the
     * current line, but a line it ends is not handed out. */
    void put_shown(uint8_t byte);
    /* The partial line collected so far (a prompt waiting for input): up to
     * `capacity` - 1 characters and a NUL into `out`; returns how many. */
    size_t copy_partial(char* out, size_t capacity) const;
    /* A ByteSink that feeds this assembler, for UartDevice and DebugPort. */
    ByteSink sink();

private:
    void emit(bool split);

    LineHandler handler_;
    void* context_;
    size_t max_line_;
    /* Sized for the longest choice so that no assembler needs the heap. */
    char text_[LONG_LINE + 1] = {};
    size_t length_ = 0;
    /* The tags a continued piece starts with: a piece that holds no more than
     * them (the split fell just before '\n') is not handed out. */
    size_t continued_tag_ = 0;
};

} // namespace devices
