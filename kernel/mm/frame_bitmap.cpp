/* Frame bookkeeping for the PageManager; see frame_bitmap.h. */
#include "mm/frame_bitmap.h"

namespace {

size_t round_up(size_t value, size_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

} // namespace

void FrameBitmap::init(uint64_t* storage, size_t frame_count)
{
    size_t words = words_per_bitmap(frame_count);
    usable_ = storage;
    free_ = storage + words;
    for (size_t i = 0; i < 2 * words; ++i)
        storage[i] = 0;
    frame_count_ = frame_count;
    usable_count_ = free_count_ = single_hint_ = 0;
}

void FrameBitmap::add_usable(size_t first, size_t count)
{
    for (size_t frame = first; frame < frame_count_ && frame - first < count; ++frame) {
        if (test(usable_, frame))
            continue;
        set(usable_, frame);
        set(free_, frame);
        ++usable_count_;
        ++free_count_;
    }
}

void FrameBitmap::remove_usable(size_t first, size_t count)
{
    for (size_t frame = first; frame < frame_count_ && frame - first < count; ++frame) {
        if (!test(usable_, frame))
            continue;
        clear(usable_, frame);
        clear(free_, frame);
        --usable_count_;
        --free_count_;
    }
}

size_t FrameBitmap::next_free(size_t from) const
{
    size_t word = from / 64;
    if (word >= words_per_bitmap(frame_count_))
        return frame_count_;
    uint64_t bits = free_[word] & (~uint64_t(0) << (from % 64));
    while (bits == 0) {
        if (++word >= words_per_bitmap(frame_count_))
            return frame_count_;
        bits = free_[word];
    }
    size_t frame = word * 64 + size_t(__builtin_ctzll(bits));
    return frame < frame_count_ ? frame : frame_count_;
}

size_t FrameBitmap::first_taken(size_t first, size_t count) const
{
    for (size_t frame = first; frame < first + count;) {
        /* A whole word inside the range is checked at once. */
        if (frame % 64 == 0 && first + count - frame >= 64) {
            uint64_t bits = free_[frame / 64];
            if (bits == ~uint64_t(0)) {
                frame += 64;
                continue;
            }
            return frame + size_t(__builtin_ctzll(~bits));
        }
        if (!test(free_, frame))
            return frame;
        ++frame;
    }
    return NOT_FOUND;
}

void FrameBitmap::take(size_t first, size_t count)
{
    for (size_t frame = first; frame < first + count; ++frame)
        clear(free_, frame);
    free_count_ -= count;
}

size_t FrameBitmap::allocate_single()
{
    size_t frame = next_free(single_hint_);
    if (frame == frame_count_)
        frame = next_free(0);
    if (frame == frame_count_)
        return NOT_FOUND;
    take(frame, 1);
    single_hint_ = frame + 1;
    return frame;
}

size_t FrameBitmap::allocate(size_t count, size_t alignment)
{
    if (count == 0 || alignment == 0 || (alignment & (alignment - 1)) != 0 || count > free_count_)
        return NOT_FOUND;
    if (count == 1 && alignment == 1)
        return allocate_single();
    size_t candidate = round_up(next_free(0), alignment);
    while (candidate < frame_count_ && count <= frame_count_ - candidate) {
        size_t taken = first_taken(candidate, count);
        if (taken == NOT_FOUND) {
            take(candidate, count);
            return candidate;
        }
        candidate = round_up(next_free(taken + 1), alignment);
    }
    return NOT_FOUND;
}

FrameBitmap::FreeResult FrameBitmap::free(size_t first, size_t count)
{
    for (size_t frame = first; frame - first < count; ++frame) {
        if (!is_usable(frame))
            return {FreeError::never_allocatable, frame};
        if (test(free_, frame))
            return {FreeError::double_free, frame};
    }
    for (size_t frame = first; frame - first < count; ++frame)
        set(free_, frame);
    free_count_ += count;
    if (first < single_hint_)
        single_hint_ = first;
    return {FreeError::none, 0};
}
