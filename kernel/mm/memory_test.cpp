/* In-kernel tests of the PageManager and the kernel heap (set `memory`): what they
 * hand out is usable and distinct, and everything comes back. */
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "test/kernel_test.h"

namespace {

PageManager& pages() { return PageManager::instance(); }

/* A small deterministic random sequence (xorshift64) for the stress tests. */
struct Random {
    uint64_t state = 0x5EB5EB5EB;
    uint64_t next()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

} // namespace

KERNEL_TEST(memory, page_manager_counts_are_plausible)
{
    EXPECT(pages().total_page_count() >= 16 * 1024 * 1024 / PAGE_SIZE);
    EXPECT(pages().free_page_count() <= pages().total_page_count());
    EXPECT(pages().free_page_count() > 0);
}

KERNEL_TEST(memory, pages_are_distinct_aligned_and_all_come_back)
{
    constexpr size_t COUNT = 64;
    size_t free_before = pages().free_page_count();
    uint64_t got[COUNT];
    for (size_t i = 0; i < COUNT; ++i) {
        MemoryResult<uint64_t> page = pages().allocate_page();
        EXPECT(page.ok());
        got[i] = page.ok() ? page.value() : 0;
        EXPECT_EQ(got[i] % PAGE_SIZE, uint64_t(0));
        EXPECT(got[i] >= LOW_MEMORY_END);
        *phys_to_virt<uint64_t>(got[i]) = i; /* usable through the direct map */
    }
    EXPECT_EQ(pages().free_page_count(), free_before - COUNT);
    for (size_t i = 0; i < COUNT; ++i) {
        EXPECT_EQ(*phys_to_virt<uint64_t>(got[i]), i); /* so no two are the same frame */
        pages().free_page(got[i]);
    }
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, pages_never_overlap_the_kernel_image)
{
    PhysicalRange image = kernel_image_range();
    for (int i = 0; i < 32; ++i) {
        MemoryResult<uint64_t> page = pages().allocate_page();
        EXPECT(page.ok());
        if (!page.ok())
            return;
        EXPECT(page.value() + PAGE_SIZE <= image.start || page.value() >= image.end);
        pages().free_page(page.value());
    }
}

KERNEL_TEST(memory, zeroed_page_is_zero_even_after_garbage)
{
    MemoryResult<uint64_t> dirty = pages().allocate_page();
    EXPECT(dirty.ok());
    if (!dirty.ok())
        return;
    memset(phys_to_virt(dirty.value()), 0xAB, PAGE_SIZE);
    pages().free_page(dirty.value());
    MemoryResult<uint64_t> page = pages().allocate_zeroed_page();
    EXPECT(page.ok());
    if (!page.ok())
        return;
    EXPECT_EQ(page.value(), dirty.value()); /* the lowest free frame comes back first */
    const uint64_t* words = phys_to_virt<uint64_t>(page.value());
    bool zero = true;
    for (size_t i = 0; i < PAGE_SIZE / 8; ++i)
        zero &= words[i] == 0;
    EXPECT(zero);
    pages().free_page(page.value());
}

KERNEL_TEST(memory, large_page_runs_are_2mib_aligned_and_distinct)
{
    constexpr size_t RUNS = 3, FRAMES = LARGE_PAGE_SIZE / PAGE_SIZE;
    size_t free_before = pages().free_page_count();
    uint64_t runs[RUNS];
    for (size_t i = 0; i < RUNS; ++i) {
        MemoryResult<uint64_t> run = pages().allocate_pages(FRAMES, LARGE_PAGE_SIZE);
        EXPECT(run.ok());
        if (!run.ok())
            return;
        runs[i] = run.value();
        EXPECT_EQ(runs[i] % LARGE_PAGE_SIZE, uint64_t(0));
        for (size_t j = 0; j < i; ++j)
            EXPECT(runs[i] + LARGE_PAGE_SIZE <= runs[j] || runs[j] + LARGE_PAGE_SIZE <= runs[i]);
    }
    EXPECT_EQ(pages().free_page_count(), free_before - RUNS * FRAMES);
    for (uint64_t run : runs)
        pages().free_pages(run, FRAMES);
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, odd_sized_run_is_contiguous)
{
    size_t free_before = pages().free_page_count();
    MemoryResult<uint64_t> run = pages().allocate_pages(7);
    EXPECT(run.ok());
    if (!run.ok())
        return;
    /* A single page allocated now must lie outside the run. */
    MemoryResult<uint64_t> page = pages().allocate_page();
    EXPECT(page.ok() && (page.value() < run.value() || page.value() >= run.value() + 7 * PAGE_SIZE));
    if (page.ok())
        pages().free_page(page.value());
    pages().free_pages(run.value(), 7);
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, exhaustion_reports_out_of_memory_and_everything_comes_back)
{
    /* Every free frame is taken, chained through its own first word, until the
     * PageManager says out_of_memory; then all go back. */
    size_t free_before = pages().free_page_count();
    uint64_t chain = 0;
    size_t taken = 0;
    MemoryResult<uint64_t> page = pages().allocate_page();
    for (; page.ok(); page = pages().allocate_page(), ++taken) {
        *phys_to_virt<uint64_t>(page.value()) = chain;
        chain = page.value();
    }
    EXPECT(page.error() == MemoryError::out_of_memory);
    EXPECT_EQ(taken, free_before);
    EXPECT_EQ(pages().free_page_count(), size_t(0));
    EXPECT(pages().allocate_pages(1, LARGE_PAGE_SIZE).error() == MemoryError::out_of_memory);
    while (chain) {
        uint64_t next = *phys_to_virt<uint64_t>(chain);
        pages().free_page(chain);
        chain = next;
    }
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, run_larger_than_memory_is_out_of_memory)
{
    size_t free_before = pages().free_page_count();
    EXPECT(pages().allocate_pages(pages().total_page_count() + 1).error() == MemoryError::out_of_memory);
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, heap_stress_keeps_contents_and_returns_to_start)
{
    constexpr size_t SLOTS = 128;
    HeapArena::Stats start = kernel_heap::stats();
    unsigned char* blocks[SLOTS] = {};
    size_t sizes[SLOTS] = {};
    Random random;
    for (int round = 0; round < 3000; ++round) {
        size_t slot = random.next() % SLOTS;
        if (blocks[slot]) {
            for (size_t i = 0; i < sizes[slot]; ++i) {
                if (blocks[slot][i] != uint8_t(slot + i)) {
                    t.fail("block %p (slot %zu) changed at byte %zu", blocks[slot], slot, i);
                    break;
                }
            }
            kfree(blocks[slot]);
            blocks[slot] = nullptr;
            continue;
        }
        /* Mostly small, sometimes several pages. */
        sizes[slot] = random.next() % 8 == 0 ? random.next() % 20000 : random.next() % 300;
        blocks[slot] = static_cast<unsigned char*>(kmalloc(sizes[slot]));
        EXPECT(blocks[slot] != nullptr);
        if (!blocks[slot])
            return;
        EXPECT_EQ(reinterpret_cast<uint64_t>(blocks[slot]) % 16, uint64_t(0));
        for (size_t i = 0; i < sizes[slot]; ++i)
            blocks[slot][i] = uint8_t(slot + i);
    }
    EXPECT(kernel_heap::is_consistent());
    for (unsigned char* block : blocks)
        kfree(block);
    HeapArena::Stats end = kernel_heap::stats();
    EXPECT_EQ(end.used_blocks, start.used_blocks);
    EXPECT_EQ(end.used_bytes, start.used_bytes);
    /* The heap holds exactly what it held before, but for the headers of regions
     * it added or gave back meanwhile. */
    auto held = [](const HeapArena::Stats& s) { return s.region_bytes - s.free_bytes - s.regions * HeapArena::REGION_HEADER; };
    EXPECT_EQ(held(end), held(start));
    EXPECT(kernel_heap::is_consistent());
}

KERNEL_TEST(memory, heap_grows_from_the_page_manager_for_a_big_block)
{
    size_t free_pages_before = pages().free_page_count();
    size_t region_before = kernel_heap::stats().region_bytes;
    void* big = kmalloc(1024 * 1024);
    EXPECT(big != nullptr);
    EXPECT(kernel_heap::stats().region_bytes > region_before);
    EXPECT(pages().free_page_count() < free_pages_before);
    memset(big, 0x5A, 1024 * 1024);
    kfree(big);
}

KERNEL_TEST(memory, kmalloc_of_more_than_memory_returns_null)
{
    HeapArena::Stats before = kernel_heap::stats();
    EXPECT(kmalloc(pages().total_page_count() * PAGE_SIZE + 1) == nullptr);
    EXPECT_EQ(kernel_heap::stats().used_blocks, before.used_blocks);
}

namespace {
struct alignas(64) CacheLine {
    uint64_t words[8];
};
} // namespace

KERNEL_TEST(memory, new_and_delete_use_the_heap_with_alignment)
{
    HeapArena::Stats before = kernel_heap::stats();
    int* numbers = new int[100];
    EXPECT_EQ(kernel_heap::stats().used_blocks, before.used_blocks + 1);
    for (int i = 0; i < 100; ++i)
        numbers[i] = i * i;
    EXPECT_EQ(numbers[99], 9801);
    delete[] numbers;
    CacheLine* line = new CacheLine{};
    EXPECT_EQ(reinterpret_cast<uint64_t>(line) % 64, uint64_t(0));
    EXPECT_EQ(line->words[7], uint64_t(0));
    delete line;
    CacheLine* lines = new CacheLine[5];
    EXPECT_EQ(reinterpret_cast<uint64_t>(lines) % 64, uint64_t(0));
    delete[] lines;
    EXPECT_EQ(kernel_heap::stats().used_blocks, before.used_blocks);
}
