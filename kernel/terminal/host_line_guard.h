/* Keeps what user programs print on the serial console from passing for the
 * kernel's own log lines: the test harness trusts lines that begin with "[host "
 * (and a hypervisor's relayed "[guest "), so a line of user output that would
 * begin so gets a '~' in front. Bytes that may be the start of such a line are
 * held back until it is clear (or until flush). Pure logic: also compiled into
 * the unit tests. */
#pragma once
#include <stddef.h>

class HostLineGuard {
public:
    /* What the guard lets through; called with the text to show, in order. */
    using Emit = void (*)(void* context, const char* text, size_t length);

    void feed(const char* text, size_t length, Emit emit, void* context);
    /* Tells the guard where the device's output stands now: other writers (the
     * kernel log) may have ended a line since. Ignored while bytes are held. */
    void resync(bool at_line_start);
    /* Lets held bytes through, marked (a prompt "[" waiting for input). */
    void flush(Emit emit, void* context);

private:
    void feed_byte(char c, Emit emit, void* context);

    char held_[8] = {};
    size_t held_count_ = 0;
    bool at_line_start_ = true;
};
