/* hypervisor/memory/guest_page_walk's split_guest_buffer: a guest buffer cut at
 * page boundaries into guest-physical chunks (contiguous pages merged), faults at
 * the page where they happen, and one walk per buffer that remembers the page
 * table of the previous page. */
#include "guest_page_tables.h"
#include "unit_test.h"

using namespace guest_paging;
using namespace page_walk_fixture;

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
