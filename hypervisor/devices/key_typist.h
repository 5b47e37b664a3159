/* Types host text into a guest's PS/2 keyboard (`vm keys`): each character
 * becomes the scancode set 1 make and break codes of its key on a US layout, with
 * left shift held around capitals and shifted symbols, '\n' (and '\r') as Enter.
 * Follows the IBM PS/2 keyboard scancode set 1 table (OSDev wiki, "PS/2
 * Keyboard"), which kernel/drivers/scancode_set1 decodes the other way.
 *
 * The keyboard buffers 16 bytes, a line of text has more: the text waits here and
 * goes to the keyboard one key at a time, only when the keyboard's buffer is empty
 * (the guest took the previous key) and it scans, so nothing is lost to an
 * overrun however slowly the guest reads. Pure logic, unit-tested. */
#pragma once
#include "hypervisor/devices/i8042.h"
#include "hypervisor/devices/pending_input.h"

namespace devices {

/* The set-1 bytes of typing `character` (make, break; shift around them when
 * needed) into `out` (room for MAX_KEYSTROKE_BYTES); 0 for a byte no key of a
 * US keyboard types (it is skipped). */
constexpr size_t MAX_KEYSTROKE_BYTES = 4;
size_t keystroke_bytes(uint8_t character, uint8_t* out);

class KeyTypist {
public:
    static constexpr size_t CAPACITY = 512;

    /* Queues text; returns how many bytes were queued (fewer when full). */
    size_t type(const uint8_t* text, size_t count) { return pending_.push(text, count); }
    size_t waiting() const { return pending_.size(); }
    /* Hands the next key to the keyboard if it can take one now; call before
     * each guest entry. Untypeable bytes are dropped on the way. */
    void pump(I8042& controller);

private:
    PendingInput<CAPACITY> pending_;
};

} // namespace devices
