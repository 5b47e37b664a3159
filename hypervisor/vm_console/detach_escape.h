/* The attach escape of vm attach: what Ctrl-] (0x1D) typed on the host's COM1
 * means while it is attached to a VM, as telnet's escape character and ssh's
 * "~~" work. Pure logic, unit-tested (tests/unit/detach_escape_test.cpp).
 *
 *   Ctrl-], then nothing for ESCAPE_WINDOW_NS   detach (the host's shell is back)
 *   Ctrl-] Ctrl-]                               ONE Ctrl-] goes to the VM, which
 *                                               stays attached: a guest of our
 *                                               kernel attached to its own guest
 *                                               detaches from that one
 *   Ctrl-] and any other key                    detach at once; that key goes to
 *                                               the host's terminal, as typed
 *                                               after the detach
 *
 * So n levels down takes 2^(n-1) Ctrl-]s: L2's own Ctrl-] for vm1's shell is
 * Ctrl-] Ctrl-] at the host. The window is measured on the clock of the kernel
 * that is attached (in an emulator: emulated time, which may run slower or
 * faster than a wall clock); a person types a double Ctrl-] well within it, and
 * a script writes both bytes at once. */
#pragma once
#include <stdint.h>

namespace vm_serial {

class DetachEscape {
public:
    static constexpr uint8_t ESCAPE_KEY = 0x1D; /* Ctrl-] */
    /* One second: longer than the gap between two presses of a double
     * Ctrl-], short enough that a single one still feels like a detach. */
    static constexpr uint64_t ESCAPE_WINDOW_NS = 1'000'000'000;

    enum class Action {
        forward,        /* the byte goes to the VM */
        forward_escape, /* one Ctrl-] goes to the VM (the second of a pair) */
        hold,           /* a first Ctrl-]: nothing yet, the next key or the window decides */
        detach,         /* detach; the byte goes to the host's terminal */
    };

    /* A byte typed at `now_ns` while attached. After `detach` the escape is
     * idle again (the next attachment starts afresh). */
    Action on_byte(uint8_t byte, uint64_t now_ns);
    /* Whether a held Ctrl-] has waited out its window by `now_ns` (and is
     * therefore a detach); polled by the attached thread. */
    bool window_expired(uint64_t now_ns);
    /* Forgets a held Ctrl-] (a new attachment). */
    void reset() { held_ = false; }
    bool holding() const { return held_; }

private:
    bool held_ = false;
    uint64_t held_since_ns_ = 0;
};

} // namespace vm_serial
