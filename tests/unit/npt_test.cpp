/* hypervisor/svm/npt.cpp: entry bits against the APM's long-mode page-table
 * formats ("Long-Mode Page Translation"), and nested page tables built over a
 * fake page allocator. */
#include "hypervisor/svm/npt.h"
#include "fake_ept_allocator.h"
#include "unit_test.h"

using namespace svm;

namespace {

constexpr uint64_t MIB = 1024 * 1024;

using FakeNptAllocator = FakeTableAllocator<NptPageAllocator>;

void check_translates(const NestedPageTables& npt, uint64_t guest, uint64_t host, NptPageSize size)
{
    NptTranslation t = npt.translate(guest);
    CHECK(t.mapped);
    CHECK_EQ(t.host_physical, host);
    CHECK(t.page_size == size);
}

} // namespace

UNIT_TEST(npt_table_entry_is_present_writable_user)
{
    /* P (bit 0), R/W (bit 1), U/S (bit 2): nested walks are user accesses. */
    CHECK_EQ(npt_table_entry(0x12345000), 0x12345007ull);
    CHECK_EQ(npt_table_entry(0xFFFFFFFFFFFFFFFFull) & ~0x7ull, 0x000FFFFFFFFFF000ull); /* bits 51:12 */
}

UNIT_TEST(npt_page_entry_bits_for_each_page_size)
{
    CHECK_EQ(npt_page_entry(0xABCDE000, NptPageSize::page_4k, true), 0xABCDE007ull);
    CHECK_EQ(npt_page_entry(0xABCDE000, NptPageSize::page_4k, false), 0xABCDE005ull);
    /* 2 MiB PDE: PS (bit 7); never NX, so guest code runs. */
    CHECK_EQ(npt_page_entry(0x40000000, NptPageSize::page_2m, true), 0x40000087ull);
    CHECK_EQ(npt_page_entry(0x40000000, NptPageSize::page_2m, true) & npt_bits::NO_EXECUTE, 0ull);
}

UNIT_TEST(npt_maps_a_4k_page_and_translates_its_bytes)
{
    FakeNptAllocator allocator;
    NestedPageTables npt(allocator);
    CHECK(npt.create() == NptError::none);
    CHECK(npt.map_page(0x3000, 0x9000, NptPageSize::page_4k, false) == NptError::none);
    NptTranslation t = npt.translate(0x3ABC);
    CHECK(t.mapped);
    CHECK_EQ(t.host_physical, 0x9ABCull);
    CHECK(!t.writable);
    CHECK(!npt.translate(0x2FFF).mapped);
    CHECK(!npt.translate(0x4000).mapped);
    CHECK_EQ(npt.table_count(), size_t(4)); /* PML4, PDPT, PD, PT */
}

UNIT_TEST(npt_map_uses_2m_pages_where_both_sides_are_aligned)
{
    FakeNptAllocator allocator;
    NestedPageTables npt(allocator);
    CHECK(npt.create() == NptError::none);
    CHECK(npt.map(0x1FE000, 0x401FE000, 0x2000 + 4 * MIB + 0x3000) == NptError::none);
    check_translates(npt, 0x1FE000, 0x401FE000, NptPageSize::page_4k);
    check_translates(npt, 0x200000, 0x40200000, NptPageSize::page_2m);
    check_translates(npt, 0x5FFFFF, 0x405FFFFF, NptPageSize::page_2m);
    check_translates(npt, 0x602FFF, 0x40602FFF, NptPageSize::page_4k);
    CHECK(!npt.translate(0x603000).mapped);
    CHECK(!npt.translate(0x1FDFFF).mapped);
    /* A host run that is not 2 MiB aligned gets 4 KiB pages. */
    CHECK(npt.map(0x40000000, 0x80001000, 2 * MIB) == NptError::none);
    check_translates(npt, 0x40100000, 0x80101000, NptPageSize::page_4k);
}

UNIT_TEST(npt_rejects_misaligned_overlapping_and_too_large_mappings)
{
    FakeNptAllocator allocator;
    NestedPageTables npt(allocator);
    CHECK(npt.map(0, 0, 0x1000) == NptError::no_root);
    CHECK(npt.create() == NptError::none);
    CHECK(npt.map(0x1001, 0x2000, 0x1000) == NptError::misaligned);
    CHECK(npt.map(0x1000, 0x2000, 0x800) == NptError::misaligned);
    CHECK(npt.map(0, 0, 2 * MIB) == NptError::none);
    CHECK(npt.map(0x1000, 0x5000, 0x1000) == NptError::already_mapped);  /* inside a 2 MiB page */
    CHECK(npt.map(NPT_GUEST_LIMIT - 0x1000, 0, 0x2000) == NptError::address_too_large);
    CHECK(npt.map(~0ull & ~0xFFFull, 0, 0x2000) == NptError::address_too_large); /* wraps */
    CHECK(npt.map_page(0x400000, 1ull << 52, NptPageSize::page_4k, true) == NptError::address_too_large);
}

UNIT_TEST(npt_out_of_memory_is_reported_and_destroy_frees_every_table)
{
    FakeNptAllocator small(3);
    NestedPageTables npt(small);
    CHECK(npt.create() == NptError::none);
    CHECK(npt.map(0, 0, 0x1000) == NptError::out_of_memory);
    npt.destroy();
    CHECK_EQ(small.live(), size_t(0));

    FakeNptAllocator allocator;
    NestedPageTables big(allocator);
    CHECK(big.create() == NptError::none);
    CHECK(big.map(0, 0x10000000, 8 * MIB + 0x1000) == NptError::none);
    CHECK(big.map(0x8000000000ull, 0x20000000, 0x1000) == NptError::none); /* another PML4 slot */
    CHECK_EQ(allocator.live(), big.table_count());
    big.destroy();
    CHECK_EQ(allocator.live(), size_t(0));
    CHECK_EQ(big.root_physical(), 0ull);
}
