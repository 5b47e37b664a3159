/* PageManager: the kernel's physical frame allocator; see page_manager.h. */
#include "mm/page_manager.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/fault_injection.h"

namespace {

constexpr size_t MAX_FRAMES = DIRECT_MAP_SIZE / PAGE_SIZE;

/* Sized for the largest memory the direct map covers (2 x 128 KiB in .bss), so the
 * PageManager needs no memory before it has memory to give. */
uint64_t frame_bitmap_storage[FrameBitmap::words_needed(MAX_FRAMES)];

PageManager the_page_manager;
bool initialised = false;

constexpr uint64_t MIB = 1024 * 1024;

bool overlaps(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end)
{
    return a_start < b_end && b_start < a_end;
}

/* A page of module `module_index` that init() would have taken but for the
 * module: inside an available region, touching no reserved region, above low
 * memory, apart from the kernel image and from every other module. */
bool returnable_module_page(const BootInfo& info, size_t module_index, uint64_t page, PhysicalRange image)
{
    uint64_t end = page + PAGE_SIZE;
    if (page < LOW_MEMORY_END || overlaps(page, end, image.start, image.end))
        return false;
    bool inside_available = false;
    for (size_t i = 0; i < info.region_count; ++i) {
        const BootInfo::Region& region = info.regions[i];
        uint64_t region_end = region.base + region.length;
        if (region.type == multiboot::MEMORY_AVAILABLE)
            inside_available = inside_available || (page >= region.base && end <= region_end);
        else if (overlaps(page, end, region.base, region_end))
            return false;
    }
    for (size_t i = 0; i < info.module_count; ++i) {
        if (i != module_index && overlaps(page, end, info.modules[i].start, info.modules[i].end))
            return false;
    }
    return inside_available;
}

} // namespace

void PageManager::init(const BootInfo& info)
{
    KERNEL_ASSERT(!initialised);
    uint64_t end = available_memory_end(info, DIRECT_MAP_SIZE);
    FrameBitmap& frames = the_page_manager.frames_;
    frames.init(frame_bitmap_storage, (end + PAGE_SIZE - 1) / PAGE_SIZE);
    uint64_t ignored = add_available_memory(frames, info, kernel_image_range());
    if (ignored)
        log(LogCategory::memory, "PageManager: ignoring %lu MiB of available memory above 4 GiB (beyond the direct map)", ignored / MIB);
    log(LogCategory::memory, "PageManager: %zu frames (%lu MiB) allocatable below %lx", frames.usable_count(),
        frames.usable_count() * PAGE_SIZE / MIB, end);
    initialised = true;
}

PageManager& PageManager::instance()
{
    KERNEL_ASSERT(initialised);
    return the_page_manager;
}

size_t PageManager::give_back_module(const BootInfo& info, size_t module_index)
{
    KERNEL_ASSERT(module_index < info.module_count);
    const BootInfo::Module& module = info.modules[module_index];
    uint64_t start = (module.start + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1), end = module.end & ~(PAGE_SIZE - 1);
    PhysicalRange image = kernel_image_range();
    size_t added = 0;
    InterruptGuard guard;
    for (uint64_t page = start; page < end; page += PAGE_SIZE) {
        size_t frame = page / PAGE_SIZE;
        if (frame >= frames_.frame_count() || frames_.is_usable(frame) || !returnable_module_page(info, module_index, page, image))
            continue;
        frames_.add_usable(frame, 1);
        ++added;
    }
    return added;
}

MemoryResult<uint64_t> PageManager::allocate_page(PageClaim claim) { return allocate_pages(1, PAGE_SIZE, claim); }

MemoryResult<uint64_t> PageManager::allocate_zeroed_page(PageClaim claim)
{
    MemoryResult<uint64_t> page = allocate_page(claim);
    if (page.ok())
        memset(phys_to_virt(page.value()), 0, PAGE_SIZE);
    return page;
}

MemoryResult<uint64_t> PageManager::allocate_pages(size_t count, uint64_t alignment, PageClaim claim)
{
    if (alignment < PAGE_SIZE || (alignment & (alignment - 1)) != 0)
        panic("PageManager: alignment 0x%lx is not a power-of-two multiple of the page size", alignment);
    if (claim == PageClaim::ordinary && fault_injection::should_fail(FaultInjector::Site::page))
        return MemoryError::out_of_memory;
    InterruptGuard guard; /* the bitmap is shared by every thread (one CPU) */
    if (claim == PageClaim::ordinary && count > ordinary_page_count())
        return MemoryError::out_of_memory;
    size_t frame = frames_.allocate(count, alignment / PAGE_SIZE);
    if (frame == FrameBitmap::NOT_FOUND)
        return MemoryError::out_of_memory;
    return uint64_t(frame) * PAGE_SIZE;
}

void PageManager::free_pages(uint64_t physical, size_t count)
{
    if (physical % PAGE_SIZE != 0)
        panic("PageManager: free of 0x%lx, which is not page aligned", physical);
    FrameBitmap::FreeResult result;
    {
        InterruptGuard guard;
        result = frames_.free(physical / PAGE_SIZE, count);
    }
    uint64_t culprit = uint64_t(result.frame) * PAGE_SIZE;
    switch (result.error) {
    case FrameBitmap::FreeError::none: return;
    case FrameBitmap::FreeError::double_free: panic("PageManager: double free of page 0x%lx", culprit);
    case FrameBitmap::FreeError::never_allocatable: panic("PageManager: free of page 0x%lx, which was never allocatable", culprit);
    }
}
