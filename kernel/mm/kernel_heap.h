/* The kernel heap: kmalloc/kfree and the global operator new/delete, on a
 * HeapArena (mm/heap_arena.h) that grows by whole pages from the PageManager,
 * reached through the direct map. Every block is guarded: kfree panics on a double
 * free, an overrun past the block's end or a pointer that is no block. */
#pragma once
#include "mm/heap_arena.h"

#include <stddef.h>

/* `size` bytes aligned to 16, not zeroed; nullptr when memory is exhausted.
 * operator new, in contrast, panics then (no exceptions in the kernel).
 * kmalloc and new (std::nothrow) are the forms for every path a user program or
 * a guest reaches: the heap grows for them only with PageClaim::ordinary pages,
 * so they fail while only the kernel's reserve (PageManager::KERNEL_RESERVE_PAGES)
 * is free, and fault injection (mm/fault_injection.h) can fail them on purpose.
 * The panicking new may take the reserve: it is for the kernel's own data. */
void* kmalloc(size_t size);
/* The same with `alignment` (a power of two). */
void* kmalloc_aligned(size_t size, size_t alignment);
/* Frees a block from kmalloc; nullptr is ignored. */
void kfree(void* pointer);

namespace kernel_heap {

/* Gives the heap its first pages; call after PageManager::init(). */
void init();
HeapArena::Stats stats();
/* Walks every block (slow): for tests. */
bool is_consistent();

} // namespace kernel_heap
