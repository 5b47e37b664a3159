/* The PageManager's bookkeeping: which page frames exist at all (are allocatable)
 * and which of those are free, one bit each. Pure logic on storage the caller
 * provides, so the build machine's unit tests drive it on a plain array. */
#pragma once
#include <stddef.h>
#include <stdint.h>

class FrameBitmap {
public:
    static constexpr size_t NOT_FOUND = SIZE_MAX;

    /* How many 64-bit words of storage init() needs for `frame_count` frames: one
     * bitmap of allocatable frames and one of free frames. */
    static constexpr size_t words_needed(size_t frame_count) { return 2 * words_per_bitmap(frame_count); }

    /* Takes `storage` (words_needed(frame_count) words); every frame starts out not
     * allocatable. */
    void init(uint64_t* storage, size_t frame_count);

    /* Makes frames allocatable and free; parts beyond frame_count are ignored. */
    void add_usable(size_t first, size_t count);
    /* Takes frames out again (reserved memory, the kernel image, ...). Only for
     * setting up: the frames must not be allocated. */
    void remove_usable(size_t first, size_t count);

    /* Allocates the lowest free run of `count` frames whose first frame number is a
     * multiple of `alignment` (in frames, a power of two); a single frame comes
     * from where the last one was found. Returns the first frame or NOT_FOUND. */
    [[nodiscard]] size_t allocate(size_t count, size_t alignment);

    enum class FreeError { none, never_allocatable, double_free };
    struct [[nodiscard]] FreeResult {
        FreeError error;
        size_t frame; /* the first offending frame when error != none */
    };
    /* Frees a run. Every frame is checked before any changes, so a failed free
     * leaves the bitmap as it was. */
    FreeResult free(size_t first, size_t count);

    bool is_usable(size_t frame) const { return frame < frame_count_ && test(usable_, frame); }
    bool is_free(size_t frame) const { return frame < frame_count_ && test(free_, frame); }
    size_t frame_count() const { return frame_count_; }
    size_t usable_count() const { return usable_count_; }
    size_t free_count() const { return free_count_; }

private:
    static constexpr size_t words_per_bitmap(size_t frame_count) { return (frame_count + 63) / 64; }
    static bool test(const uint64_t* bitmap, size_t frame) { return bitmap[frame / 64] >> (frame % 64) & 1; }
    static void set(uint64_t* bitmap, size_t frame) { bitmap[frame / 64] |= uint64_t(1) << (frame % 64); }
    static void clear(uint64_t* bitmap, size_t frame) { bitmap[frame / 64] &= ~(uint64_t(1) << (frame % 64)); }

    /* The first free frame at or after `from`, or frame_count_. */
    size_t next_free(size_t from) const;
    /* The first frame in [first, first + count) that is not free, or NOT_FOUND. */
    size_t first_taken(size_t first, size_t count) const;
    size_t allocate_single();
    void take(size_t first, size_t count);

    uint64_t* usable_ = nullptr;
    uint64_t* free_ = nullptr;
    size_t frame_count_ = 0;
    size_t usable_count_ = 0;
    size_t free_count_ = 0;
    size_t single_hint_ = 0; /* where the next single-frame search starts */
};
