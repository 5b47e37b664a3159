/* The guest page-table walk (see guest_page_walk.h). Follows the Intel SDM
 * (revision 084), Vol. 3A, chapter "Paging"; the section each part follows is
 * named above it. */
#include "hypervisor/memory/guest_page_walk.h"

#include "arch/x86_64/control_registers.h"

namespace guest_paging {
namespace {

constexpr uint64_t bit(unsigned n) { return uint64_t(1) << n; }
/* Bits high..low inclusive; empty when high < low. */
constexpr uint64_t bit_range(unsigned high, unsigned low)
{
    return high < low ? 0 : ((high >= 63 ? ~uint64_t(0) : bit(high + 1) - 1) & ~(bit(low) - 1));
}

/* Entry bits shared by every paging mode's entries. */
constexpr uint64_t PRESENT = bit(0);
constexpr uint64_t WRITABLE = bit(1);
constexpr uint64_t USER = bit(2);
constexpr uint64_t PAGE_SIZE_BIT = bit(7); /* PS: this entry maps a page */
constexpr uint64_t EXECUTE_DISABLE = bit(63);

constexpr uint64_t PAGE_4K = 0x1000;
constexpr uint64_t LOW_32_BITS = 0xFFFFFFFF;

/* What the entries on the way allow; section "Access Rights": a right holds only
 * when every paging-structure entry used grants it. */
struct Rights {
    bool writable = true;
    bool user = true;
    bool executable = true;

    void restrict_by(uint64_t entry)
    {
        writable = writable && (entry & WRITABLE);
        user = user && (entry & USER);
        executable = executable && !(entry & EXECUTE_DISABLE);
    }
};

/* Section "Access Rights": supervisor-mode writes ignore R/W unless CR0.WP = 1;
 * user-mode accesses need U/S = 1 everywhere; XD forbids fetches (its bit is
 * reserved without IA32_EFER.NXE, so it only gets here with NXE = 1). */
PageWalkFault check_rights(const GuestPagingState& state, GuestAccess access, const Rights& rights)
{
    if (access.user && !rights.user)
        return PageWalkFault::user_to_supervisor;
    if (access.kind == AccessKind::write && !rights.writable && (access.user || (state.cr0 & CR0_WP)))
        return PageWalkFault::write_to_read_only;
    if (access.kind == AccessKind::execute) {
        if (!rights.executable)
            return PageWalkFault::execute_disabled;
        if (!access.user && rights.user && (state.cr4 & CR4_SMEP))
            return PageWalkFault::supervisor_executes_user;
    }
    return PageWalkFault::none;
}

Translation fault_at(PageWalkFault fault, unsigned level)
{
    Translation result;
    result.fault = fault;
    result.level = uint8_t(level);
    return result;
}

/* The leaf decided: rights, then whether the page lies in guest RAM. */
Translation finish_walk(const GuestPagingState& state, GuestPhysicalReader& memory, GuestAccess access,
                        const Rights& rights, unsigned level, uint64_t guest_physical, uint64_t page_size)
{
    if (PageWalkFault fault = check_rights(state, access, rights); fault != PageWalkFault::none)
        return fault_at(fault, level);
    bool ram = access.kind == AccessKind::write ? memory.is_writable_ram(guest_physical, 1) : memory.is_ram(guest_physical, 1);
    if (!ram)
        return fault_at(PageWalkFault::page_outside_ram, level);
    Translation result;
    result.level = uint8_t(level);
    result.guest_physical = guest_physical;
    result.page_size = page_size;
    return result;
}

uint64_t physical_address_mask(const GuestPagingState& state)
{
    return bit_range(unsigned(state.physical_address_bits) - 1, 0);
}

/* ---- 32-bit paging: section "32-Bit Paging". Two levels of 1024 four-byte
 * entries; a PDE with PS = 1 maps a 4 MiB page when CR4.PSE = 1. */

/* A 4 MiB page's PDE holds physical address bits 39:32 in its bits 20:13 (PSE-36)
 * as far as MAXPHYADDR reaches; its bits 21 and above that are reserved (table
 * "Format of a 32-Bit Page-Directory Entry that Maps a 4-MByte Page"). */
Translation map_4m_page(const GuestPagingState& state, GuestPhysicalReader& memory, GuestAccess access,
                        uint32_t pde, uint32_t guest_virtual)
{
    unsigned max_bits = state.physical_address_bits > 40 ? 40 : state.physical_address_bits;
    unsigned high_bits = max_bits > 32 ? max_bits - 32 : 0;
    if (pde & bit_range(21, 13 + high_bits))
        return fault_at(PageWalkFault::reserved_bit, 2);
    uint64_t high = (uint64_t(pde) >> 13) & (bit(high_bits) - 1);
    uint64_t guest_physical = (high << 32) | (pde & 0xFFC00000u) | (guest_virtual & 0x3FFFFFu);
    Rights rights;
    rights.restrict_by(pde);
    return finish_walk(state, memory, access, rights, 2, guest_physical, 0x400000);
}

Translation walk_32bit(const GuestPagingState& state, GuestPhysicalReader& memory, uint32_t guest_virtual,
                       GuestAccess access)
{
    uint32_t pde = 0;
    uint64_t pde_address = (state.cr3 & 0xFFFFF000u) + ((guest_virtual >> 22) & 0x3FF) * 4;
    if (!memory.read(pde_address, &pde, sizeof(pde)))
        return fault_at(PageWalkFault::table_outside_ram, 2);
    if (!(pde & PRESENT))
        return fault_at(PageWalkFault::not_present, 2);
    /* Without CR4.PSE the PS bit is ignored and the PDE references a page table. */
    if ((state.cr4 & CR4_PSE) && (pde & PAGE_SIZE_BIT))
        return map_4m_page(state, memory, access, pde, guest_virtual);

    uint32_t pte = 0;
    uint64_t pte_address = (pde & 0xFFFFF000u) + ((guest_virtual >> 12) & 0x3FF) * 4;
    if (!memory.read(pte_address, &pte, sizeof(pte)))
        return fault_at(PageWalkFault::table_outside_ram, 1);
    if (!(pte & PRESENT))
        return fault_at(PageWalkFault::not_present, 1);
    Rights rights;
    rights.restrict_by(pde);
    rights.restrict_by(pte);
    uint64_t guest_physical = (pte & 0xFFFFF000u) | (guest_virtual & 0xFFFu);
    return finish_walk(state, memory, access, rights, 1, guest_physical, PAGE_4K);
}

/* ---- PAE and 4-level paging: sections "PAE Paging" and "4-Level Paging and
 * 5-Level Paging". Tables of 512 eight-byte entries, 9 address bits per level. */

unsigned page_shift(unsigned level) { return 12 + 9 * (level - 1); }

/* The reserved bits of an eight-byte entry at `level` (tables "Format of a PML4
 * Entry" to "Format of a Page-Table Entry", and their PAE counterparts): the
 * address bits from MAXPHYADDR up (to 62 in PAE paging, to 51 in 4-level paging,
 * whose bits 62:52 are ignored or protection keys), XD without IA32_EFER.NXE, PS
 * in a PML4E, and the bits between a large page's PAT bit and its address. */
uint64_t reserved_bits(const GuestPagingState& state, unsigned level, bool maps_page)
{
    unsigned top = paging_mode(state) == PagingMode::pae ? 62 : 51;
    uint64_t reserved = bit_range(top, state.physical_address_bits);
    if (!(state.efer & EFER_NXE))
        reserved |= EXECUTE_DISABLE;
    if (level == 4)
        reserved |= PAGE_SIZE_BIT;
    if (maps_page && level > 1)
        reserved |= bit_range(page_shift(level) - 1, 13); /* bit 12 is the large page's PAT bit */
    return reserved;
}

/* The page table a 4 KiB page was found through, kept by a buffer walk so that
 * the next page in the same 2 MiB costs one PTE read: `rights` are what the
 * entries above the PTE allow. Valid for one walk only, during which the guest
 * is stopped, so no entry it caches can change meanwhile. */
struct LeafTable {
    bool valid = false;
    uint64_t table = 0;  /* guest-physical address of the page table */
    uint64_t region = 0; /* linear address >> 21 of the 2 MiB the table maps */
    Rights rights;
};

/* Walks from the table at `table` for `level` down to the page; a level-1 table
 * on the way is remembered in `leaf` when one is given. */
Translation walk_tables(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t table, unsigned level,
                        uint64_t guest_virtual, GuestAccess access, Rights rights, LeafTable* leaf = nullptr)
{
    for (;; --level) {
        uint64_t entry = 0;
        uint64_t index = (guest_virtual >> page_shift(level)) & 0x1FF;
        if (level == 1 && leaf)
            *leaf = LeafTable{true, table, guest_virtual >> page_shift(2), rights};
        if (!memory.read(table + index * 8, &entry, sizeof(entry)))
            return fault_at(PageWalkFault::table_outside_ram, level);
        if (!(entry & PRESENT))
            return fault_at(PageWalkFault::not_present, level);
        bool maps_page = level == 1 || ((level == 2 || level == 3) && (entry & PAGE_SIZE_BIT));
        if (entry & reserved_bits(state, level, maps_page))
            return fault_at(PageWalkFault::reserved_bit, level);
        rights.restrict_by(entry);
        uint64_t address = entry & physical_address_mask(state);
        if (maps_page) {
            uint64_t page_size = bit(page_shift(level));
            uint64_t offset = guest_virtual & (page_size - 1);
            return finish_walk(state, memory, access, rights, level, (address & ~(page_size - 1)) | offset,
                               page_size);
        }
        table = address & ~(PAGE_4K - 1);
    }
}

/* A PAE PDPTE has no access-right bits; bits 2:1, 8:5 and 63 are reserved (table
 * "Format of a PAE Page-Directory-Pointer-Table Entry (PDPTE)"). */
Translation walk_pae(const GuestPagingState& state, GuestPhysicalReader& memory, uint32_t guest_virtual,
                     GuestAccess access, LeafTable* leaf = nullptr)
{
    unsigned index = (guest_virtual >> 30) & 3;
    uint64_t pdpte = 0;
    if (state.pae_pdptes != nullptr)
        pdpte = state.pae_pdptes[index];
    else if (!memory.read((state.cr3 & 0xFFFFFFE0u) + index * 8, &pdpte, sizeof(pdpte)))
        return fault_at(PageWalkFault::table_outside_ram, 3);
    if (!(pdpte & PRESENT))
        return fault_at(PageWalkFault::not_present, 3);
    uint64_t reserved = bit_range(63, state.physical_address_bits) | bit_range(2, 1) | bit_range(8, 5);
    if (pdpte & reserved)
        return fault_at(PageWalkFault::reserved_bit, 3);
    return walk_tables(state, memory, pdpte & physical_address_mask(state) & ~(PAGE_4K - 1), 2, guest_virtual,
                       access, Rights{}, leaf);
}

/* Section "Canonical Addressing" (4-level paging): bits 63:47 all equal bit 47. */
bool canonical_48(uint64_t address)
{
    uint64_t upper = address >> 47;
    return upper == 0 || upper == 0x1FFFF;
}

Translation walk_4level(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                        GuestAccess access, LeafTable* leaf = nullptr)
{
    if (!canonical_48(guest_virtual))
        return fault_at(PageWalkFault::non_canonical, 4);
    uint64_t pml4 = state.cr3 & physical_address_mask(state) & ~(PAGE_4K - 1);
    return walk_tables(state, memory, pml4, 4, guest_virtual, access, Rights{}, leaf);
}

/* Outside IA-32e mode linear addresses are 32 bits wide; a 32-bit guest cannot
 * set the upper half of the register that carries one, so it is ignored. */
uint64_t linear_address(PagingMode mode, uint64_t guest_virtual)
{
    return mode == PagingMode::four_level || mode == PagingMode::five_level ? guest_virtual
                                                                            : guest_virtual & LOW_32_BITS;
}

} // namespace

PagingMode paging_mode(const GuestPagingState& state)
{
    if (!(state.cr0 & CR0_PG))
        return PagingMode::none;
    if (!(state.cr4 & CR4_PAE))
        return PagingMode::bits32;
    if (!(state.efer & EFER_LMA))
        return PagingMode::pae;
    return (state.cr4 & CR4_LA57) ? PagingMode::five_level : PagingMode::four_level;
}

namespace {

Translation translate_linear(const GuestPagingState& state, PagingMode mode, GuestPhysicalReader& memory,
                             uint64_t linear, GuestAccess access, LeafTable* leaf)
{
    switch (mode) {
    case PagingMode::none:
        return finish_walk(state, memory, access, Rights{}, 0, linear, PAGE_4K);
    case PagingMode::bits32:
        return walk_32bit(state, memory, uint32_t(linear), access);
    case PagingMode::pae:
        return walk_pae(state, memory, uint32_t(linear), access, leaf);
    case PagingMode::four_level:
        return walk_4level(state, memory, linear, access, leaf);
    case PagingMode::five_level:
        break;
    }
    return fault_at(PageWalkFault::unsupported_mode, 0);
}

/* The page at `linear`, through the page table of the previous page when it lies
 * in the same 2 MiB: then only its PTE is read (with the same checks the full
 * walk makes at level 1). */
Translation translate_next(const GuestPagingState& state, PagingMode mode, GuestPhysicalReader& memory,
                           uint64_t linear, GuestAccess access, LeafTable& leaf)
{
    if (!leaf.valid || linear >> page_shift(2) != leaf.region)
        return translate_linear(state, mode, memory, linear, access, &leaf);
    uint64_t entry = 0;
    if (!memory.read(leaf.table + ((linear >> 12) & 0x1FF) * 8, &entry, sizeof(entry)))
        return fault_at(PageWalkFault::table_outside_ram, 1);
    if (!(entry & PRESENT))
        return fault_at(PageWalkFault::not_present, 1);
    if (entry & reserved_bits(state, 1, true))
        return fault_at(PageWalkFault::reserved_bit, 1);
    Rights rights = leaf.rights;
    rights.restrict_by(entry);
    uint64_t page = entry & physical_address_mask(state) & ~(PAGE_4K - 1);
    return finish_walk(state, memory, access, rights, 1, page | (linear & (PAGE_4K - 1)), PAGE_4K);
}

} // namespace

Translation translate(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                      GuestAccess access)
{
    PagingMode mode = paging_mode(state);
    return translate_linear(state, mode, memory, linear_address(mode, guest_virtual), access, nullptr);
}

namespace {

BufferSplit split_fault(PageWalkFault fault, unsigned level, uint64_t guest_virtual)
{
    BufferSplit result;
    result.fault = fault;
    result.level = uint8_t(level);
    result.fault_virtual = guest_virtual;
    return result;
}

/* The chunks of split_guest_buffer(): an array, pieces merged when physically
 * contiguous. */
class ChunkArray final : public GuestChunkSink {
public:
    ChunkArray(GuestPhysicalChunk* chunks, size_t capacity) : chunks_(chunks), capacity_(capacity) {}

    bool add(uint64_t guest_physical, uint64_t length) override
    {
        if (count_ > 0 && chunks_[count_ - 1].guest_physical + chunks_[count_ - 1].length == guest_physical) {
            chunks_[count_ - 1].length += length;
            return true;
        }
        if (count_ == capacity_)
            return false;
        chunks_[count_++] = {guest_physical, length};
        return true;
    }
    size_t count() const { return count_; }

private:
    GuestPhysicalChunk* chunks_;
    size_t capacity_;
    size_t count_ = 0;
};

} // namespace

BufferSplit walk_guest_buffer(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                              uint64_t length, GuestAccess access, GuestChunkSink& sink)
{
    PagingMode mode = paging_mode(state);
    uint64_t position = linear_address(mode, guest_virtual);
    uint64_t top = mode == PagingMode::four_level || mode == PagingMode::five_level ? ~uint64_t(0) : LOW_32_BITS;
    if (length == 0)
        return BufferSplit{};
    if (length - 1 > top - position)
        return split_fault(PageWalkFault::buffer_wraps, 0, position);

    LeafTable leaf;
    for (uint64_t remaining = length; remaining > 0;) {
        Translation page = translate_next(state, mode, memory, position, access, leaf);
        if (!page.ok())
            return split_fault(page.fault, page.level, position);
        uint64_t left_in_page = page.page_size - (position & (page.page_size - 1));
        uint64_t piece = left_in_page < remaining ? left_in_page : remaining;
        bool ram = access.kind == AccessKind::write ? memory.is_writable_ram(page.guest_physical, piece)
                                                    : memory.is_ram(page.guest_physical, piece);
        if (!ram)
            return split_fault(PageWalkFault::page_outside_ram, page.level, position);
        if (!sink.add(page.guest_physical, piece))
            return split_fault(PageWalkFault::too_many_chunks, 0, position);
        position += piece;
        remaining -= piece;
    }
    return BufferSplit{};
}

BufferSplit split_guest_buffer(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                               uint64_t length, GuestAccess access, GuestPhysicalChunk* chunks, size_t capacity)
{
    ChunkArray array(chunks, capacity);
    BufferSplit result = walk_guest_buffer(state, memory, guest_virtual, length, access, array);
    result.chunk_count = array.count();
    return result;
}

const char* page_walk_fault_text(PageWalkFault fault)
{
    switch (fault) {
    case PageWalkFault::none: return "no fault";
    case PageWalkFault::unsupported_mode: return "paging mode not supported (5-level paging)";
    case PageWalkFault::non_canonical: return "non-canonical address";
    case PageWalkFault::not_present: return "entry not present";
    case PageWalkFault::reserved_bit: return "reserved bit set in entry";
    case PageWalkFault::write_to_read_only: return "write to a read-only page";
    case PageWalkFault::user_to_supervisor: return "user-mode access to a supervisor page";
    case PageWalkFault::execute_disabled: return "instruction fetch from an execute-disabled page";
    case PageWalkFault::supervisor_executes_user: return "supervisor fetch from a user page (SMEP)";
    case PageWalkFault::table_outside_ram: return "paging structure outside guest RAM";
    case PageWalkFault::page_outside_ram: return "page outside guest RAM";
    case PageWalkFault::buffer_wraps: return "buffer wraps around the address space";
    case PageWalkFault::too_many_chunks: return "buffer spans more pieces than there is room for";
    }
    return "unknown page-walk fault";
}

} // namespace guest_paging
