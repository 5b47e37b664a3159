/* Deliberate memory corruption for the guard tests; see memory_crash.h. */
#include "mm/memory_crash.h"

#include "console/log.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"

namespace {

void overrun_heap_block()
{
    constexpr size_t SIZE = 24;
    auto* block = static_cast<char*>(kmalloc(SIZE));
    KERNEL_ASSERT(block);
    log(LogCategory::memory, "deliberate overrun of heap block %p (size %zu) requested on the command line", block, SIZE);
    memset(block, 'x', SIZE + 1);
    kfree(block);
}

void free_heap_block_twice()
{
    void* block = kmalloc(100);
    KERNEL_ASSERT(block);
    log(LogCategory::memory, "deliberate double free of heap block %p requested on the command line", block);
    kfree(block);
    kfree(block);
}

void free_page_twice()
{
    MemoryResult<uint64_t> page = PageManager::instance().allocate_page();
    KERNEL_ASSERT(page.ok());
    log(LogCategory::memory, "deliberate double free of page 0x%lx requested on the command line", page.value());
    PageManager::instance().free_page(page.value());
    PageManager::instance().free_page(page.value());
}

void free_unallocatable_page()
{
    constexpr uint64_t BIOS_AREA = 0xF0000; /* below 1 MiB: never handed out */
    log(LogCategory::memory, "deliberate free of page 0x%lx, never allocatable, requested on the command line", BIOS_AREA);
    PageManager::instance().free_page(BIOS_AREA);
}

} // namespace

void crash_memory_on_request(const char* what)
{
    if (strcmp(what, "heap_overrun") == 0)
        overrun_heap_block();
    else if (strcmp(what, "double_free") == 0)
        free_heap_block_twice();
    else if (strcmp(what, "page_double_free") == 0)
        free_page_twice();
    else if (strcmp(what, "page_free_unallocatable") == 0)
        free_unallocatable_page();
    else
        return;
    panic("crash=%s: the memory guard did not trip", what);
}
