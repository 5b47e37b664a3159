/* The x86_64 page-table-entry encoding (kernel/arch/x86_64/page_table_entry.h)
 * against the bit layout in the Intel SDM, Vol. 3A, "4-Level Paging". */
#include "arch/x86_64/page_table_entry.h"
#include "unit_test.h"

using paging::Level;
using paging::PageTableEntry;
namespace bit = paging::bit;

UNIT_TEST(pte_empty_entry_is_not_present)
{
    PageTableEntry entry;
    CHECK_EQ(entry.raw(), uint64_t(0));
    CHECK(!entry.present());
}

UNIT_TEST(pte_page_sets_present_and_keeps_address_and_flags)
{
    PageTableEntry entry = PageTableEntry::page(0x12345000, bit::WRITABLE | bit::USER | bit::NO_EXECUTE);
    CHECK_EQ(entry.raw(), uint64_t(0x8000000012345007));
    CHECK(entry.present() && entry.writable() && entry.user() && entry.no_execute() && !entry.large());
    CHECK_EQ(entry.address(), uint64_t(0x12345000));
    CHECK_EQ(entry.flags(), uint64_t(0x8000000000000007));
}

UNIT_TEST(pte_page_drops_offset_bits_of_the_frame_address)
{
    CHECK_EQ(PageTableEntry::page(0x12345ABC, 0).raw(), uint64_t(0x12345001));
}

UNIT_TEST(pte_page_keeps_a_52_bit_physical_address)
{
    CHECK_EQ(PageTableEntry::page(0x000FFFFFFFFFF000, 0).address(), uint64_t(0x000FFFFFFFFFF000));
    CHECK_EQ(PageTableEntry::page(0xFFF0000000001000, 0).address(), uint64_t(0x1000)); /* bits 63:52 are not address */
}

UNIT_TEST(pte_read_only_kernel_page_has_no_writable_or_user_bit)
{
    PageTableEntry entry = PageTableEntry::page(0x200000, 0);
    CHECK_EQ(entry.raw(), uint64_t(0x200001));
    CHECK(!entry.writable() && !entry.user() && !entry.no_execute());
}

UNIT_TEST(pte_large_page_sets_ps_and_masks_to_2mib)
{
    PageTableEntry entry = PageTableEntry::large_page(0x40000000, bit::WRITABLE | bit::NO_EXECUTE);
    CHECK_EQ(entry.raw(), uint64_t(0x8000000040000083));
    CHECK(entry.large());
    CHECK_EQ(entry.address(), uint64_t(0x40000000));
    /* Bit 12 of a 2 MiB PDE is the PAT bit, not part of the address. */
    CHECK_EQ(PageTableEntry(0x40001083).address(), uint64_t(0x40000000));
}

UNIT_TEST(pte_table_entry_is_writable_and_user_only_when_asked)
{
    CHECK_EQ(PageTableEntry::table(0x5000, false).raw(), uint64_t(0x5003));
    CHECK_EQ(PageTableEntry::table(0x5000, true).raw(), uint64_t(0x5007));
    CHECK_EQ(PageTableEntry::table(0x5000, true).address(), uint64_t(0x5000));
}

UNIT_TEST(pte_table_index_picks_nine_bits_per_level)
{
    uint64_t address = (uint64_t(0x1A3) << 39) | (uint64_t(0x0F5) << 30) | (uint64_t(0x17C) << 21) | (uint64_t(0x042) << 12) | 0x123;
    CHECK_EQ(paging::table_index(address, Level::pml4), 0x1A3u);
    CHECK_EQ(paging::table_index(address, Level::pdpt), 0x0F5u);
    CHECK_EQ(paging::table_index(address, Level::pd), 0x17Cu);
    CHECK_EQ(paging::table_index(address, Level::pt), 0x042u);
}

UNIT_TEST(pte_kernel_addresses_index_the_upper_half)
{
    CHECK_EQ(paging::table_index(0xFFFF800000000000, Level::pml4), 256u); /* DIRECT_MAP_BASE */
    CHECK_EQ(paging::table_index(0xFFFFFFFF80000000, Level::pml4), 511u); /* KERNEL_VMA */
    CHECK_EQ(paging::table_index(0xFFFFFFFF80000000, Level::pdpt), 510u);
    CHECK_EQ(paging::table_index(0x00007FFFFFFFF000, Level::pml4), 255u);
}

UNIT_TEST(pte_canonical_addresses_have_bits_63_to_47_equal)
{
    CHECK(paging::is_canonical(0));
    CHECK(paging::is_canonical(0x00007FFFFFFFFFFF));
    CHECK(!paging::is_canonical(0x0000800000000000));
    CHECK(!paging::is_canonical(0xFFFF7FFFFFFFFFFF));
    CHECK(paging::is_canonical(0xFFFF800000000000));
    CHECK(paging::is_canonical(0xFFFFFFFFFFFFFFFF));
}
