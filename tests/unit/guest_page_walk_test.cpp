/* hypervisor/memory/guest_page_walk: page tables built in a fake guest RAM for
 * each paging mode (none, 32-bit, PAE, 4-level), translated with large pages,
 * access rights, reserved bits and faults; and guest buffers split at page
 * boundaries. */
#include "arch/x86_64/control_registers.h"
#include "hypervisor/memory/guest_page_walk.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using namespace guest_paging;

namespace {

constexpr uint64_t RAM_SIZE = 64ull << 20;
constexpr uint64_t P = 1ull << 0, RW = 1ull << 1, US = 1ull << 2, PS = 1ull << 7, XD = 1ull << 63;
constexpr uint64_t KIB = 1024, MIB = 1024 * KIB, GIB = 1024 * MIB;

constexpr GuestAccess READ{AccessKind::read, false};
constexpr GuestAccess WRITE{AccessKind::write, false};
constexpr GuestAccess FETCH{AccessKind::execute, false};
constexpr GuestAccess USER_READ{AccessKind::read, true};
constexpr GuestAccess USER_WRITE{AccessKind::write, true};

/* Guest RAM [0, RAM_SIZE); paging structures are taken from 1 MiB up. */
class FakeGuestRam : public GuestPhysicalReader {
public:
    FakeGuestRam() : bytes_(RAM_SIZE, 0) {}

    bool read(uint64_t guest_physical, void* out, size_t length) override
    {
        if (!is_ram(guest_physical, length))
            return false;
        std::memcpy(out, bytes_.data() + guest_physical, length);
        ++reads;
        return true;
    }
    bool is_ram(uint64_t guest_physical, uint64_t length) const override
    {
        return guest_physical < RAM_SIZE && length <= RAM_SIZE - guest_physical;
    }

    uint64_t new_table()
    {
        uint64_t table = next_table_;
        next_table_ += 0x1000;
        return table;
    }
    void put64(uint64_t guest_physical, uint64_t value) { std::memcpy(&bytes_[guest_physical], &value, 8); }
    void put32(uint64_t guest_physical, uint32_t value) { std::memcpy(&bytes_[guest_physical], &value, 4); }
    uint64_t get64(uint64_t guest_physical) const
    {
        uint64_t value;
        std::memcpy(&value, &bytes_[guest_physical], 8);
        return value;
    }
    uint32_t get32(uint64_t guest_physical) const
    {
        uint32_t value;
        std::memcpy(&value, &bytes_[guest_physical], 4);
        return value;
    }

    int reads = 0;

private:
    std::vector<uint8_t> bytes_;
    uint64_t next_table_ = 1 * MIB;
};

unsigned index_at(uint64_t guest_virtual, unsigned level) { return (guest_virtual >> (12 + 9 * (level - 1))) & 0x1FF; }

/* 4-level tables: intermediate entries grant everything (P, R/W, U/S), the leaf
 * carries the flags under test. */
struct FourLevelTables {
    FakeGuestRam& ram;
    uint64_t pml4 = ram.new_table();

    GuestPagingState state(uint64_t extra_cr4 = 0, uint64_t extra_efer = 0) const
    {
        GuestPagingState s;
        s.cr0 = CR0_PE | CR0_PG | CR0_WP;
        s.cr3 = pml4;
        s.cr4 = CR4_PAE | extra_cr4;
        s.efer = EFER_LME | EFER_LMA | extra_efer;
        return s;
    }
    /* The address of the entry for `guest_virtual` at `level`, making the tables above it. */
    uint64_t entry_address(uint64_t guest_virtual, unsigned level)
    {
        uint64_t table = pml4;
        for (unsigned l = 4; l > level; --l) {
            uint64_t address = table + index_at(guest_virtual, l) * 8;
            if (!(ram.get64(address) & P))
                ram.put64(address, ram.new_table() | P | RW | US);
            table = ram.get64(address) & 0x000FFFFFFFFFF000ull;
        }
        return table + index_at(guest_virtual, level) * 8;
    }
    void map(uint64_t guest_virtual, uint64_t guest_physical, unsigned level, uint64_t flags)
    {
        ram.put64(entry_address(guest_virtual, level), guest_physical | flags | P | (level > 1 ? PS : 0));
    }
};

/* PAE tables: a PDPT of four entries (P only: their other low bits are reserved). */
struct PaeTables {
    FakeGuestRam& ram;
    uint64_t pdpt = ram.new_table();

    GuestPagingState state(uint64_t extra_efer = 0) const
    {
        GuestPagingState s;
        s.cr0 = CR0_PE | CR0_PG | CR0_WP;
        s.cr3 = pdpt;
        s.cr4 = CR4_PAE;
        s.efer = extra_efer;
        return s;
    }
    uint64_t entry_address(uint64_t guest_virtual, unsigned level)
    {
        uint64_t pdpte = pdpt + ((guest_virtual >> 30) & 3) * 8;
        if (level == 3)
            return pdpte;
        if (!(ram.get64(pdpte) & P))
            ram.put64(pdpte, ram.new_table() | P);
        uint64_t pd = ram.get64(pdpte) & 0x000FFFFFFFFFF000ull;
        uint64_t pde = pd + index_at(guest_virtual, 2) * 8;
        if (level == 2)
            return pde;
        if (!(ram.get64(pde) & P))
            ram.put64(pde, ram.new_table() | P | RW | US);
        return (ram.get64(pde) & 0x000FFFFFFFFFF000ull) + index_at(guest_virtual, 1) * 8;
    }
    void map(uint64_t guest_virtual, uint64_t guest_physical, unsigned level, uint64_t flags)
    {
        ram.put64(entry_address(guest_virtual, level), guest_physical | flags | P | (level > 1 ? PS : 0));
    }
};

/* 32-bit tables: 1024 four-byte entries per level. */
struct Tables32 {
    FakeGuestRam& ram;
    uint64_t pd = ram.new_table();

    GuestPagingState state(uint64_t extra_cr4 = 0, uint64_t cr0_wp = CR0_WP) const
    {
        GuestPagingState s;
        s.cr0 = CR0_PE | CR0_PG | cr0_wp;
        s.cr3 = pd;
        s.cr4 = extra_cr4;
        return s;
    }
    uint64_t pde_address(uint32_t guest_virtual) const { return pd + (guest_virtual >> 22) * 4; }
    void map_4k(uint32_t guest_virtual, uint32_t guest_physical, uint32_t flags)
    {
        uint64_t pde = pde_address(guest_virtual);
        if (!(ram.get32(pde) & P))
            ram.put32(pde, uint32_t(ram.new_table()) | P | RW | US);
        uint64_t pt = ram.get32(pde) & 0xFFFFF000u;
        ram.put32(pt + ((guest_virtual >> 12) & 0x3FF) * 4, guest_physical | flags | P);
    }
    void map_4m(uint32_t guest_virtual, uint32_t pde_value) { ram.put32(pde_address(guest_virtual), pde_value | P | PS); }
};

GuestPagingState paging_off()
{
    GuestPagingState s;
    s.cr0 = CR0_PE;
    return s;
}

} // namespace

/* ---- modes */

UNIT_TEST(guest_page_walk_selects_mode_from_cr0_cr4_efer)
{
    FakeGuestRam ram;
    CHECK(paging_mode(paging_off()) == PagingMode::none);
    CHECK(paging_mode(Tables32{ram}.state()) == PagingMode::bits32);
    CHECK(paging_mode(PaeTables{ram}.state()) == PagingMode::pae);
    CHECK(paging_mode(FourLevelTables{ram}.state()) == PagingMode::four_level);
    CHECK(paging_mode(FourLevelTables{ram}.state(CR4_LA57)) == PagingMode::five_level);
}

UNIT_TEST(guest_page_walk_paging_off_is_identity_on_32_bits)
{
    FakeGuestRam ram;
    Translation t = translate(paging_off(), ram, 0x123456, WRITE);
    CHECK(t.ok());
    CHECK_EQ(t.guest_physical, 0x123456ull);
    CHECK_EQ(ram.reads, 0);
    /* A 32-bit guest's address has no upper half. */
    Translation high = translate(paging_off(), ram, 0xABCD00000000ull | 0x2000, READ);
    CHECK(high.ok());
    CHECK_EQ(high.guest_physical, 0x2000ull);
}

UNIT_TEST(guest_page_walk_paging_off_outside_ram_faults)
{
    FakeGuestRam ram;
    Translation t = translate(paging_off(), ram, 0xF0000000, READ);
    CHECK(t.fault == PageWalkFault::page_outside_ram);
}

UNIT_TEST(guest_page_walk_five_level_is_unsupported)
{
    FakeGuestRam ram;
    Translation t = translate(FourLevelTables{ram}.state(CR4_LA57), ram, 0x1000, READ);
    CHECK(t.fault == PageWalkFault::unsupported_mode);
}

/* ---- 32-bit paging */

UNIT_TEST(guest_page_walk_32bit_4k_page)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    tables.map_4k(0xC0101000, 0x00345000, RW);
    Translation t = translate(tables.state(), ram, 0xC0101ABC, WRITE);
    CHECK(t.ok());
    CHECK_EQ(t.guest_physical, 0x00345ABCull);
    CHECK_EQ(t.page_size, 4 * KIB);
    CHECK_EQ(unsigned(t.level), 1u);
}

UNIT_TEST(guest_page_walk_32bit_4m_page_with_pse)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    tables.map_4m(0xC0000000, 0x00C00000 | RW);
    Translation t = translate(tables.state(CR4_PSE), ram, 0xC0123456, READ);
    CHECK(t.ok());
    CHECK_EQ(t.guest_physical, 0x00D23456ull);
    CHECK_EQ(t.page_size, 4 * MIB);
    CHECK_EQ(unsigned(t.level), 2u);
}

UNIT_TEST(guest_page_walk_32bit_ps_ignored_without_pse)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    /* Without CR4.PSE this PDE references a page table at 0x400000 (all zero). */
    tables.map_4m(0x00400000, 0x00400000);
    Translation t = translate(tables.state(), ram, 0x00400000, READ);
    CHECK(t.fault == PageWalkFault::not_present);
    CHECK_EQ(unsigned(t.level), 1u);
    ram.put32(0x00400000, 0x00777000 | P);
    Translation mapped = translate(tables.state(), ram, 0x00400010, READ);
    CHECK(mapped.ok());
    CHECK_EQ(mapped.guest_physical, 0x00777010ull);
}

UNIT_TEST(guest_page_walk_32bit_4m_page_uses_pse36_high_bits)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    /* Bits 16:13 hold physical bits 35:32 with MAXPHYADDR 36; 0x4_0000_0000 is not RAM. */
    tables.map_4m(0x00800000, 0x00400000 | (0x4u << 13));
    Translation t = translate(tables.state(CR4_PSE), ram, 0x00800000, READ);
    CHECK(t.fault == PageWalkFault::page_outside_ram);
    /* Bit 21 is reserved in a 4 MiB PDE. */
    tables.map_4m(0x00C00000, 0x00400000 | (1u << 21));
    CHECK(translate(tables.state(CR4_PSE), ram, 0x00C00000, READ).fault == PageWalkFault::reserved_bit);
}

UNIT_TEST(guest_page_walk_32bit_not_present_names_level)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    tables.map_4k(0x00401000, 0x00500000, RW);
    Translation no_pde = translate(tables.state(), ram, 0x80000000, READ);
    CHECK(no_pde.fault == PageWalkFault::not_present);
    CHECK_EQ(unsigned(no_pde.level), 2u);
    Translation no_pte = translate(tables.state(), ram, 0x00402000, READ);
    CHECK(no_pte.fault == PageWalkFault::not_present);
    CHECK_EQ(unsigned(no_pte.level), 1u);
}

UNIT_TEST(guest_page_walk_32bit_write_protect_decides_supervisor_writes)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    tables.map_4k(0x00401000, 0x00500000, US); /* read-only */
    CHECK(translate(tables.state(0, CR0_WP), ram, 0x00401000, WRITE).fault == PageWalkFault::write_to_read_only);
    CHECK(translate(tables.state(0, 0), ram, 0x00401000, WRITE).ok());
    /* A user-mode write to a read-only page faults whatever CR0.WP says. */
    CHECK(translate(tables.state(0, 0), ram, 0x00401000, USER_WRITE).fault == PageWalkFault::write_to_read_only);
    CHECK(translate(tables.state(0, 0), ram, 0x00401000, USER_READ).ok());
}

UNIT_TEST(guest_page_walk_32bit_user_access_to_supervisor_page_faults)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    tables.map_4k(0x00401000, 0x00500000, RW);
    Translation t = translate(tables.state(), ram, 0x00401000, USER_READ);
    CHECK(t.fault == PageWalkFault::user_to_supervisor);
    CHECK(translate(tables.state(), ram, 0x00401000, READ).ok());
}

/* ---- PAE paging */

UNIT_TEST(guest_page_walk_pae_4k_and_2m_pages)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    tables.map(0xC0001000, 0x00ABC000, 1, RW);
    tables.map(0x40200000, 0x00600000, 2, RW);
    Translation small = translate(tables.state(), ram, 0xC0001FFF, READ);
    CHECK(small.ok());
    CHECK_EQ(small.guest_physical, 0x00ABCFFFull);
    CHECK_EQ(small.page_size, 4 * KIB);
    Translation large = translate(tables.state(), ram, 0x40312345, WRITE);
    CHECK(large.ok());
    CHECK_EQ(large.guest_physical, 0x00712345ull);
    CHECK_EQ(large.page_size, 2 * MIB);
}

UNIT_TEST(guest_page_walk_pae_pdpte_not_present_and_reserved)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    Translation absent = translate(tables.state(), ram, 0x80000000, READ);
    CHECK(absent.fault == PageWalkFault::not_present);
    CHECK_EQ(unsigned(absent.level), 3u);
    /* R/W in a PAE PDPTE is reserved. */
    ram.put64(tables.entry_address(0x80000000, 3), ram.new_table() | P | RW);
    Translation reserved = translate(tables.state(), ram, 0x80000000, READ);
    CHECK(reserved.fault == PageWalkFault::reserved_bit);
    CHECK_EQ(unsigned(reserved.level), 3u);
}

UNIT_TEST(guest_page_walk_pae_uses_pdptes_from_the_vmcs_when_given)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    tables.map(0x00001000, 0x00300000, 1, RW);
    uint64_t loaded[4] = {};
    GuestPagingState state = tables.state();
    state.pae_pdptes = loaded;
    /* The PDPTE registers still hold "not present": memory's PDPTE is not used. */
    CHECK(translate(state, ram, 0x00001000, READ).fault == PageWalkFault::not_present);
    loaded[0] = ram.get64(tables.entry_address(0x00001000, 3));
    Translation t = translate(state, ram, 0x00001000, READ);
    CHECK(t.ok());
    CHECK_EQ(t.guest_physical, 0x00300000ull);
}

UNIT_TEST(guest_page_walk_pae_execute_disable_needs_nxe)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    tables.map(0x00001000, 0x00300000, 1, RW | XD);
    CHECK(translate(tables.state(), ram, 0x00001000, READ).fault == PageWalkFault::reserved_bit);
    CHECK(translate(tables.state(EFER_NXE), ram, 0x00001000, READ).ok());
    CHECK(translate(tables.state(EFER_NXE), ram, 0x00001000, FETCH).fault == PageWalkFault::execute_disabled);
}

UNIT_TEST(guest_page_walk_pae_address_above_maxphyaddr_is_reserved)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    tables.map(0x00001000, 1ull << 40, 1, RW);
    Translation t = translate(tables.state(), ram, 0x00001000, READ);
    CHECK(t.fault == PageWalkFault::reserved_bit);
    CHECK_EQ(unsigned(t.level), 1u);
}

/* ---- 4-level paging */

UNIT_TEST(guest_page_walk_4level_4k_2m_1g_pages)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0xFFFF800000001000ull, 0x00234000, 1, RW);
    tables.map(0xFFFF800000400000ull, 0x00800000, 2, RW);
    tables.map(0x0000004000000000ull, 0x00000000, 3, RW);
    Translation small = translate(tables.state(), ram, 0xFFFF800000001234ull, READ);
    CHECK(small.ok());
    CHECK_EQ(small.guest_physical, 0x00234234ull);
    CHECK_EQ(unsigned(small.level), 1u);
    Translation middle = translate(tables.state(), ram, 0xFFFF8000004FFFFFull, READ);
    CHECK(middle.ok());
    CHECK_EQ(middle.guest_physical, 0x008FFFFFull);
    CHECK_EQ(middle.page_size, 2 * MIB);
    Translation huge = translate(tables.state(), ram, 0x0000004001234567ull, READ);
    CHECK(huge.ok());
    CHECK_EQ(huge.guest_physical, 0x01234567ull);
    CHECK_EQ(huge.page_size, 1 * GIB);
    CHECK_EQ(unsigned(huge.level), 3u);
}

UNIT_TEST(guest_page_walk_4level_large_page_pat_bit_is_not_address)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00200000, 0x00400000 | (1ull << 12), 2, RW); /* PAT bit of a 2 MiB page */
    Translation t = translate(tables.state(), ram, 0x00200010, READ);
    CHECK(t.ok());
    CHECK_EQ(t.guest_physical, 0x00400010ull);
}

UNIT_TEST(guest_page_walk_4level_large_page_reserved_bits)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00200000, 0x00400000 | (1ull << 13), 2, RW);
    CHECK(translate(tables.state(), ram, 0x00200000, READ).fault == PageWalkFault::reserved_bit);
    tables.map(0x0000008000000000ull, 1ull << 29, 3, RW);
    Translation t = translate(tables.state(), ram, 0x0000008000000000ull, READ);
    CHECK(t.fault == PageWalkFault::reserved_bit);
    CHECK_EQ(unsigned(t.level), 3u);
}

UNIT_TEST(guest_page_walk_4level_ps_in_pml4e_is_reserved)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    ram.put64(tables.entry_address(0, 4), ram.new_table() | P | RW | PS);
    Translation t = translate(tables.state(), ram, 0x1000, READ);
    CHECK(t.fault == PageWalkFault::reserved_bit);
    CHECK_EQ(unsigned(t.level), 4u);
}

UNIT_TEST(guest_page_walk_4level_non_canonical_faults)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    CHECK(translate(tables.state(), ram, 0x0000800000000000ull, READ).fault == PageWalkFault::non_canonical);
    CHECK(translate(tables.state(), ram, 0xFFFF7FFFFFFFFFFFull, READ).fault == PageWalkFault::non_canonical);
    CHECK_EQ(ram.reads, 0);
}

UNIT_TEST(guest_page_walk_4level_user_bit_needed_at_every_level)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, RW | US);
    CHECK(translate(tables.state(), ram, 0x00401000, USER_WRITE).ok());
    uint64_t pdpte = tables.entry_address(0x00401000, 3);
    ram.put64(pdpte, ram.get64(pdpte) & ~US);
    Translation t = translate(tables.state(), ram, 0x00401000, USER_READ);
    CHECK(t.fault == PageWalkFault::user_to_supervisor);
    CHECK(translate(tables.state(), ram, 0x00401000, READ).ok());
}

UNIT_TEST(guest_page_walk_4level_writable_needed_at_every_level)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, RW);
    uint64_t pml4e = tables.entry_address(0x00401000, 4);
    ram.put64(pml4e, ram.get64(pml4e) & ~RW);
    CHECK(translate(tables.state(), ram, 0x00401000, WRITE).fault == PageWalkFault::write_to_read_only);
    CHECK(translate(tables.state(), ram, 0x00401000, READ).ok());
}

UNIT_TEST(guest_page_walk_4level_smep_forbids_supervisor_fetch_from_user_page)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, US);
    CHECK(translate(tables.state(), ram, 0x00401000, FETCH).ok());
    CHECK(translate(tables.state(CR4_SMEP), ram, 0x00401000, FETCH).fault ==
          PageWalkFault::supervisor_executes_user);
    CHECK(translate(tables.state(CR4_SMEP), ram, 0x00401000, READ).ok());
}

UNIT_TEST(guest_page_walk_4level_table_outside_ram_names_level)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    ram.put64(tables.entry_address(0x00401000, 2), 0x80000000ull | P | RW);
    Translation t = translate(tables.state(), ram, 0x00401000, READ);
    CHECK(t.fault == PageWalkFault::table_outside_ram);
    CHECK_EQ(unsigned(t.level), 1u);
    GuestPagingState bad_cr3 = tables.state();
    bad_cr3.cr3 = 0xF0000000;
    Translation top = translate(bad_cr3, ram, 0x1000, READ);
    CHECK(top.fault == PageWalkFault::table_outside_ram);
    CHECK_EQ(unsigned(top.level), 4u);
}

UNIT_TEST(guest_page_walk_4level_page_outside_ram_faults)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0xF0000000, 1, RW);
    CHECK(translate(tables.state(), ram, 0x00401000, READ).fault == PageWalkFault::page_outside_ram);
}

UNIT_TEST(guest_page_walk_every_fault_has_a_text)
{
    for (unsigned f = 0; f <= unsigned(PageWalkFault::too_many_chunks); ++f)
        CHECK(std::string(page_walk_fault_text(PageWalkFault(f))) != "unknown page-walk fault");
}

/* ---- buffers */

UNIT_TEST(guest_buffer_within_one_page_is_one_chunk)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, RW);
    GuestPhysicalChunk chunks[4];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00401100, 0x200, READ, chunks, 4);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(1));
    CHECK_EQ(chunks[0].guest_physical, 0x00500100ull);
    CHECK_EQ(chunks[0].length, 0x200ull);
}

UNIT_TEST(guest_buffer_straddling_scattered_pages_splits_at_the_boundary)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, RW);
    tables.map(0x00402000, 0x00300000, 1, RW);
    GuestPhysicalChunk chunks[4];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00401FF0, 0x20, READ, chunks, 4);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(2));
    CHECK_EQ(chunks[0].guest_physical, 0x00500FF0ull);
    CHECK_EQ(chunks[0].length, 0x10ull);
    CHECK_EQ(chunks[1].guest_physical, 0x00300000ull);
    CHECK_EQ(chunks[1].length, 0x10ull);
}

UNIT_TEST(guest_buffer_over_contiguous_pages_merges)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    for (uint64_t page = 0; page < 3; ++page)
        tables.map(0x00401000 + page * 0x1000, 0x00500000 + page * 0x1000, 1, RW);
    GuestPhysicalChunk chunks[1];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00401800, 0x2000, WRITE, chunks, 1);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(1));
    CHECK_EQ(chunks[0].guest_physical, 0x00500800ull);
    CHECK_EQ(chunks[0].length, 0x2000ull);
}

UNIT_TEST(guest_buffer_across_2m_pages_splits_at_2m)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00200000, 0x00800000, 2, RW);
    tables.map(0x00400000, 0x00200000, 2, RW);
    GuestPhysicalChunk chunks[2];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x003FF000, 0x2000, READ, chunks, 2);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(2));
    CHECK_EQ(chunks[0].guest_physical, 0x009FF000ull);
    CHECK_EQ(chunks[0].length, 0x1000ull);
    CHECK_EQ(chunks[1].guest_physical, 0x00200000ull);
}

UNIT_TEST(guest_buffer_with_unmapped_second_page_faults_there)
{
    FakeGuestRam ram;
    Tables32 tables{ram};
    tables.map_4k(0x00401000, 0x00500000, RW);
    GuestPhysicalChunk chunks[4];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00401F00, 0x200, READ, chunks, 4);
    CHECK(split.fault == PageWalkFault::not_present);
    CHECK_EQ(split.fault_virtual, 0x00402000ull);
    CHECK_EQ(unsigned(split.level), 1u);
}

UNIT_TEST(guest_buffer_write_to_read_only_second_page_faults)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, RW);
    tables.map(0x00402000, 0x00501000, 1, 0);
    GuestPhysicalChunk chunks[4];
    CHECK(split_guest_buffer(tables.state(), ram, 0x00401F00, 0x200, READ, chunks, 4).ok());
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00401F00, 0x200, WRITE, chunks, 4);
    CHECK(split.fault == PageWalkFault::write_to_read_only);
    CHECK_EQ(split.fault_virtual, 0x00402000ull);
}

UNIT_TEST(guest_buffer_needing_more_chunks_than_room_faults)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00401000, 0x00500000, 1, RW);
    tables.map(0x00402000, 0x00300000, 1, RW);
    GuestPhysicalChunk chunks[1];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00401FF0, 0x20, READ, chunks, 1);
    CHECK(split.fault == PageWalkFault::too_many_chunks);
    CHECK_EQ(split.chunk_count, size_t(1));
}

UNIT_TEST(guest_buffer_of_length_zero_has_no_chunks)
{
    FakeGuestRam ram;
    GuestPhysicalChunk chunks[1];
    BufferSplit split = split_guest_buffer(paging_off(), ram, 0xF0000000, 0, READ, chunks, 1);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(0));
}

UNIT_TEST(guest_buffer_wrapping_the_address_space_faults)
{
    FakeGuestRam ram;
    GuestPhysicalChunk chunks[4];
    CHECK(split_guest_buffer(paging_off(), ram, 0xFFFFFFF0, 0x20, READ, chunks, 4).fault ==
          PageWalkFault::buffer_wraps);
    FourLevelTables tables{ram};
    CHECK(split_guest_buffer(tables.state(), ram, ~0ull - 0xF, 0x20, READ, chunks, 4).fault ==
          PageWalkFault::buffer_wraps);
}

UNIT_TEST(guest_buffer_straddling_ram_end_with_paging_off_faults)
{
    FakeGuestRam ram;
    GuestPhysicalChunk chunks[4];
    BufferSplit inside = split_guest_buffer(paging_off(), ram, RAM_SIZE - 0x3000, 0x3000, READ, chunks, 4);
    CHECK(inside.ok());
    CHECK_EQ(inside.chunk_count, size_t(1));
    CHECK_EQ(chunks[0].length, 0x3000ull);
    BufferSplit straddling = split_guest_buffer(paging_off(), ram, RAM_SIZE - 8, 16, READ, chunks, 4);
    CHECK(straddling.fault == PageWalkFault::page_outside_ram);
    CHECK_EQ(straddling.fault_virtual, RAM_SIZE);
}

UNIT_TEST(guest_buffer_crossing_into_non_canonical_faults)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    tables.map(0x00007FFFFFFFF000ull, 0x00500000, 1, RW);
    GuestPhysicalChunk chunks[4];
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00007FFFFFFFFFF0ull, 0x20, READ, chunks, 4);
    CHECK(split.fault == PageWalkFault::non_canonical);
    CHECK_EQ(split.fault_virtual, 0x0000800000000000ull);
}

/* ---- one walk per buffer: the page table of the previous page is remembered */

UNIT_TEST(guest_buffer_walk_reads_one_pte_per_page_under_one_table)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    /* Sixteen pages, every other one physically elsewhere, so none merge. */
    for (uint64_t page = 0; page < 16; ++page)
        tables.map(0x00400000 + page * 0x1000, 0x00800000 + page * 0x2000, 1, RW);
    GuestPhysicalChunk chunks[16];
    ram.reads = 0;
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00400000, 16 * 0x1000, WRITE, chunks, 16);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(16));
    /* The first page: PML4E, PDPTE, PDE, PTE; each next page: its PTE alone. */
    CHECK_EQ(ram.reads, 4 + 15);
    CHECK_EQ(chunks[15].guest_physical, 0x00800000ull + 15 * 0x2000);
}

UNIT_TEST(guest_buffer_walk_checks_each_remembered_pte_for_presence_and_rights)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    for (uint64_t page = 0; page < 8; ++page)
        tables.map(0x00400000 + page * 0x1000, 0x00800000 + page * 0x1000, 1, page == 5 ? 0 : RW);
    GuestPhysicalChunk chunks[8];
    BufferSplit read_only = split_guest_buffer(tables.state(), ram, 0x00400010, 8 * 0x1000 - 0x20, WRITE, chunks, 8);
    CHECK(read_only.fault == PageWalkFault::write_to_read_only);
    CHECK_EQ(read_only.level, uint8_t(1));
    CHECK_EQ(read_only.fault_virtual, 0x00405000ull);
    /* Reading is fine, and contiguous pages merge into one chunk. */
    BufferSplit readable = split_guest_buffer(tables.state(), ram, 0x00400010, 8 * 0x1000 - 0x20, READ, chunks, 8);
    CHECK(readable.ok());
    CHECK_EQ(readable.chunk_count, size_t(1));
    CHECK_EQ(chunks[0].length, 8 * 0x1000ull - 0x20);

    ram.put64(tables.entry_address(0x00403000, 1), 0); /* page 3 not present */
    BufferSplit hole = split_guest_buffer(tables.state(), ram, 0x00400000, 8 * 0x1000, READ, chunks, 8);
    CHECK(hole.fault == PageWalkFault::not_present);
    CHECK_EQ(hole.fault_virtual, 0x00403000ull);
    /* A reserved bit in a remembered table's PTE is seen too. */
    tables.map(0x00403000, 0x00803000 | (1ull << 51), 1, RW);
    CHECK(split_guest_buffer(tables.state(), ram, 0x00400000, 8 * 0x1000, READ, chunks, 8).fault ==
          PageWalkFault::reserved_bit);
}

UNIT_TEST(guest_buffer_walk_takes_the_next_table_with_its_own_rights)
{
    FakeGuestRam ram;
    FourLevelTables tables{ram};
    /* The last page under one page table, the first under the next; the second
     * table's PDE denies user mode. */
    tables.map(0x005FF000, 0x00800000, 1, RW | US);
    tables.map(0x00600000, 0x00801000, 1, RW | US);
    uint64_t pde = tables.entry_address(0x00600000, 2);
    ram.put64(pde, ram.get64(pde) & ~US);
    GuestPhysicalChunk chunks[2];
    BufferSplit supervisor = split_guest_buffer(tables.state(), ram, 0x005FF800, 0x1000, READ, chunks, 2);
    CHECK(supervisor.ok());
    CHECK_EQ(supervisor.chunk_count, size_t(1)); /* physically contiguous across the tables */
    BufferSplit user = split_guest_buffer(tables.state(), ram, 0x005FF800, 0x1000, USER_READ, chunks, 2);
    CHECK(user.fault == PageWalkFault::user_to_supervisor);
    CHECK_EQ(user.fault_virtual, 0x00600000ull);
}

UNIT_TEST(guest_buffer_walk_with_pae_remembers_the_table_too)
{
    FakeGuestRam ram;
    PaeTables tables{ram};
    for (uint64_t page = 0; page < 4; ++page)
        tables.map(0x00400000 + page * 0x1000, 0x00900000 - page * 0x1000, 1, RW);
    GuestPhysicalChunk chunks[4];
    ram.reads = 0;
    BufferSplit split = split_guest_buffer(tables.state(), ram, 0x00400000, 4 * 0x1000, READ, chunks, 4);
    CHECK(split.ok());
    CHECK_EQ(split.chunk_count, size_t(4));
    CHECK_EQ(chunks[3].guest_physical, 0x00900000ull - 3 * 0x1000);
    /* PDPTE and PDE and PTE for the first page, a PTE for each other. */
    CHECK_EQ(ram.reads, 3 + 3);
}
