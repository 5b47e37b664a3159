/* Which page frames the PageManager may hand out, read from the Multiboot memory
 * map (Multiboot Specification 0.6.96, 3.3 "Boot information format", mmap_*).
 * Pure logic: the build machine's unit tests feed it hand-made BootInfo. */
#pragma once
#include "boot/boot.h"
#include "mm/frame_bitmap.h"

#include <stdint.h>

constexpr uint64_t PAGE_SIZE = 0x1000;
constexpr uint64_t LARGE_PAGE_SIZE = 0x200000; /* a 2 MiB page */
constexpr uint64_t LOW_MEMORY_END = 0x100000;  /* BIOS data, real-mode IVT, VGA: never handed out */

/* One past the highest byte of available memory below `limit`. */
uint64_t available_memory_end(const BootInfo& info, uint64_t limit);

/* Makes allocatable in `frames` (frame n = physical n * PAGE_SIZE) every whole page
 * of available memory below frames.frame_count() pages, except pages that touch a
 * region of another type (memory maps may overlap), the first 1 MiB, the Multiboot
 * modules and `image`. Returns the bytes of available memory above the limit,
 * which stay unused. */
uint64_t add_available_memory(FrameBitmap& frames, const BootInfo& info, PhysicalRange image);
