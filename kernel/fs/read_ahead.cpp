/* hostfs's read-ahead windows; see read_ahead.h for the coherence model. */
#include "fs/read_ahead.h"

ReadAhead::~ReadAhead()
{
    for (Window& window : windows_)
        host_.release(window.bytes);
}

ReadAhead::Window* ReadAhead::find(const void* file)
{
    /* One reader at a time is the common case: its window is the recent one. */
    if (recent_->file == file)
        return recent_;
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

/* Owned by nobody, holding nothing; the buffer stays for the next owner. */
void ReadAhead::empty(Window& window)
{
    uint8_t* bytes = window.bytes;
    window = Window{};
    window.bytes = bytes;
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
    __builtin_memcpy(buffer, window.bytes + into, copied);
    window.last_used = ++use_clock_;
    recent_ = &window;
    return true;
}

/* Everything but the inline hit of read(). */
size_t ReadAhead::read_slowly(const void* file, uint64_t offset, void* buffer, size_t count, uint64_t now_ns,
                              bool sequential, bool& served)
{
    served = false;
    if (count == 0 || count > SMALL_READ)
        return 0;
    Window* window = find(file);
    size_t copied = 0;
    /* A clock that went backwards (it cannot, but the check is free) also ends
     * the window rather than stretching its life. */
    bool fresh = window && now_ns >= window->fetched_ns && now_ns - window->fetched_ns < LIFETIME_NS;
    if (fresh && answer(*window, offset, buffer, count, copied)) {
        served = true;
        return copied;
    }
    if (!sequential) {
        if (window && !fresh)
            empty(*window);
        return 0;
    }
    /* The same reader going on: a larger window; a window taken over: the first size. */
    size_t size = WINDOW_FIRST;
    if (window && window->size)
        size = window->size * 2 < WINDOW_MAX ? window->size * 2 : WINDOW_MAX;
    if (!window)
        window = &victim();
    /* Emptied first: a failed or short fetch must not leave another file's bytes
     * (or this file's older ones) behind under the new owner. */
    empty(*window);
    if (!window->bytes)
        window->bytes = host_.allocate();
    if (!window->bytes)
        return 0;
    ++fetches_;
    Result<size_t> got = host_.fetch(file, offset, window->bytes, size);
    /* A host that answers more than it was asked is lying; the caller's own read
     * then gets the host's answer for its own buffer. */
    if (got.is_error() || got.value() > size)
        return 0;
    served = true;
    if (got.value() == 0)
        return 0; /* the end of the file, as the host says now */
    window->file = file;
    window->start = offset;
    window->length = got.value();
    window->size = size;
    window->at_end = got.value() < size;
    window->fetched_ns = now_ns;
    (void)answer(*window, offset, buffer, count, copied);
    return copied;
}

void ReadAhead::forget(const void* file)
{
    if (Window* window = find(file))
        empty(*window);
}
