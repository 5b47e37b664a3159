/* Control of the unit tests' fs/file_pages.h (file_pages_fake.cpp): how many pages
 * are out, and how many may be (the rest fail as the PageManager's reserve would). */
#pragma once
#include "fs/file_pages.h"

#include <cstdint>

namespace file_pages_fake {

size_t live();
/* At most `pages` pages out at once; SIZE_MAX for no limit. */
void set_limit(size_t pages);

/* Sets a limit for one scope and lifts it again. */
struct Limit {
    explicit Limit(size_t pages) { set_limit(pages); }
    ~Limit() { set_limit(SIZE_MAX); }
};

} // namespace file_pages_fake
