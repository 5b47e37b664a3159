/* ArchMemory: one x86_64 address space under 4-level paging (Intel SDM revision
 * 084, Vol. 3A, "4-Level Paging and 5-Level Paging"): its page tables, and mapping,
 * unmapping and translating 4 KiB pages in it. The kernel half (PML4 entries
 * 256-511: the direct map and the kernel image) is the same in every address
 * space; the user half (0-255) belongs to one. */
#pragma once
#include "arch/x86_64/page_table_entry.h"
#include "mm/memory_result.h"

#include <stdint.h>

enum class MapFlags : uint32_t {
    none = 0,
    writable = 1 << 0,
    user = 1 << 1,       /* reachable from ring 3; only in the user half */
    executable = 1 << 2, /* without it the page is no-execute (when the CPU has NX) */
};
constexpr MapFlags operator|(MapFlags a, MapFlags b) { return MapFlags(uint32_t(a) | uint32_t(b)); }
constexpr bool has_flag(MapFlags flags, MapFlags flag) { return (uint32_t(flags) & uint32_t(flag)) != 0; }

class ArchMemory {
public:
    /* Builds the kernel's page tables (image at KERNEL_VMA, the direct map with
     * 2 MiB pages, no identity map), turns on no-execute when the CPU has it and
     * switches to them. Needs the PageManager. */
    static void init();
    /* The kernel's own address space (no user half in use). */
    static ArchMemory& kernel();
    /* A fresh address space: an empty user half and the shared kernel half. */
    static MemoryResult<ArchMemory> create_user_space();

    /* An empty object without page tables; only create_user_space() fills one. */
    ArchMemory() = default;
    ArchMemory(ArchMemory&& other);
    ArchMemory& operator=(ArchMemory&& other);
    ArchMemory(const ArchMemory&) = delete;
    ArchMemory& operator=(const ArchMemory&) = delete;
    ~ArchMemory() { destroy(); }

    /* Returns the user half's page tables and every frame mapped there to the
     * PageManager. Destroying the active address space panics. */
    void destroy();

    /* Maps the 4 KiB page at `virtual_address` to the frame at `physical`.
     * Ownership: a frame mapped into the user half belongs to the address space
     * from then on, and unmap_page() or destroy() frees it; a kernel-half mapping
     * never owns its frame. already_mapped when the page is mapped; bad_address
     * when an address is not page aligned or not canonical, or `user` is asked in
     * the kernel half. */
    MemoryError map_page(uint64_t virtual_address, uint64_t physical, MapFlags flags);
    /* Removes the mapping (freeing a user-half frame, see map_page) and flushes
     * it from the TLB. */
    MemoryError unmap_page(uint64_t virtual_address);
    /* The physical address `virtual_address` translates to (any byte, 4 KiB or
     * 2 MiB page). */
    MemoryResult<uint64_t> translate(uint64_t virtual_address) const;

    /* Loads CR3 with this address space. */
    void activate() const;
    bool is_active() const;
    /* The value for CR3: the PML4's physical address (the hypervisor's host CR3). */
    uint64_t cr3() const { return pml4_; }

    /* Whether IA32_EFER.NXE is on, i.e. pages without `executable` are no-execute. */
    static bool no_execute_enabled();

private:
    /* The PTE that maps `virtual_address`, creating missing tables when `create`;
     * nullptr with `error` set when a table is missing, a large page is in the way
     * or no frame is left for a table. */
    paging::PageTableEntry* find_pte(uint64_t virtual_address, bool create, MemoryError& error);
    void flush(uint64_t virtual_address) const;
    void free_user_tables(uint64_t table, paging::Level level);
    void map_direct_map();
    void map_kernel_image();

    uint64_t pml4_ = 0; /* physical; 0 while empty */
    bool is_kernel_ = false;
};
