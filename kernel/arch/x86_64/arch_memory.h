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

/* What one mapped 4 KiB page of a user half allows, as the walk found it: the
 * rights are those every level of the walk grants ("Access Rights" in the SDM). */
struct PageMapping {
    uint64_t physical; /* the frame (page aligned) */
    bool writable;
    bool user;
    bool executable;
};

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
    /* The 4 KiB page at `virtual_address` (page aligned, user half) with its
     * rights; not_mapped when absent, bad_address outside the user half. */
    MemoryResult<PageMapping> lookup(uint64_t virtual_address) const;
    /* Calls visit(virtual_address, mapping) for every page mapped in the user
     * half, in ascending order. */
    template <typename Visit> void for_each_user_page(Visit visit) const;
    /* How many pages the user half maps. */
    uint64_t user_page_count() const;

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
    static const paging::PageTableEntry* table_entries(uint64_t table_physical);
    void map_direct_map();
    void map_kernel_image();

    uint64_t pml4_ = 0; /* physical; 0 while empty */
    bool is_kernel_ = false;
};

template <typename Visit> void ArchMemory::for_each_user_page(Visit visit) const
{
    using paging::ENTRIES_PER_TABLE;
    const paging::PageTableEntry* pml4 = table_entries(pml4_);
    for (uint64_t i4 = 0; i4 < paging::FIRST_KERNEL_PML4_INDEX; ++i4) {
        if (!pml4[i4].present())
            continue;
        const paging::PageTableEntry* pdpt = table_entries(pml4[i4].address());
        for (uint64_t i3 = 0; i3 < ENTRIES_PER_TABLE; ++i3) {
            if (!pdpt[i3].present() || pdpt[i3].large())
                continue;
            const paging::PageTableEntry* pd = table_entries(pdpt[i3].address());
            for (uint64_t i2 = 0; i2 < ENTRIES_PER_TABLE; ++i2) {
                if (!pd[i2].present() || pd[i2].large())
                    continue;
                const paging::PageTableEntry* pt = table_entries(pd[i2].address());
                for (uint64_t i1 = 0; i1 < ENTRIES_PER_TABLE; ++i1) {
                    if (!pt[i1].present())
                        continue;
                    uint64_t address = i4 << 39 | i3 << 30 | i2 << 21 | i1 << 12;
                    visit(address, PageMapping{pt[i1].address(), pt[i1].writable(), pt[i1].user(), !pt[i1].no_execute()});
                }
            }
        }
    }
}
