/* The attach escape's state machine; see detach_escape.h. */
#include "hypervisor/vm_console/detach_escape.h"

namespace vm_serial {

DetachEscape::Action DetachEscape::on_byte(uint8_t byte, uint64_t now_ns)
{
    if (!held_) {
        if (byte != ESCAPE_KEY)
            return Action::forward;
        held_ = true;
        held_since_ns_ = now_ns;
        return Action::hold;
    }
    held_ = false;
    /* A second Ctrl-] after the window is late: the first one already meant a
     * detach, even if the poll that would have acted on it has not run yet. */
    if (now_ns - held_since_ns_ >= ESCAPE_WINDOW_NS)
        return Action::detach;
    return byte == ESCAPE_KEY ? Action::forward_escape : Action::detach;
}

bool DetachEscape::window_expired(uint64_t now_ns)
{
    if (!held_ || now_ns - held_since_ns_ < ESCAPE_WINDOW_NS)
        return false;
    held_ = false;
    return true;
}

} // namespace vm_serial
