/* The kernel heap and the global operator new/delete; see kernel_heap.h. */
#include "mm/kernel_heap.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "debug/panic.h"
#include "mm/direct_map.h"
#include "mm/fault_injection.h"
#include "mm/page_manager.h"

#include <new>

namespace {

/* The heap grows by at least this much at a time, so small allocations do not
 * each cost a trip to the PageManager. */
constexpr size_t MIN_GROWTH = 64 * 1024;
/* An empty region goes back to the PageManager only when this much stays free
 * in the heap without it. */
constexpr size_t KEEP_FREE = 1024 * 1024;

HeapArena arena;
bool initialised = false;

/* `claim`: PageClaim::ordinary for kmalloc and new (std::nothrow), which a user
 * program or a guest can reach and which must leave the reserve to the kernel;
 * PageClaim::kernel for the panicking operator new, the kernel's own data. */
bool grow(size_t size, size_t alignment, PageClaim claim)
{
    size_t bytes = HeapArena::region_size_for(size, alignment);
    bytes = bytes < MIN_GROWTH ? MIN_GROWTH : (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    MemoryResult<uint64_t> pages = PageManager::instance().allocate_pages(bytes / PAGE_SIZE, PAGE_SIZE, claim);
    if (!pages.ok())
        return false;
    arena.add_region(phys_to_virt(pages.value()), bytes);
    return true;
}

/* A region that is all free again goes back to the PageManager (all but the
 * heap's first one: heap_arena.h). What the heap keeps is its live blocks and
 * what fragmentation pins; leak checks therefore count free pages plus the
 * heap's pages (the heap_pages system call). */
void give_back_empty_regions()
{
    void* start;
    size_t bytes;
    while (arena.take_empty_region(start, bytes, KEEP_FREE))
        PageManager::instance().free_pages(virt_to_phys(start), bytes / PAGE_SIZE);
}

void* allocate(size_t size, size_t alignment, PageClaim claim)
{
    KERNEL_ASSERT(initialised);
    /* One CPU: keeping interrupts off makes the arena's bookkeeping atomic against
     * preemption and interrupt handlers. */
    InterruptGuard guard;
    void* pointer = arena.allocate(size, alignment);
    if (!pointer && grow(size, alignment, claim))
        pointer = arena.allocate(size, alignment);
    return pointer;
}

} // namespace

void* kmalloc_aligned(size_t size, size_t alignment)
{
    if (fault_injection::should_fail(FaultInjector::Site::heap))
        return nullptr;
    return allocate(size, alignment, PageClaim::ordinary);
}

void* kmalloc(size_t size) { return kmalloc_aligned(size, HeapArena::ALIGNMENT); }

void kfree(void* pointer)
{
    if (!pointer)
        return;
    InterruptGuard guard;
    switch (arena.free(pointer)) {
    case HeapArena::FreeError::none: give_back_empty_regions(); return;
    case HeapArena::FreeError::double_free: panic("heap: double free of %p", pointer);
    case HeapArena::FreeError::overrun:
        panic("heap: overrun past %p (size %zu)", pointer, arena.allocated_size(pointer));
    case HeapArena::FreeError::not_a_block: panic("heap: free of %p, which is no heap block (wild pointer or underrun)", pointer);
    }
}

namespace kernel_heap {

void init()
{
    KERNEL_ASSERT(!initialised);
    initialised = true;
    if (!grow(0, HeapArena::ALIGNMENT, PageClaim::kernel))
        panic("heap: no pages for the kernel heap");
    log(LogCategory::memory, "heap: %zu KiB to start with", arena.stats().region_bytes / 1024);
}

HeapArena::Stats stats() { return arena.stats(); }
bool is_consistent() { return arena.is_consistent(); }

} // namespace kernel_heap

/* ---- The global operators. A new-expression must not yield nullptr (there are no
 * exceptions to throw), so running out of memory there is a panic; only the
 * nothrow forms return nullptr. */

namespace {

/* May take the kernel's reserve (PageClaim::kernel) and is never failed on
 * purpose: a panicking new is for the kernel's own data, not for anything a user
 * program or a guest can make it allocate. */
void* allocate_or_panic(size_t size, size_t alignment)
{
    void* pointer = allocate(size, alignment, PageClaim::kernel);
    if (!pointer)
        panic("heap: out of memory allocating %zu bytes (alignment %zu) with new", size, alignment);
    return pointer;
}

} // namespace

void* operator new(size_t size) { return allocate_or_panic(size, HeapArena::ALIGNMENT); }
void* operator new[](size_t size) { return allocate_or_panic(size, HeapArena::ALIGNMENT); }
void* operator new(size_t size, std::align_val_t alignment) { return allocate_or_panic(size, size_t(alignment)); }
void* operator new[](size_t size, std::align_val_t alignment) { return allocate_or_panic(size, size_t(alignment)); }
/* The tag object of `new (std::nothrow) T`; the freestanding kernel has no
 * library to define it. */
const std::nothrow_t std::nothrow{};

void* operator new(size_t size, const std::nothrow_t&) noexcept { return kmalloc(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return kmalloc(size); }

void operator delete(void* pointer) noexcept { kfree(pointer); }
void operator delete[](void* pointer) noexcept { kfree(pointer); }
void operator delete(void* pointer, size_t) noexcept { kfree(pointer); }
void operator delete[](void* pointer, size_t) noexcept { kfree(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { kfree(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { kfree(pointer); }
void operator delete(void* pointer, size_t, std::align_val_t) noexcept { kfree(pointer); }
void operator delete[](void* pointer, size_t, std::align_val_t) noexcept { kfree(pointer); }
