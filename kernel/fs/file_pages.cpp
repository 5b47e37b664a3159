/* The kernel side of fs/file_pages.h: file data lives in whole PageManager frames
 * claimed as ordinary, not in the heap, so a file system filled by a user program
 * or a guest stops with ENOSPC while KERNEL_RESERVE_PAGES frames are still free. */
#include "fs/file_pages.h"

#include "mm/direct_map.h"
#include "mm/page_manager.h"

static_assert(file_pages::PAGE_BYTES == PAGE_SIZE, "a file page is one frame");

uint8_t* file_pages::allocate()
{
    MemoryResult<uint64_t> frame = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
    if (!frame.ok())
        return nullptr;
    return phys_to_virt<uint8_t>(frame.value());
}

void file_pages::free(uint8_t* page) { PageManager::instance().free_page(virt_to_phys(page)); }
