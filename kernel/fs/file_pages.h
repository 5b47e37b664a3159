/* Where ramfs gets the pages that hold file data: a seam with two sides. In the
 * kernel (file_pages.cpp) they are PageManager frames taken as PageClaim::ordinary,
 * reached through the direct map, so file data can never take the kernel's
 * reserve (mm/page_manager.h); on the build machine the unit tests give a fake
 * with a settable limit (tests/unit/file_pages_fake.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace file_pages {

constexpr size_t PAGE_BYTES = 4096;

/* One page of PAGE_BYTES zeros, or nullptr when no ordinary page is left. */
uint8_t* allocate();
/* Gives back a page allocate() returned. */
void free(uint8_t* page);

} // namespace file_pages
