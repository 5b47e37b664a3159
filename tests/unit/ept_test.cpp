/* hypervisor/vmx/ept.cpp: entry bits against the SDM's "Format of an EPT ..."
 * tables, the EPT pointer, and hierarchies built over a fake page allocator. */
#include "hypervisor/vmx/ept.h"
#include "fake_ept_allocator.h"
#include "unit_test.h"

#include <array>
#include <map>
#include <memory>
#include <set>
#include <vector>

using namespace vmx;

namespace {

constexpr uint64_t KIB = 1024, MIB = 1024 * KIB, GIB = 1024 * MIB;

struct Fixture {
    FakeAllocator allocator;
    EptHierarchy ept{allocator};
    Fixture() { CHECK(ept.create() == EptError::none); }
};

void check_translates(const EptHierarchy& ept, uint64_t guest, uint64_t host, EptPageSize size)
{
    EptTranslation t = ept.translate(guest);
    CHECK(t.mapped);
    CHECK_EQ(t.host_physical, host);
    CHECK(t.page_size == size);
}

} // namespace

UNIT_TEST(ept_table_entry_has_rwx_and_address_only)
{
    CHECK_EQ(ept_table_entry(0x12345000), 0x12345007ull);
    CHECK_EQ(ept_table_entry(0x12345000, EptAccess::read), 0x12345001ull);
    CHECK_EQ(ept_table_entry(0xFFFFFFFFFFFFFFFFull) & ~0x7ull, 0x000FFFFFFFFFF000ull); /* bits 51:12 */
}

UNIT_TEST(ept_page_entry_bits_for_each_page_size)
{
    /* 4 KiB PTE: R W X (bits 0-2), memory type WB = 6 in bits 5:3, no bit 7. */
    CHECK_EQ(ept_page_entry(0xABCDE000, EptPageSize::page_4k, EptAccess::all), 0xABCDE000ull | 0x7 | (6 << 3));
    /* 2 MiB PDE: the same plus bit 7. */
    CHECK_EQ(ept_page_entry(0x40000000, EptPageSize::page_2m, EptAccess::read_write), 0x40000000ull | 0x3 | 0x30 | 0x80);
    /* 1 GiB PDPTE, uncacheable, read/execute. */
    CHECK_EQ(ept_page_entry(0x80000000, EptPageSize::page_1g, EptAccess::read_execute, EptMemoryType::uncacheable),
             0x80000000ull | 0x5 | 0x80);
    CHECK_EQ(ept_page_entry(0x1000, EptPageSize::page_4k, EptAccess::read, EptMemoryType::write_combining), 0x1009ull);
}

UNIT_TEST(ept_pointer_is_write_back_with_four_level_walk)
{
    /* vmx-in-bochs.md: EPTP = PML4 address | 0x1E. */
    CHECK_EQ(ept_pointer(0x5000), 0x501Eull);
    CHECK_EQ(ept_pointer(0x5000, true), 0x505Eull);
    CHECK_EQ(ept_pointer(0x5FFF) & 0xFFF, 0x1Eull);
}

UNIT_TEST(ept_maps_a_4k_page_and_translates_its_bytes)
{
    Fixture f;
    CHECK(f.ept.map_page(0x3000, 0x9000, EptPageSize::page_4k, EptAccess::read) == EptError::none);
    EptTranslation t = f.ept.translate(0x3ABC);
    CHECK(t.mapped);
    CHECK_EQ(t.host_physical, 0x9ABCull);
    CHECK(t.access == EptAccess::read);
    CHECK(t.memory_type == EptMemoryType::write_back);
    CHECK(!f.ept.translate(0x2FFF).mapped);
    CHECK(!f.ept.translate(0x4000).mapped);
    CHECK_EQ(f.ept.table_count(), size_t(4)); /* PML4, PDPT, PD, PT */
}

UNIT_TEST(ept_map_uses_2m_pages_where_both_sides_are_aligned)
{
    Fixture f;
    /* 4 KiB up to the 2 MiB boundary, two 2 MiB pages, 4 KiB for the tail. */
    CHECK(f.ept.map(0x1FE000, 0x401FE000, 0x2000 + 4 * MIB + 0x3000, EptAccess::all) == EptError::none);
    check_translates(f.ept, 0x1FE000, 0x401FE000, EptPageSize::page_4k);
    check_translates(f.ept, 0x1FFFFF, 0x401FFFFF, EptPageSize::page_4k);
    check_translates(f.ept, 0x200000, 0x40200000, EptPageSize::page_2m);
    check_translates(f.ept, 0x5FFFFF, 0x405FFFFF, EptPageSize::page_2m);
    check_translates(f.ept, 0x600000, 0x40600000, EptPageSize::page_4k);
    check_translates(f.ept, 0x602FFF, 0x40602FFF, EptPageSize::page_4k);
    CHECK(!f.ept.translate(0x603000).mapped);
    CHECK(!f.ept.translate(0x1FDFFF).mapped);
}

UNIT_TEST(ept_map_falls_back_to_4k_when_host_is_not_2m_aligned)
{
    Fixture f;
    CHECK(f.ept.map(0, 0x40001000, 4 * MIB, EptAccess::all) == EptError::none);
    check_translates(f.ept, 0x200000, 0x40201000, EptPageSize::page_4k);
    check_translates(f.ept, 4 * MIB - 1, 0x40001000 + 4 * MIB - 1, EptPageSize::page_4k);
    CHECK_EQ(f.ept.table_count(), size_t(1 + 1 + 1 + 2)); /* two page tables */
}

UNIT_TEST(ept_rejects_misaligned_overlapping_and_too_large_mappings)
{
    Fixture f;
    CHECK(f.ept.map(0x1000, 0x2001, 0x1000, EptAccess::all) == EptError::misaligned);
    CHECK(f.ept.map_page(0x1000, 0x200000, EptPageSize::page_2m, EptAccess::all) == EptError::misaligned);
    CHECK(f.ept.map(0, 0, 2 * MIB, EptAccess::all) == EptError::none);
    CHECK(f.ept.map(0x1000, 0x1000, 0x1000, EptAccess::all) == EptError::already_mapped); /* inside a 2 MiB page */
    CHECK(f.ept.map(2 * MIB, 0, 0x1000, EptAccess::all) == EptError::none);
    CHECK(f.ept.map_page(2 * MIB, 0, EptPageSize::page_2m, EptAccess::all) == EptError::already_mapped);
    CHECK(f.ept.map(EPT_GUEST_LIMIT - 0x1000, 0, 0x2000, EptAccess::all) == EptError::address_too_large);
}

UNIT_TEST(ept_translates_high_guest_addresses_across_pml4_entries)
{
    Fixture f;
    CHECK(f.ept.map(512 * GIB - 0x1000, 0x1000, 0x2000, EptAccess::all) == EptError::none);
    check_translates(f.ept, 512 * GIB - 1, 0x1FFF, EptPageSize::page_4k);
    check_translates(f.ept, 512 * GIB, 0x2000, EptPageSize::page_4k);
    CHECK_EQ(f.ept.table_count(), size_t(1 + 2 * 3));
}

UNIT_TEST(ept_out_of_memory_is_reported_and_everything_can_still_be_freed)
{
    FakeAllocator allocator(3);
    EptHierarchy ept(allocator);
    CHECK(ept.create() == EptError::none);
    CHECK(ept.map(0, 0, 0x1000, EptAccess::all) == EptError::out_of_memory);
    ept.destroy();
    CHECK_EQ(allocator.live(), size_t(0));
}

UNIT_TEST(ept_guest_ram_with_vga_hole_and_two_host_runs)
{
    Fixture f;
    /* 64 MiB of guest RAM: 6 MiB from one run (2 MiB aligned), 58 MiB from a second
     * run that is only 4 KiB aligned. The VGA window stays unmapped. */
    HostRun runs[] = {{0x10000000, 6 * MIB}, {0x20001000, 60 * MIB}};
    GuestRange holes[] = {{0xA0000, 0xC0000}};
    CHECK(map_guest_ram(f.ept, 64 * MIB, runs, 2, holes, 1) == EptError::none);
    check_translates(f.ept, 0, 0x10000000, EptPageSize::page_4k);
    check_translates(f.ept, 0x9FFFF, 0x1009FFFF, EptPageSize::page_4k);
    CHECK(!f.ept.translate(0xA0000).mapped);
    CHECK(!f.ept.translate(0xBFFFF).mapped);
    check_translates(f.ept, 0xC0000, 0x100C0000, EptPageSize::page_4k);
    check_translates(f.ept, 0x1FFFFF, 0x101FFFFF, EptPageSize::page_4k); /* the hole's 2 MiB region */
    check_translates(f.ept, 0x200000, 0x10200000, EptPageSize::page_2m);
    check_translates(f.ept, 6 * MIB - 1, 0x10000000 + 6 * MIB - 1, EptPageSize::page_2m);
    check_translates(f.ept, 6 * MIB, 0x20001000, EptPageSize::page_4k); /* second run */
    check_translates(f.ept, 64 * MIB - 1, 0x20001000 + 58 * MIB - 1, EptPageSize::page_4k);
    CHECK(!f.ept.translate(64 * MIB).mapped);
}

UNIT_TEST(ept_guest_ram_runs_too_short_is_an_error)
{
    Fixture f;
    HostRun runs[] = {{0x10000000, 4 * MIB}};
    CHECK(map_guest_ram(f.ept, 8 * MIB, runs, 1, nullptr, 0) == EptError::runs_too_short);
    GuestRange crooked[] = {{0xA0000, 0xA0800}};
    CHECK(map_guest_ram(f.ept, 4 * MIB, runs, 1, crooked, 1) == EptError::misaligned);
}

UNIT_TEST(ept_enumerates_every_table_children_first_and_destroy_frees_all)
{
    Fixture f;
    HostRun runs[] = {{0x10001000, 8 * MIB}};
    CHECK(map_guest_ram(f.ept, 8 * MIB, runs, 1, nullptr, 0) == EptError::none);
    /* PML4 + PDPT + PD + 4 page tables. */
    CHECK_EQ(f.ept.table_count(), size_t(7));
    CHECK_EQ(f.allocator.live(), size_t(7));
    std::vector<uint64_t> order;
    f.ept.for_each_table([](uint64_t physical, void* list) { static_cast<std::vector<uint64_t>*>(list)->push_back(physical); },
                         &order);
    CHECK_EQ(order.size(), size_t(7));
    CHECK_EQ(order.back(), f.ept.pml4_physical());
    CHECK_EQ(std::set<uint64_t>(order.begin(), order.end()).size(), size_t(7));
    f.ept.destroy();
    CHECK_EQ(f.allocator.live(), size_t(0));
    CHECK(!f.ept.translate(0).mapped);
}
