/* hostfs's read-ahead windows; see read_ahead.h for the coherence model. */
#include "fs/read_ahead.h"

ReadAhead::Window* ReadAhead::find(const void* file)
{
    for (Window& window : windows_) {
        if (window.file == file)
            return &window;
    }
    return nullptr;
}

ReadAhead::Window& ReadAhead::victim()
{
    Window* oldest = &windows_[0];
    for (Window& window : windows_) {
        if (!window.file)
            return window;
        if (window.last_used < oldest->last_used)
            oldest = &window;
    }
    return *oldest;
}

bool ReadAhead::answer(Window& window, uint64_t offset, void* buffer, size_t count, size_t& copied)
{
    /* Unsigned: an offset before the window wraps to a huge distance. */
    uint64_t into = offset - window.start;
    if (offset < window.start || into >= window.length)
        return false;
    size_t left = window.length - size_t(into);
    if (count > left && !window.at_end)
        return false;
    copied = count < left ? count : left;
    __builtin_memcpy(buffer, bytes(window) + into, copied);
    window.last_used = ++use_clock_;
    return true;
}

Result<size_t> ReadAhead::read(Fetcher& fetcher, const void* file, uint64_t offset, void* buffer, size_t count,
                               uint64_t now_ns, bool sequential, bool& served)
{
    served = false;
    if (!storage_ || count == 0 || count > SMALL_READ)
        return size_t(0);
    Window* window = find(file);
    /* A clock that went backwards (it cannot, but the check is free) also ends
     * the window rather than stretching its life. */
    if (window && (now_ns < window->fetched_ns || now_ns - window->fetched_ns >= LIFETIME_NS)) {
        *window = Window{};
        window = nullptr;
    }
    size_t copied = 0;
    if (window && answer(*window, offset, buffer, count, copied)) {
        served = true;
        return copied;
    }
    if (!sequential)
        return size_t(0);
    if (!window)
        window = &victim();
    /* Emptied first: a failed or short fetch must not leave another file's bytes
     * (or this file's older ones) behind under the new owner. */
    *window = Window{};
    ++fetches_;
    Result<size_t> got = fetcher.fetch(file, offset, bytes(*window), WINDOW);
    /* A host that answers more than it was asked is lying; the caller's own read
     * then gets the host's answer for its own buffer. */
    if (got.is_error() || got.value() > WINDOW)
        return size_t(0);
    served = true;
    if (got.value() == 0)
        return size_t(0); /* the end of the file, as the host says now */
    window->file = file;
    window->start = offset;
    window->length = got.value();
    window->at_end = got.value() < WINDOW;
    window->fetched_ns = now_ns;
    (void)answer(*window, offset, buffer, count, copied);
    return copied;
}

void ReadAhead::forget(const void* file)
{
    if (Window* window = find(file))
        *window = Window{};
}
