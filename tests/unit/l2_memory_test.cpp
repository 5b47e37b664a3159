/* hypervisor/nested/l2_memory.cpp: L2's memory through L1's EPT, as L0 reads and
 * writes it for string I/O and L1's MMIO that L2 reaches: pieces split at L1's
 * pages, the rights of L1's EPT, refusals whole (nothing half-copied). */
#include "hypervisor/nested/l2_memory.h"
#include "fake_guest_ram.h"
#include "unit_test.h"

using namespace nested;
using vmx::EptAccess;
using vmx::EptPageSize;

namespace {

constexpr uint64_t MIB = 1024 * 1024;

/* L1's RAM (8 MiB) with L1's EPT for L2 built in it from 6 MiB up. */
class L1Ram final : public FakeGuestRam, public vmx::EptPageAllocator {
public:
    L1Ram() : FakeGuestRam(8 * MIB) {}
    uint64_t next_table = 6 * MIB;
    Page allocate_table() override
    {
        uint64_t physical = next_table;
        next_table += 0x1000;
        return {physical, table_at(physical)};
    }
    uint64_t* table_at(uint64_t physical) override { return reinterpret_cast<uint64_t*>(&bytes[physical]); }
    void free_table(uint64_t) override {}
};

/* L2 pages 0x10000 -> L1 0x200000 (read, write), 0x11000 -> L1 0x100000 (read,
 * write: L2-contiguous, L1-apart), 0x12000 -> L1 0x300000 (read only),
 * 0x13000 -> L1 16 MiB (outside L1's RAM: L1's device memory). */
struct Fixture {
    L1Ram l1;
    vmx::EptHierarchy ept12{l1};
    EptCapabilities12 capabilities;
    Fixture()
    {
        CHECK(ept12.create() == vmx::EptError::none);
        CHECK(ept12.map_page(0x10000, 0x200000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
        CHECK(ept12.map_page(0x11000, 0x100000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
        CHECK(ept12.map_page(0x12000, 0x300000, EptPageSize::page_4k, EptAccess::read) == vmx::EptError::none);
        CHECK(ept12.map_page(0x13000, 16 * MIB, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    }
    L2Memory memory() { return L2Memory(l1, ept12.pointer(), capabilities); }
};

} // namespace

UNIT_TEST(l2_memory_reads_across_l2_pages_that_l1_placed_apart)
{
    Fixture f;
    f.l1.bytes[0x200FFE] = 0x11;
    f.l1.bytes[0x200FFF] = 0x22;
    f.l1.bytes[0x100000] = 0x33;
    f.l1.bytes[0x100001] = 0x44;
    L2Memory memory = f.memory();
    uint32_t value = 0;
    CHECK(memory.read(0x10FFE, &value, 4));
    CHECK_EQ(value, 0x44332211u);
}

UNIT_TEST(l2_memory_writes_through_l1s_ept)
{
    Fixture f;
    L2Memory memory = f.memory();
    uint32_t value = 0xAABBCCDD;
    CHECK(memory.write(0x10FFE, &value, 4));
    CHECK_EQ(f.l1.bytes[0x200FFF], uint8_t(0xCC));
    CHECK_EQ(f.l1.bytes[0x100000], uint8_t(0xBB));
}

UNIT_TEST(l2_memory_refuses_a_write_to_a_page_l1_maps_read_only_and_writes_nothing)
{
    Fixture f;
    L2Memory memory = f.memory();
    uint32_t value = 0xFFFFFFFF;
    CHECK(!memory.write(0x11FFE, &value, 4)); /* the first half is writable, the second is not */
    CHECK_EQ(f.l1.bytes[0x100FFE], uint8_t(0));
    CHECK(memory.read(0x12000, &value, 4));
}

UNIT_TEST(l2_memory_refuses_what_l1s_ept_does_not_map_or_maps_outside_l1_ram)
{
    Fixture f;
    L2Memory memory = f.memory();
    uint32_t value = 0;
    CHECK(!memory.read(0x14000, &value, 4)); /* not mapped */
    CHECK(!memory.read(0x13000, &value, 4)); /* L1's device memory: not RAM */
    CHECK(!memory.is_ram(0x12FFE, 4));
    CHECK(!memory.read(~0ull - 1, &value, 4)); /* wraps */
    uint64_t contiguous = 1;
    CHECK(memory.host_address(0x12000, contiguous) == nullptr); /* read-only: no host pointer */
    CHECK_EQ(contiguous, 0u);
}

UNIT_TEST(l2_memory_translates_to_l1_physical_with_the_rest_of_l1s_page)
{
    Fixture f;
    L2Memory memory = f.memory();
    uint64_t l1_physical = 0, in_page = 0;
    CHECK(memory.translate(0x13020, ept_violation_bits::WRITE, l1_physical, in_page));
    CHECK_EQ(l1_physical, 16 * MIB + 0x20);
    CHECK_EQ(in_page, uint64_t(0xFE0));
    uint64_t contiguous = 0;
    CHECK(memory.host_address(0x10F00, contiguous) == &f.l1.bytes[0x200F00]);
    CHECK_EQ(contiguous, uint64_t(0x100));
}

UNIT_TEST(l2_memory_names_the_address_and_rights_l1s_ept_refused)
{
    Fixture f;
    L2Memory memory = f.memory();
    CHECK(!memory.refusal().valid);
    uint32_t value = 0;
    CHECK(!memory.read(0x13000, &value, 4)); /* L1's device memory: mapped, so no refusal of L1's EPT */
    CHECK(!memory.refusal().valid);
    CHECK(!memory.write(0x11FFE, &value, 4)); /* the element's second half is in the read-only page */
    CHECK(memory.refusal().valid && !memory.refusal().misconfiguration);
    CHECK_EQ(memory.refusal().l2_physical, uint64_t(0x12000));
    CHECK(memory.refusal().rights == EptAccess::read);
    CHECK(!memory.read(0x14010, &value, 4)); /* not mapped: no rights */
    CHECK_EQ(memory.refusal().l2_physical, uint64_t(0x14010));
    CHECK(memory.refusal().rights == EptAccess::none);
}

UNIT_TEST(l2_memory_is_writable_ram_only_where_l1s_ept_allows_writes)
{
    Fixture f;
    L2Memory memory = f.memory();
    CHECK(memory.is_writable_ram(0x10FFE, 4));
    CHECK(memory.is_ram(0x12000, 4));
    CHECK(!memory.is_writable_ram(0x11FFE, 4)); /* runs into the read-only page */
    CHECK_EQ(memory.refusal().l2_physical, uint64_t(0x12000));
    CHECK(!memory.is_writable_ram(0x13000, 4)); /* L1's device memory */
}
