/* The build machine's side of fs/file_pages.h: pages from the host's heap, with a
 * settable limit so the tests can make file data run out at any page. */
#include "file_pages_fake.h"

#include <cstdlib>
#include <cstring>

namespace {
size_t live_pages = 0;
size_t page_limit = SIZE_MAX;
} // namespace

uint8_t* file_pages::allocate()
{
    if (live_pages >= page_limit)
        return nullptr;
    auto* page = static_cast<uint8_t*>(std::aligned_alloc(PAGE_BYTES, PAGE_BYTES));
    if (!page)
        return nullptr;
    std::memset(page, 0, PAGE_BYTES);
    ++live_pages;
    return page;
}

void file_pages::free(uint8_t* page)
{
    --live_pages;
    std::free(page);
}

size_t file_pages_fake::live() { return live_pages; }
void file_pages_fake::set_limit(size_t pages) { page_limit = pages; }
