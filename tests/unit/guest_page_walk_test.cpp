/* hypervisor/memory/guest_page_walk: page tables built in a fake guest RAM for
 * each paging mode (none, 32-bit, PAE, 4-level), translated with large pages,
 * access rights, reserved bits and faults. Guest buffers split at page
 * boundaries: guest_buffer_split_test.cpp. */
#include "guest_page_tables.h"
#include "unit_test.h"

using namespace guest_paging;
using namespace page_walk_fixture;

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
