/* x86_64 4-level paging: the entries of the PML4, page-directory-pointer table,
 * page directory and page table, and how a virtual address indexes them. Follows
 * the Intel SDM (revision 084), Vol. 3A, "4-Level Paging and 5-Level Paging"
 * (tables "Format of a PML4 Entry (PML4E) that References a Page-Directory-Pointer
 * Table" through "Format of a Page-Table Entry that Maps a 4-KByte Page").
 * Pure logic: unit-tested on the build machine. */
#pragma once
#include <stdint.h>

namespace paging {

constexpr unsigned ENTRIES_PER_TABLE = 512;
constexpr uint64_t PAGE_SIZE = 0x1000;
constexpr uint64_t LARGE_PAGE_SIZE = 0x200000; /* mapped by a PDE with PS set */

/* Entry bits. The same bit positions mean the same at every level, except LARGE
 * (PS), which only a PDPTE or PDE has, and whose entry then maps a page. */
namespace bit {
constexpr uint64_t PRESENT = uint64_t(1) << 0;
constexpr uint64_t WRITABLE = uint64_t(1) << 1;
constexpr uint64_t USER = uint64_t(1) << 2;
constexpr uint64_t WRITE_THROUGH = uint64_t(1) << 3;
constexpr uint64_t CACHE_DISABLE = uint64_t(1) << 4;
constexpr uint64_t ACCESSED = uint64_t(1) << 5;
constexpr uint64_t DIRTY = uint64_t(1) << 6;
constexpr uint64_t LARGE = uint64_t(1) << 7;
constexpr uint64_t GLOBAL = uint64_t(1) << 8;
constexpr uint64_t NO_EXECUTE = uint64_t(1) << 63; /* reserved unless IA32_EFER.NXE = 1 */
} // namespace bit

/* Bits 51:12 hold the physical address of the next table or of a 4 KiB page;
 * a 2 MiB page's address starts at bit 21 (bit 12 is then its PAT bit). */
constexpr uint64_t ADDRESS_MASK = 0x000FFFFFFFFFF000;
constexpr uint64_t LARGE_ADDRESS_MASK = 0x000FFFFFFFE00000;

class PageTableEntry {
public:
    constexpr PageTableEntry() = default;
    constexpr explicit PageTableEntry(uint64_t raw) : raw_(raw) {}

    /* An entry that references the next-level table. Access rights are decided
     * at the leaf, so a table entry allows everything the half it lies in may:
     * writes always, user access only below the kernel half. */
    static constexpr PageTableEntry table(uint64_t table_physical, bool user)
    {
        return PageTableEntry((table_physical & ADDRESS_MASK) | bit::PRESENT | bit::WRITABLE | (user ? bit::USER : 0));
    }
    /* A PTE that maps a 4 KiB page with `flags` (WRITABLE, USER, NO_EXECUTE, ...). */
    static constexpr PageTableEntry page(uint64_t frame_physical, uint64_t flags)
    {
        return PageTableEntry((frame_physical & ADDRESS_MASK) | (flags & ~ADDRESS_MASK) | bit::PRESENT);
    }
    /* A PDE that maps a 2 MiB page. */
    static constexpr PageTableEntry large_page(uint64_t frame_physical, uint64_t flags)
    {
        return PageTableEntry((frame_physical & LARGE_ADDRESS_MASK) | (flags & ~ADDRESS_MASK) | bit::PRESENT | bit::LARGE);
    }

    constexpr uint64_t raw() const { return raw_; }
    constexpr bool present() const { return raw_ & bit::PRESENT; }
    constexpr bool large() const { return raw_ & bit::LARGE; }
    constexpr bool writable() const { return raw_ & bit::WRITABLE; }
    constexpr bool user() const { return raw_ & bit::USER; }
    constexpr bool no_execute() const { return raw_ & bit::NO_EXECUTE; }
    /* The table or page frame this entry points to (for a PDE: `large()` decides). */
    constexpr uint64_t address() const { return raw_ & (large() ? LARGE_ADDRESS_MASK : ADDRESS_MASK); }
    constexpr uint64_t flags() const { return raw_ & ~ADDRESS_MASK; }

private:
    uint64_t raw_ = 0;
};
static_assert(sizeof(PageTableEntry) == 8);

/* The levels of the walk, named after their tables; the value is the level's
 * number in the SDM's sense (a PML4 is level 4). */
enum class Level { pt = 1, pd = 2, pdpt = 3, pml4 = 4 };

/* Which of a table's 512 entries translates `virtual_address` at `level`:
 * bits 47:39 for the PML4, 38:30, 29:21, 20:12 below it. */
constexpr unsigned table_index(uint64_t virtual_address, Level level)
{
    return unsigned(virtual_address >> (12 + 9 * (unsigned(level) - 1))) & (ENTRIES_PER_TABLE - 1);
}

/* With 48-bit linear addresses, bits 63:47 must all be equal ("Canonical
 * Addressing" in the SDM's Vol. 1). */
constexpr bool is_canonical(uint64_t virtual_address)
{
    uint64_t top = virtual_address >> 47;
    return top == 0 || top == 0x1FFFF;
}

/* The lower half (PML4 entries 0-255) belongs to user space, the upper half
 * (256-511) to the kernel and is shared by every address space. */
constexpr uint64_t USER_END = 0x0000800000000000;
constexpr unsigned FIRST_KERNEL_PML4_INDEX = ENTRIES_PER_TABLE / 2;

} // namespace paging
