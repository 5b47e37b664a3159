/* The kernel heap's bookkeeping: blocks carved from memory regions handed to it, an
 * address-ordered free list searched first fit, blocks split on allocation and
 * coalesced with free neighbours on free, and a guard on every block: a header
 * with a magic number and the size before it, a canary after the requested bytes.
 * A region that is all free again can be taken out (take_empty_region()), so the
 * kernel heap gives its pages back.
 * Pure logic: the build machine's unit tests run it on a static arena. */
#pragma once
#include <stddef.h>
#include <stdint.h>

class HeapArena {
public:
    static constexpr size_t ALIGNMENT = 16; /* of every pointer handed out */

    enum class FreeError {
        none,
        double_free, /* the block is already free */
        overrun,     /* the canary after the requested bytes was overwritten */
        not_a_block, /* no block header before the pointer: wild pointer or underrun */
    };

    /* Bytes of every region that no block can have: the region's header. */
    static constexpr size_t REGION_HEADER = 16;

    struct Stats {
        size_t regions;
        size_t region_bytes; /* everything added with add_region() and not taken out */
        size_t used_blocks;
        size_t used_bytes;   /* requested by the callers of the live blocks */
        size_t free_blocks;
        size_t free_bytes;   /* in free blocks, headers included */
    };

    /* The smallest region that surely satisfies allocate(size, alignment) alone. */
    static size_t region_size_for(size_t size, size_t alignment);

    /* Hands [start, start + size) to the heap; `start` aligned to ALIGNMENT.
     * Regions smaller than region_size_for(0, ALIGNMENT) are ignored. */
    void add_region(void* start, size_t size);

    /* `size` bytes aligned to `alignment` (a power of two, at least ALIGNMENT is
     * used), not zeroed; nullptr when no free block fits. */
    [[nodiscard]] void* allocate(size_t size, size_t alignment = ALIGNMENT);
    /* Checks the guard, then frees; on an error nothing changes. */
    [[nodiscard]] FreeError free(void* pointer);
    /* After a free(): when the block it freed, merged with its free neighbours,
     * now fills a whole region, that region is not the first one added, and at
     * least `keep_free` bytes stay free without it (or the region alone is
     * larger than `keep_free`), the region leaves the arena;
     * true and the region's start and size, as given to add_region(). (The
     * first region and the bytes kept free spare a heap that allocates and frees
     * a big block over and over a trip to the PageManager each time.) */
    [[nodiscard]] bool take_empty_region(void*& start, size_t& size, size_t keep_free);

    /* The size a live block was requested with. */
    size_t allocated_size(const void* pointer) const;
    Stats stats() const { return stats_; }
    /* Walks every block of every region: the headers are intact, the sizes add
     * up, the free list holds exactly the free blocks in address order and no two
     * free blocks are neighbours. */
    bool is_consistent() const;

private:
    struct Block;
    struct Region;

    Block* carve(Block* free_block, Block* previous_free, size_t size, size_t alignment);
    /* Returns the free block `block` ended up in after merging. */
    Block* insert_free(Block* block);
    void unlink_free(Block* block, Block* previous_free);

    Region* regions_ = nullptr;
    Block* free_list_ = nullptr;
    Block* last_freed_ = nullptr; /* by free(), merged; for take_empty_region() */
    Stats stats_ = {};
};
