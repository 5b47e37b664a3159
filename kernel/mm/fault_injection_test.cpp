/* In-kernel tests of the kernel's reserve and of fault injection (set `memory`):
 * kmalloc and new (std::nothrow) leave the reserve alone while the panicking new
 * may take it, and the injector fails exactly the fallible allocations it is
 * armed for. docs/hostile-guests.md, "Memory". */
#include "mm/direct_map.h"
#include "mm/fault_injection.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "test/kernel_test.h"

#include <new>

namespace {

PageManager& pages() { return PageManager::instance(); }

/* Takes every page ordinary claims can get, chained through their first words;
 * returns the chain. */
uint64_t take_all_ordinary_pages()
{
    uint64_t chain = 0;
    for (MemoryResult<uint64_t> page = pages().allocate_page(PageClaim::ordinary); page.ok();
         page = pages().allocate_page(PageClaim::ordinary)) {
        *phys_to_virt<uint64_t>(page.value()) = chain;
        chain = page.value();
    }
    return chain;
}

void free_chain(uint64_t chain)
{
    while (chain) {
        uint64_t next = *phys_to_virt<uint64_t>(chain);
        pages().free_page(chain);
        chain = next;
    }
}

/* The heap's smallest growth (kernel_heap.cpp, MIN_GROWTH): a block this big
 * never fits into what is left between smaller ones. */
constexpr size_t HEAP_BLOCK = 64 * 1024;

} // namespace

KERNEL_TEST(memory, ordinary_claims_leave_the_reserve_to_the_kernel)
{
    size_t free_before = pages().free_page_count();
    uint64_t chain = take_all_ordinary_pages();
    EXPECT_EQ(pages().free_page_count(), PageManager::KERNEL_RESERVE_PAGES);
    EXPECT_EQ(pages().ordinary_page_count(), size_t(0));
    MemoryResult<uint64_t> kernel_page = pages().allocate_page(PageClaim::kernel);
    EXPECT(kernel_page.ok());
    if (kernel_page.ok())
        pages().free_page(kernel_page.value());
    free_chain(chain);
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, kmalloc_and_nothrow_new_fail_in_the_reserve_but_new_takes_it)
{
    size_t free_before = pages().free_page_count();
    uint64_t chain = take_all_ordinary_pages();
    /* Fill what the heap holds already, block by block, chained: then only
     * growth could satisfy a kmalloc, and ordinary claims get no page. */
    void* blocks = nullptr;
    while (void* block = kmalloc(HEAP_BLOCK)) {
        *static_cast<void**>(block) = blocks;
        blocks = block;
    }
    char* refused = new (std::nothrow) char[HEAP_BLOCK];
    asm volatile("" ::"r"(refused) : "memory");
    EXPECT(refused == nullptr);
    delete[] refused;
    EXPECT_EQ(pages().free_page_count(), PageManager::KERNEL_RESERVE_PAGES);
    char* kernel_data = new char[HEAP_BLOCK]; /* the kernel's own need: from the reserve */
    kernel_data[HEAP_BLOCK - 1] = 1;
    /* Escapes, so the compiler cannot elide the new-delete pair. */
    asm volatile("" ::"r"(kernel_data) : "memory");
    EXPECT(pages().free_page_count() < PageManager::KERNEL_RESERVE_PAGES);
    delete[] kernel_data;
    while (blocks) {
        void* next = *static_cast<void**>(blocks);
        kfree(blocks);
        blocks = next;
    }
    free_chain(chain);
    /* The heap may keep a region it grew: count it with the free pages. */
    EXPECT(pages().free_page_count() + HEAP_BLOCK / PAGE_SIZE + 1 >= free_before);
}

KERNEL_TEST(memory, fault_injection_fails_the_nth_heap_allocation_once)
{
    fault_injection::arm(FaultInjector::Mode::nth, 2, FaultInjector::SITE_HEAP);
    void* first = kmalloc(32);
    void* second = kmalloc(32);
    void* third = new (std::nothrow) char[32];
    char* panicking_new = new char[32]; /* never failed on purpose, never counted */
    MemoryResult<uint64_t> page = pages().allocate_page(PageClaim::ordinary); /* not a heap site */
    uint64_t counted = fault_injection::disarm();
    EXPECT(first != nullptr);
    EXPECT(second == nullptr);
    EXPECT(third != nullptr);
    EXPECT(page.ok());
    EXPECT_EQ(counted, uint64_t(3));
    kfree(first);
    delete[] static_cast<char*>(third);
    delete[] panicking_new;
    if (page.ok())
        pages().free_page(page.value());
}

KERNEL_TEST(memory, fault_injection_fails_every_nth_ordinary_page_but_no_kernel_page)
{
    fault_injection::arm(FaultInjector::Mode::every, 2, FaultInjector::SITE_PAGE);
    MemoryResult<uint64_t> got[4] = {pages().allocate_page(PageClaim::ordinary), pages().allocate_page(PageClaim::ordinary),
                                     pages().allocate_page(PageClaim::ordinary), pages().allocate_page(PageClaim::ordinary)};
    MemoryResult<uint64_t> kernel_page = pages().allocate_page(PageClaim::kernel);
    void* heap = kmalloc(32); /* not a page site (the heap has room: no growth) */
    uint64_t counted = fault_injection::disarm();
    EXPECT(got[0].ok() && !got[1].ok() && got[2].ok() && !got[3].ok());
    EXPECT(got[1].error() == MemoryError::out_of_memory);
    EXPECT(kernel_page.ok());
    EXPECT(heap != nullptr);
    EXPECT_EQ(counted, uint64_t(4));
    for (MemoryResult<uint64_t>& page : got) {
        if (page.ok())
            pages().free_page(page.value());
    }
    if (kernel_page.ok())
        pages().free_page(kernel_page.value());
    kfree(heap);
}
