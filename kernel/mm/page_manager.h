/* PageManager: hands out physical page frames (4 KiB) from the memory the loader
 * reported as available (Multiboot memory map), one at a time or as aligned
 * contiguous runs. Frames are reached through the direct map (mm/direct_map.h). */
#pragma once
#include "boot/boot.h"
#include "mm/frame_bitmap.h"
#include "mm/memory_map.h"
#include "mm/memory_result.h"

#include <stddef.h>
#include <stdint.h>

/* Who a page is for decides whether it may take the kernel's reserve. */
enum class PageClaim : uint8_t {
    /* The kernel's own needs (its heap through operator new, page tables of kernel
     * threads, boot): may take the last free frames. */
    kernel,
    /* Anything a user program or a guest causes (file data, user memory, guest RAM,
     * fallible heap growth): fails with out_of_memory rather than leave fewer than
     * KERNEL_RESERVE_PAGES free. Fault injection (mm/fault_injection.h) can fail
     * them on purpose; kernel claims never fail on purpose. */
    ordinary,
};

class PageManager {
public:
    /* Frames only PageClaim::kernel allocations may take: 4 MiB, enough for the
     * kernel to finish what it started (threads' stacks, page tables, the heap's
     * own growth) and to report the error, once users and guests have taken the
     * rest. docs/hostile-guests.md, "Memory". */
    static constexpr size_t KERNEL_RESERVE_PAGES = 1024;

    /* Takes the frames of `info`'s available memory below 4 GiB (the direct map's
     * reach), minus the first 1 MiB, the kernel image and the modules. */
    static void init(const BootInfo& info);
    static PageManager& instance();

    /* One frame's physical address. Its contents are NOT zeroed: whatever the last
     * owner left there. */
    MemoryResult<uint64_t> allocate_page(PageClaim claim = PageClaim::kernel);
    /* One frame, filled with zeros. */
    MemoryResult<uint64_t> allocate_zeroed_page(PageClaim claim = PageClaim::kernel);
    /* `count` physically contiguous frames starting at a multiple of `alignment`
     * (PAGE_SIZE, LARGE_PAGE_SIZE or another power of two), not zeroed. */
    MemoryResult<uint64_t> allocate_pages(size_t count, uint64_t alignment = PAGE_SIZE,
                                          PageClaim claim = PageClaim::kernel);

    /* Give frames back. Freeing a free frame, or one that was never allocatable,
     * panics with its address. */
    void free_page(uint64_t physical) { free_pages(physical, 1); }
    void free_pages(uint64_t physical, size_t count);

    /* Makes the whole frames of a boot module that is no longer needed (the
     * initrd after unpacking) allocatable and free; init() kept them out. Frames
     * the module shares at its edges, and frames init() never took because the
     * memory map does not list them as available, stay out. Returns how many
     * frames were added. */
    size_t give_back_module(const BootInfo& info, size_t module_index);

    size_t free_page_count() const { return frames_.free_count(); }
    /* What PageClaim::ordinary allocations can still get. */
    size_t ordinary_page_count() const
    {
        size_t free = frames_.free_count();
        return free > KERNEL_RESERVE_PAGES ? free - KERNEL_RESERVE_PAGES : 0;
    }
    size_t total_page_count() const { return frames_.usable_count(); }

private:
    FrameBitmap frames_;
};
