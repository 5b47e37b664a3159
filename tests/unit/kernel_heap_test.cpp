/* The kernel heap's bookkeeping (kernel/mm/heap_arena.cpp) on a static arena:
 * alignment, splitting and coalescing, growth by regions, and the guard that
 * catches double frees, overruns and wild pointers. */
#include "mm/heap_arena.h"
#include "unit_test.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

alignas(4096) unsigned char arena_memory[256 * 1024];

struct Heap {
    explicit Heap(size_t bytes = 64 * 1024) { heap.add_region(arena_memory, bytes); }
    HeapArena heap;
};

uintptr_t address(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

} // namespace

UNIT_TEST(heap_allocations_are_aligned_distinct_and_counted)
{
    Heap h;
    void* a = h.heap.allocate(1);
    void* b = h.heap.allocate(100);
    void* c = h.heap.allocate(0);
    CHECK(a && b && c && a != b && b != c);
    CHECK_EQ(address(a) % 16, uintptr_t(0));
    CHECK_EQ(address(b) % 16, uintptr_t(0));
    CHECK(address(b) >= address(a) + 1 + 8); /* a's byte and its canary come first */
    CHECK_EQ(h.heap.stats().used_blocks, size_t(3));
    CHECK_EQ(h.heap.stats().used_bytes, size_t(101));
    CHECK_EQ(h.heap.allocated_size(b), size_t(100));
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_freeing_everything_coalesces_into_one_block)
{
    Heap h;
    HeapArena::Stats empty = h.heap.stats();
    CHECK_EQ(empty.free_blocks, size_t(1));
    void* blocks[8];
    for (void*& block : blocks)
        block = h.heap.allocate(200);
    for (int i : {1, 3, 5, 7, 0, 2, 6, 4}) /* holes first, then what joins them */
        CHECK(h.heap.free(blocks[i]) == HeapArena::FreeError::none);
    HeapArena::Stats after = h.heap.stats();
    CHECK_EQ(after.free_blocks, size_t(1));
    CHECK_EQ(after.free_bytes, empty.free_bytes);
    CHECK_EQ(after.used_blocks, size_t(0));
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_freed_block_is_reused_first_fit)
{
    Heap h;
    void* a = h.heap.allocate(64);
    void* b = h.heap.allocate(64);
    CHECK(h.heap.free(a) == HeapArena::FreeError::none);
    void* c = h.heap.allocate(32); /* fits into a's hole */
    CHECK_EQ(address(c), address(a));
    CHECK(h.heap.is_consistent());
    (void)b;
}

UNIT_TEST(heap_split_leaves_the_rest_free)
{
    Heap h;
    size_t free_before = h.heap.stats().free_bytes;
    void* a = h.heap.allocate(1000);
    HeapArena::Stats stats = h.heap.stats();
    CHECK_EQ(stats.free_blocks, size_t(1));
    CHECK(stats.free_bytes < free_before && stats.free_bytes > free_before - 1100);
    (void)a;
}

UNIT_TEST(heap_large_alignment_is_honoured_and_the_gap_stays_usable)
{
    Heap h;
    void* small = h.heap.allocate(16);
    void* page = h.heap.allocate(4096, 4096);
    CHECK(page != nullptr);
    CHECK_EQ(address(page) % 4096, uintptr_t(0));
    CHECK(h.heap.is_consistent());
    void* in_gap = h.heap.allocate(64); /* the gap before the aligned block is a free block */
    CHECK(address(in_gap) < address(page));
    for (void* p : {small, page, in_gap})
        CHECK(h.heap.free(p) == HeapArena::FreeError::none);
    CHECK_EQ(h.heap.stats().free_blocks, size_t(1));
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_returns_null_when_full_and_a_new_region_helps)
{
    Heap h(8 * 1024);
    CHECK(h.heap.allocate(16 * 1024) == nullptr);
    size_t needed = HeapArena::region_size_for(16 * 1024, 16);
    h.heap.add_region(arena_memory + 64 * 1024, needed);
    void* big = h.heap.allocate(16 * 1024);
    CHECK(big != nullptr);
    CHECK(address(big) >= address(arena_memory + 64 * 1024));
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_region_size_for_suffices_for_any_alignment)
{
    for (size_t alignment : {16, 64, 4096}) {
        for (size_t size : {0, 1, 100, 5000}) {
            HeapArena heap;
            heap.add_region(arena_memory, HeapArena::region_size_for(size, alignment));
            void* p = heap.allocate(size, alignment);
            CHECK(p != nullptr);
            CHECK_EQ(address(p) % alignment, uintptr_t(0));
        }
    }
}

UNIT_TEST(heap_detects_double_free_and_changes_nothing)
{
    Heap h;
    void* a = h.heap.allocate(40);
    void* b = h.heap.allocate(40);
    CHECK(h.heap.free(a) == HeapArena::FreeError::none);
    HeapArena::Stats before = h.heap.stats();
    CHECK(h.heap.free(a) == HeapArena::FreeError::double_free);
    CHECK_EQ(h.heap.stats().free_bytes, before.free_bytes);
    /* Also after a was merged into a free neighbour. */
    CHECK(h.heap.free(b) == HeapArena::FreeError::none);
    CHECK(h.heap.free(b) == HeapArena::FreeError::double_free);
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_detects_an_overrun_of_one_byte)
{
    Heap h;
    auto* a = static_cast<unsigned char*>(h.heap.allocate(24));
    std::memset(a, 0x11, 24); /* in bounds: fine */
    a[24] = 0x11;             /* one past the end: into the canary */
    CHECK(!h.heap.is_consistent());
    CHECK(h.heap.free(a) == HeapArena::FreeError::overrun);
    CHECK_EQ(h.heap.stats().used_blocks, size_t(1)); /* refused: still allocated */
}

UNIT_TEST(heap_detects_a_pointer_that_is_not_a_block)
{
    Heap h;
    auto* a = static_cast<unsigned char*>(h.heap.allocate(64));
    CHECK(h.heap.free(a + 16) == HeapArena::FreeError::not_a_block);
    std::memset(a - 32, 0, 8); /* an underrun that hit the header's magic */
    CHECK(h.heap.free(a) == HeapArena::FreeError::not_a_block);
}

UNIT_TEST(heap_random_stress_keeps_contents_and_returns_to_empty)
{
    Heap h(256 * 1024);
    HeapArena::Stats empty = h.heap.stats();
    std::mt19937 random(1234);
    std::vector<std::pair<unsigned char*, size_t>> live;
    for (int round = 0; round < 5000; ++round) {
        if (live.empty() || (random() % 3 != 0 && live.size() < 200)) {
            size_t size = random() % 2000;
            size_t alignment = size_t(16) << (random() % 4);
            auto* p = static_cast<unsigned char*>(h.heap.allocate(size, alignment));
            if (!p)
                continue;
            CHECK_EQ(address(p) % alignment, uintptr_t(0));
            std::memset(p, int(size & 0xFF), size);
            live.push_back({p, size});
        } else {
            size_t index = random() % live.size();
            auto [p, size] = live[index];
            for (size_t i = 0; i < size; ++i)
                if (p[i] != (size & 0xFF))
                    unit::record_failure("contents changed");
            CHECK(h.heap.free(p) == HeapArena::FreeError::none);
            live.erase(live.begin() + long(index));
        }
    }
    CHECK(h.heap.is_consistent());
    for (auto [p, size] : live)
        CHECK(h.heap.free(p) == HeapArena::FreeError::none);
    CHECK_EQ(h.heap.stats().free_blocks, size_t(1));
    CHECK_EQ(h.heap.stats().free_bytes, empty.free_bytes);
    CHECK_EQ(h.heap.stats().used_bytes, size_t(0));
}

UNIT_TEST(heap_region_that_is_all_free_again_is_taken_out_but_never_the_first)
{
    Heap h(16 * 1024);
    unsigned char* second_region = arena_memory + 64 * 1024;
    h.heap.add_region(second_region, 32 * 1024);
    void* first_block = h.heap.allocate(15 * 1024); /* fills the first region */
    void* a = h.heap.allocate(4000);
    void* b = h.heap.allocate(4000);
    CHECK(first_block && address(a) >= address(second_region) && address(b) >= address(second_region));
    void* start = nullptr;
    size_t size = 0;
    CHECK(h.heap.free(a) == HeapArena::FreeError::none);
    CHECK(!h.heap.take_empty_region(start, size, 0)); /* b still lives there */
    CHECK(h.heap.free(b) == HeapArena::FreeError::none);
    CHECK(h.heap.take_empty_region(start, size, 0));
    CHECK(start == second_region && size == size_t(32 * 1024));
    CHECK_EQ(h.heap.stats().regions, size_t(1));
    CHECK(!h.heap.take_empty_region(start, size, 0)); /* once */
    CHECK_EQ(h.heap.stats().region_bytes, size_t(16 * 1024));
    CHECK(h.heap.is_consistent());
    /* The first region, emptied, stays. */
    CHECK(h.heap.free(first_block) == HeapArena::FreeError::none);
    CHECK(!h.heap.take_empty_region(start, size, 0));
    CHECK_EQ(h.heap.stats().free_bytes, size_t(16 * 1024) - 16);
    /* A region is kept while the heap would have less than `keep_free` bytes free without it. */
    void* d = h.heap.allocate(20000);
    CHECK(!d); /* the second region is gone */
    /* What was taken out is no longer handed out. */
    void* c = h.heap.allocate(20000); /* fitted only the second region */
    CHECK(!c);
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_keeps_an_empty_region_while_too_little_would_stay_free)
{
    Heap h(16 * 1024);
    h.heap.add_region(arena_memory + 64 * 1024, 32 * 1024);
    void* a = h.heap.allocate(20000);
    CHECK(address(a) >= address(arena_memory + 64 * 1024));
    CHECK(h.heap.free(a) == HeapArena::FreeError::none);
    void* start = nullptr;
    size_t size = 0;
    /* Without it, 16 KiB less the region header stay free: not enough to keep 40 KiB
     * (and the 32 KiB region alone is not more than that). */
    CHECK(!h.heap.take_empty_region(start, size, 40 * 1024));
    CHECK_EQ(h.heap.stats().region_bytes, size_t(48 * 1024));
    void* b = h.heap.allocate(20000);
    CHECK(b);
    CHECK(h.heap.free(b) == HeapArena::FreeError::none);
    CHECK(h.heap.take_empty_region(start, size, 8 * 1024)); /* 16 KiB stay free */
    CHECK(start == arena_memory + 64 * 1024);
    CHECK(h.heap.is_consistent());
}

UNIT_TEST(heap_gives_back_a_region_larger_than_what_it_keeps_free)
{
    Heap h(16 * 1024);
    h.heap.add_region(arena_memory + 64 * 1024, 64 * 1024);
    void* a = h.heap.allocate(60000);
    CHECK(a);
    CHECK(h.heap.free(a) == HeapArena::FreeError::none);
    void* start = nullptr;
    size_t size = 0;
    /* Too little would stay free without it, but it alone is more than 32 KiB. */
    CHECK(h.heap.take_empty_region(start, size, 32 * 1024));
    CHECK_EQ(size, size_t(64 * 1024));
    CHECK(h.heap.is_consistent());
}
