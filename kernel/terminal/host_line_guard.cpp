/* The guard's state machine; see host_line_guard.h. */
#include "terminal/host_line_guard.h"

namespace {

/* The starts of the lines the harness believes (tools/matryoshka/verdict.py). */
const char* const TRUSTED_PREFIXES[] = {"[host ", "[guest "};

/* Whether held[0..count) begins one of the prefixes, and whether it is all of it. */
bool is_prefix_start(const char* held, size_t count, bool& complete)
{
    for (const char* prefix : TRUSTED_PREFIXES) {
        size_t i = 0;
        while (i < count && prefix[i] && held[i] == prefix[i])
            ++i;
        if (i == count) {
            complete = prefix[i] == '\0';
            return true;
        }
    }
    return false;
}

} // namespace

void HostLineGuard::feed(const char* text, size_t length, Emit emit, void* context)
{
    /* Runs of ordinary text inside a line go out in one piece. */
    size_t run_start = 0;
    for (size_t i = 0; i < length; ++i) {
        if (!at_line_start_ && held_count_ == 0 && text[i] != '\n' && text[i] != '\r')
            continue;
        if (i > run_start)
            emit(context, text + run_start, i - run_start);
        feed_byte(text[i], emit, context);
        run_start = i + 1;
    }
    if (length > run_start)
        emit(context, text + run_start, length - run_start);
}

void HostLineGuard::feed_byte(char c, Emit emit, void* context)
{
    if (at_line_start_ || held_count_ > 0) {
        held_[held_count_++] = c;
        bool complete = false;
        if (is_prefix_start(held_, held_count_, complete)) {
            if (!complete)
                return;
            emit(context, "~", 1);
        }
        emit(context, held_, held_count_);
        held_count_ = 0;
    } else {
        emit(context, &c, 1);
    }
    /* A carriage return goes back to the start of the line as well. */
    at_line_start_ = c == '\n' || c == '\r';
}

void HostLineGuard::resync(bool at_line_start)
{
    if (held_count_ == 0)
        at_line_start_ = at_line_start;
}

void HostLineGuard::flush(Emit emit, void* context)
{
    if (held_count_ == 0)
        return;
    /* Held bytes are always the start of a trusted prefix; the rest of it may
     * follow after the flush, so they are marked too. */
    emit(context, "~", 1);
    emit(context, held_, held_count_);
    held_count_ = 0;
    at_line_start_ = false;
}
