/* From the Multiboot memory map to allocatable frames; see memory_map.h. */
#include "mm/memory_map.h"

namespace {

uint64_t page_down(uint64_t address) { return address & ~(PAGE_SIZE - 1); }
uint64_t page_up(uint64_t address) { return page_down(address + PAGE_SIZE - 1); }

uint64_t region_end(const BootInfo::Region& region)
{
    uint64_t end = region.base + region.length;
    return end < region.base ? UINT64_MAX : end; /* a corrupt length wraps: clamp */
}

/* Every page that overlaps [start, end), rounded outwards. */
void exclude(FrameBitmap& frames, uint64_t start, uint64_t end)
{
    uint64_t limit = uint64_t(frames.frame_count()) * PAGE_SIZE;
    end = end < limit ? end : limit; /* also keeps page_up() from wrapping */
    if (end <= start)
        return;
    uint64_t first = page_down(start) / PAGE_SIZE;
    frames.remove_usable(first, page_up(end) / PAGE_SIZE - first);
}

} // namespace

uint64_t available_memory_end(const BootInfo& info, uint64_t limit)
{
    uint64_t highest = 0;
    for (size_t i = 0; i < info.region_count; ++i) {
        const BootInfo::Region& region = info.regions[i];
        if (region.type != multiboot::MEMORY_AVAILABLE || region.base >= limit)
            continue;
        uint64_t end = region_end(region) < limit ? region_end(region) : limit;
        highest = end > highest ? end : highest;
    }
    return highest;
}

uint64_t add_available_memory(FrameBitmap& frames, const BootInfo& info, PhysicalRange image)
{
    uint64_t limit = uint64_t(frames.frame_count()) * PAGE_SIZE;
    uint64_t above_limit = 0;
    for (size_t i = 0; i < info.region_count; ++i) {
        const BootInfo::Region& region = info.regions[i];
        if (region.type != multiboot::MEMORY_AVAILABLE)
            continue;
        uint64_t start = page_up(region.base), end = page_down(region_end(region));
        if (region_end(region) > limit)
            above_limit += region_end(region) - (region.base > limit ? region.base : limit);
        if (end > limit)
            end = limit;
        if (start < end)
            frames.add_usable(start / PAGE_SIZE, (end - start) / PAGE_SIZE);
    }
    /* Only now take the rest out, so that an available region listed after an
     * overlapping reserved one cannot bring reserved pages back. */
    for (size_t i = 0; i < info.region_count; ++i) {
        if (info.regions[i].type != multiboot::MEMORY_AVAILABLE)
            exclude(frames, info.regions[i].base, region_end(info.regions[i]));
    }
    exclude(frames, 0, LOW_MEMORY_END);
    exclude(frames, image.start, image.end);
    for (size_t i = 0; i < info.module_count; ++i)
        exclude(frames, info.modules[i].start, info.modules[i].end);
    return above_limit;
}
