/* hypervisor/nested/shadow_ept.cpp: L1's EPT read from L1's memory and composed
 * with the host's EPT for L1; the violation, misconfiguration and qualification
 * rules of the SDM's "EPT Violations", "EPT Misconfigurations" and "Exit
 * Qualification for EPT Violations"; the bounded pool and the invalidations. */
#include "hypervisor/nested/shadow_ept.h"
#include "fake_ept_allocator.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using namespace nested;
using vmx::EptAccess;
using vmx::EptHierarchy;
using vmx::EptMemoryType;
using vmx::EptPageSize;
namespace q = ept_violation_bits;

namespace {

constexpr uint64_t MIB = 1024 * 1024;
constexpr uint64_t L1_RAM = 8 * MIB;
constexpr uint64_t HOST_BASE = 0x200000000; /* where the host backs L1's RAM */
constexpr uint64_t L1_MMIO_HOLE = 0x300000;   /* an L1 page the host's EPT leaves unmapped */
constexpr uint64_t L1_READ_ONLY = 0x301000;   /* an L1 page the host maps read-only */

/* L1's RAM, a vector; L1's EPT tables are allocated in it from 6 MiB up, so they
 * are built by the same EptHierarchy code and read back through the reader. */
class L1Ram final : public guest_paging::GuestPhysicalReader, public vmx::EptPageAllocator {
public:
    std::vector<uint8_t> bytes = std::vector<uint8_t>(L1_RAM, 0);
    uint64_t next_table = 6 * MIB;
    size_t reads = 0;

    bool read(uint64_t guest_physical, void* out, size_t length) override
    {
        if (!is_ram(guest_physical, length))
            return false;
        ++reads;
        std::memcpy(out, &bytes[guest_physical], length);
        return true;
    }
    bool is_ram(uint64_t guest_physical, uint64_t length) const override
    {
        return guest_physical < L1_RAM && length <= L1_RAM - guest_physical;
    }
    Page allocate_table() override
    {
        uint64_t physical = next_table;
        next_table += 0x1000;
        return {physical, table_at(physical)};
    }
    uint64_t* table_at(uint64_t physical) override { return reinterpret_cast<uint64_t*>(&bytes[physical]); }
    void free_table(uint64_t) override {}
    uint64_t& entry(uint64_t physical) { return *table_at(physical); }
};

struct Fixture {
    L1Ram l1;
    EptHierarchy ept12{l1}; /* L1's EPT for L2, in L1's memory */
    FakeAllocator host_tables;
    EptHierarchy ept01{host_tables}; /* the host's EPT for L1 */
    FakeAllocator shadow_tables;
    BoundedEptPool pool;
    EptCapabilities12 capabilities;
    ShadowEpt shadow;

    explicit Fixture(size_t pool_limit = 64)
        : pool(shadow_tables, pool_limit), shadow(pool, ept01, l1, capabilities)
    {
        CHECK(ept12.create() == vmx::EptError::none);
        CHECK(ept01.create() == vmx::EptError::none);
        CHECK(ept01.map(0, HOST_BASE, L1_MMIO_HOLE, EptAccess::all) == vmx::EptError::none);
        CHECK(ept01.map(L1_READ_ONLY, HOST_BASE + L1_READ_ONLY, 0x1000, EptAccess::read) == vmx::EptError::none);
        CHECK(ept01.map(0x302000, HOST_BASE + 0x302000, L1_RAM - 0x302000, EptAccess::all) == vmx::EptError::none);
        CHECK(shadow.use(eptp12()));
    }
    uint64_t eptp12() const { return ept12.pointer(); }
    /* The PTE of L1's EPT that maps `l2_physical` (after a 4 KiB map). */
    uint64_t& l1_pte(uint64_t l2_physical)
    {
        uint64_t table = ept12.pml4_physical();
        for (unsigned level = 4; level > 1; --level)
            table = l1.entry(table + ((l2_physical >> (12 + 9 * (level - 1))) & 511) * 8) & vmx::ept_bits::ADDRESS_MASK;
        return l1.entry(table + ((l2_physical >> 12) & 511) * 8);
    }
    uint64_t& l1_pml4e(uint64_t l2_physical) { return l1.entry(ept12.pml4_physical() + ((l2_physical >> 39) & 511) * 8); }
};

void check_kind(const ShadowFault& fault, ShadowFault::Kind kind)
{
    CHECK_EQ(int(fault.kind), int(kind));
}

} // namespace

UNIT_TEST(shadow_ept_translates_l2_pages_to_the_host_pages_behind_l1s)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::read_execute) == vmx::EptError::none);
    CHECK(f.ept12.map_page(0x400000, 0x200000, EptPageSize::page_2m, EptAccess::all) == vmx::EptError::none);
    check_kind(f.shadow.handle_violation(0x5123, q::FETCH), ShadowFault::Kind::resolved);
    check_kind(f.shadow.handle_violation(0x4ABCDE, q::WRITE), ShadowFault::Kind::resolved);

    /* The shadow's 4 KiB leaf for L2 0x5000 holds the host page behind L1's 0x1000, R+X. */
    auto leaf = [&](uint64_t l2) {
        const uint64_t* table = f.shadow_tables.table_at(f.shadow.pointer() & vmx::ept_bits::ADDRESS_MASK);
        for (unsigned level = 4; level > 1; --level)
            table = f.shadow_tables.table_at(table[(l2 >> (12 + 9 * (level - 1))) & 511] & vmx::ept_bits::ADDRESS_MASK);
        return table[(l2 >> 12) & 511];
    };
    CHECK_EQ(leaf(0x5000) & vmx::ept_bits::ADDRESS_MASK, HOST_BASE + 0x1000);
    CHECK_EQ(leaf(0x5000) & vmx::ept_bits::ACCESS_MASK, uint64_t(EptAccess::read_execute));
    CHECK_EQ(f.shadow.pointer() & 0xFFF, 0x1Eull); /* write-back, four levels */
    /* L1's 2 MiB page is shadowed by the one 4 KiB page L2 touched. */
    CHECK_EQ(leaf(0x4AB000) & vmx::ept_bits::ADDRESS_MASK, HOST_BASE + 0x2AB000);
    CHECK_EQ(leaf(0x4AC000), 0ull);
    CHECK_EQ((leaf(0x4AB000) & vmx::ept_bits::MEMORY_TYPE_MASK) >> vmx::ept_bits::MEMORY_TYPE_SHIFT,
             uint64_t(EptMemoryType::write_back));
}

UNIT_TEST(shadow_ept_reflects_a_denied_access_with_l1s_rights_in_the_qualification)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::read) == vmx::EptError::none);
    /* VMCS02's qualification: a write, the shadow's own rights (bits 5:3), a valid
     * linear address of the final translation, NMI unblocking. */
    uint64_t qualification02 = q::WRITE | q::READABLE | q::EXECUTABLE | q::LINEAR_VALID | q::LINEAR_TRANSLATION |
                               q::NMI_UNBLOCKING;
    ShadowFault fault = f.shadow.handle_violation(0x5008, qualification02);
    check_kind(fault, ShadowFault::Kind::reflect_violation);
    /* Bits 5:3 are L1's rights (read only), not the shadow's. */
    CHECK_EQ(fault.qualification12,
             q::WRITE | q::READABLE | q::LINEAR_VALID | q::LINEAR_TRANSLATION | q::NMI_UNBLOCKING);
    CHECK_EQ(f.pool.pages_in_use(), size_t(1)); /* nothing installed: only the root */

    /* Rights are the AND over the walk: a PML4E without write denies a writable PTE. */
    CHECK(f.ept12.map_page(0x6000, 0x2000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    f.l1_pml4e(0x6000) &= ~vmx::ept_bits::WRITE;
    fault = f.shadow.handle_violation(0x6000, q::WRITE);
    check_kind(fault, ShadowFault::Kind::reflect_violation);
    CHECK_EQ(fault.qualification12, q::WRITE | q::READABLE | q::EXECUTABLE);
    check_kind(f.shadow.handle_violation(0x6000, q::FETCH), ShadowFault::Kind::resolved);
}

UNIT_TEST(shadow_ept_reflects_an_access_outside_l1s_ept_with_no_rights)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    ShadowFault fault = f.shadow.handle_violation(0x7000, q::READ | q::LINEAR_VALID);
    check_kind(fault, ShadowFault::Kind::reflect_violation);
    CHECK_EQ(fault.qualification12, q::READ | q::LINEAR_VALID);
    L1EptWalk walk = walk_l1_ept(f.l1, f.eptp12(), 0x40000000, q::READ, f.capabilities);
    CHECK(walk.outcome == L1EptWalk::Outcome::violation);
    CHECK_EQ(int(walk.level), 3); /* the PDPTE for 1 GiB is not present */
    walk = walk_l1_ept(f.l1, f.eptp12(), 1ull << 48, q::READ, f.capabilities);
    CHECK(walk.outcome == L1EptWalk::Outcome::violation);
}

UNIT_TEST(shadow_ept_reads_l1s_tables_only_from_l1s_ram)
{
    Fixture f;
    /* An EPTP12 beyond L1's RAM: nothing is read, the access is a violation. */
    L1EptWalk walk = walk_l1_ept(f.l1, vmx::ept_pointer(0xFFFFF000), 0x5000, q::READ, f.capabilities);
    CHECK(walk.outcome == L1EptWalk::Outcome::violation);
    CHECK_EQ(f.l1.reads, size_t(0));
    /* A PML4E pointing at a table beyond L1's RAM reads as not present at level 3. */
    f.l1_pml4e(0x5000) = vmx::ept_table_entry(0xFFFF0000ull);
    walk = walk_l1_ept(f.l1, f.eptp12(), 0x5000, q::READ, f.capabilities);
    CHECK(walk.outcome == L1EptWalk::Outcome::violation);
    CHECK_EQ(int(walk.level), 3);
    CHECK(walk.rights == EptAccess::none);
}

UNIT_TEST(shadow_ept_reflects_each_misconfiguration)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    uint64_t good = f.l1_pte(0x5000);
    auto outcome = [&](uint64_t pte) {
        f.l1_pte(0x5000) = pte;
        return walk_l1_ept(f.l1, f.eptp12(), 0x5000, q::READ, f.capabilities).outcome;
    };
    using O = L1EptWalk::Outcome;
    CHECK(outcome(good) == O::mapped);
    CHECK(outcome((good & ~7ull) | 2) == O::misconfiguration);            /* write without read */
    CHECK(outcome((good & ~7ull) | 6) == O::misconfiguration);            /* write+execute, no read */
    CHECK(outcome((good & ~7ull) | 4) == O::misconfiguration);            /* execute-only, not offered */
    CHECK(outcome(good | (1ull << 36)) == O::misconfiguration);           /* above MAXPHYADDR 36 */
    CHECK(outcome((good & ~0x38ull) | (2 << 3)) == O::misconfiguration);  /* memory type 2 */
    CHECK(outcome((good & ~0x38ull) | (7 << 3)) == O::misconfiguration);  /* memory type 7 */
    CHECK(outcome((good & ~0x38ull) | (0 << 3)) == O::mapped);            /* UC is fine */
    CHECK(outcome(good | vmx::ept_bits::LARGE_PAGE) == O::mapped);        /* bit 7 of a PTE is ignored */
    f.capabilities.execute_only = true;
    f.l1_pte(0x5000) = (good & ~7ull) | 4;
    CHECK(walk_l1_ept(f.l1, f.eptp12(), 0x5000, q::FETCH, f.capabilities).outcome == O::mapped);
    CHECK(walk_l1_ept(f.l1, f.eptp12(), 0x5000, q::READ, f.capabilities).outcome == O::violation);
    f.capabilities.execute_only = false;
    f.l1_pte(0x5000) = good;

    /* Non-leaf entries: PML4E bits 7:3 are reserved. */
    f.l1_pml4e(0x5000) |= 1ull << 4;
    check_kind(f.shadow.handle_violation(0x5000, q::READ), ShadowFault::Kind::reflect_misconfiguration);
    f.l1_pml4e(0x5000) &= ~(1ull << 4);
    check_kind(f.shadow.handle_violation(0x5000, q::READ), ShadowFault::Kind::resolved);

    /* Large pages: a 2 MiB PDE with bit 12 set; a 1 GiB PDPTE while 1 GiB is not offered. */
    CHECK(f.ept12.map_page(0x600000, 0x200000, EptPageSize::page_2m, EptAccess::all) == vmx::EptError::none);
    CHECK(walk_l1_ept(f.l1, f.eptp12(), 0x600000, q::READ, f.capabilities).outcome == O::mapped);
    uint64_t pdpt = f.l1_pml4e(0) & vmx::ept_bits::ADDRESS_MASK;
    uint64_t& pde = f.l1.entry((f.l1.entry(pdpt) & vmx::ept_bits::ADDRESS_MASK) + 3 * 8);
    pde |= 0x1000;
    CHECK(walk_l1_ept(f.l1, f.eptp12(), 0x600000, q::READ, f.capabilities).outcome == O::misconfiguration);
    CHECK(f.ept12.map_page(0x40000000, 0, EptPageSize::page_1g, EptAccess::all) == vmx::EptError::none);
    CHECK(walk_l1_ept(f.l1, f.eptp12(), 0x40000000, q::READ, f.capabilities).outcome == O::misconfiguration);
    f.capabilities.page_1g = true;
    L1EptWalk walk = walk_l1_ept(f.l1, f.eptp12(), 0x40012345, q::READ, f.capabilities);
    CHECK(walk.outcome == O::mapped);
    CHECK_EQ(walk.l1_physical, 0x12345ull);
    CHECK_EQ(walk.page_size, 0x40000000ull);
}

UNIT_TEST(shadow_ept_hands_l1s_own_faults_back_to_l0)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, L1_MMIO_HOLE, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    CHECK(f.ept12.map_page(0x6000, L1_READ_ONLY, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    ShadowFault fault = f.shadow.handle_violation(0x5010, q::READ);
    check_kind(fault, ShadowFault::Kind::l1_fault);
    CHECK_EQ(fault.l1_physical, L1_MMIO_HOLE + 0x10);
    fault = f.shadow.handle_violation(0x6020, q::WRITE);
    check_kind(fault, ShadowFault::Kind::l1_fault);
    CHECK_EQ(fault.l1_physical, L1_READ_ONLY + 0x20);
    /* A read is allowed by both, and the shadow takes the AND of the rights, so a
     * later write faults again instead of reaching the read-only page. */
    check_kind(f.shadow.handle_violation(0x6020, q::READ), ShadowFault::Kind::resolved);
    check_kind(f.shadow.handle_violation(0x6020, q::WRITE), ShadowFault::Kind::l1_fault);
}

UNIT_TEST(shadow_ept_refreshes_the_faulting_page_from_l1s_current_ept)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::read) == vmx::EptError::none);
    check_kind(f.shadow.handle_violation(0x5000, q::READ), ShadowFault::Kind::resolved);
    /* L1 widens its entry without INVEPT; the write's violation walks again. */
    f.l1_pte(0x5000) |= vmx::ept_bits::WRITE;
    check_kind(f.shadow.handle_violation(0x5000, q::WRITE), ShadowFault::Kind::resolved);
    CHECK_EQ(f.pool.pages_in_use(), size_t(4));
}

UNIT_TEST(shadow_ept_is_dropped_on_invept_and_on_a_new_eptp12)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    check_kind(f.shadow.handle_violation(0x5000, q::READ), ShadowFault::Kind::resolved);
    CHECK(!f.shadow.take_flush_request());

    /* Single-context INVEPT of another EP4TA keeps it; of ours (any memory type) drops it. */
    f.shadow.invalidate_context(vmx::ept_pointer(0x123000));
    CHECK_EQ(f.pool.pages_in_use(), size_t(4));
    f.shadow.invalidate_context((f.eptp12() & ~7ull) | 0); /* UC, same EP4TA */
    CHECK_EQ(f.pool.pages_in_use(), size_t(0));
    CHECK(!f.shadow.active());
    CHECK(f.shadow.take_flush_request());
    CHECK(!f.shadow.take_flush_request());

    /* Entering again with the same EPTP12 keeps the shadow; another one drops it. */
    CHECK(f.shadow.use(f.eptp12()));
    check_kind(f.shadow.handle_violation(0x5000, q::READ), ShadowFault::Kind::resolved);
    CHECK(f.shadow.use(f.eptp12()));
    CHECK_EQ(f.pool.pages_in_use(), size_t(4));
    CHECK(!f.shadow.take_flush_request());
    CHECK(f.shadow.use(vmx::ept_pointer(0x7FF000)));
    CHECK_EQ(f.pool.pages_in_use(), size_t(1));
    CHECK(f.shadow.take_flush_request());

    /* All-context INVEPT drops whatever is shadowed. */
    f.shadow.invalidate_all();
    CHECK_EQ(f.pool.pages_in_use(), size_t(0));
    CHECK(f.shadow.take_flush_request());
}

UNIT_TEST(shadow_ept_rebuilds_when_its_pool_is_full)
{
    Fixture f(6); /* a root and a little more */
    for (uint64_t gib = 0; gib < 3; ++gib)
        CHECK(f.ept12.map_page(gib << 30, 0x1000 * (gib + 1), EptPageSize::page_4k, EptAccess::all) ==
              vmx::EptError::none);
    check_kind(f.shadow.handle_violation(0, q::READ), ShadowFault::Kind::resolved);          /* 4 pages */
    CHECK(!f.shadow.take_flush_request());
    check_kind(f.shadow.handle_violation(1ull << 30, q::READ), ShadowFault::Kind::resolved); /* 6 pages */
    CHECK_EQ(f.shadow.rebuilds(), uint64_t(0));
    check_kind(f.shadow.handle_violation(2ull << 30, q::READ), ShadowFault::Kind::resolved); /* full: rebuilt */
    CHECK_EQ(f.shadow.rebuilds(), uint64_t(1));
    CHECK_EQ(f.pool.pages_in_use(), size_t(4));
    CHECK(f.shadow.take_flush_request());
    CHECK(f.shadow.active());
    CHECK_EQ(f.shadow_tables.live(), size_t(4)); /* nothing leaked through the rebuild */
}

UNIT_TEST(shadow_ept_reports_out_of_memory_when_one_path_does_not_fit)
{
    Fixture f(3);
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    check_kind(f.shadow.handle_violation(0x5000, q::READ), ShadowFault::Kind::out_of_memory);
    CHECK(f.pool.pages_in_use() <= size_t(3));
    CHECK_EQ(f.shadow_tables.live(), f.pool.pages_in_use());
}

UNIT_TEST(shadow_ept_gives_its_pages_back_when_destroyed)
{
    Fixture f;
    CHECK(f.ept12.map_page(0x5000, 0x1000, EptPageSize::page_4k, EptAccess::all) == vmx::EptError::none);
    {
        ShadowEpt second(f.pool, f.ept01, f.l1, f.capabilities);
        CHECK(second.use(f.eptp12()));
        check_kind(second.handle_violation(0x5000, q::READ), ShadowFault::Kind::resolved);
        CHECK_EQ(f.pool.pages_in_use(), size_t(1 + 4));
    }
    CHECK_EQ(f.pool.pages_in_use(), size_t(1)); /* the fixture's own root */
    CHECK_EQ(f.shadow_tables.live(), size_t(1));
}

UNIT_TEST(shadow_ept_eptp12_checks_follow_checks_on_vmx_controls)
{
    EptCapabilities12 capabilities;
    CHECK(eptp12_valid(0x5000 | 0x1E, capabilities));      /* WB, 4 levels */
    CHECK(eptp12_valid(0x5000 | 0x18, capabilities));      /* UC */
    CHECK(!eptp12_valid(0x5000 | 0x19, capabilities));     /* WC is not a valid EPT structure type */
    CHECK(!eptp12_valid(0x5000 | 0x26, capabilities));     /* a 5-level walk */
    CHECK(!eptp12_valid(0x5000 | 0x16, capabilities));     /* a 3-level walk */
    CHECK(!eptp12_valid(0x5000 | 0x5E, capabilities));     /* A/D not offered */
    CHECK(!eptp12_valid(0x5000 | 0x9E, capabilities));     /* bit 7 reserved */
    CHECK(!eptp12_valid(0x5000 | 0x81E, capabilities));    /* bit 11 reserved */
    CHECK(!eptp12_valid((1ull << 36) | 0x1E, capabilities)); /* beyond MAXPHYADDR */
    CHECK(!eptp12_valid((1ull << 63) | 0x1E, capabilities));
    capabilities.accessed_dirty = true;
    capabilities.physical_address_bits = 39;
    CHECK(eptp12_valid(0x5000 | 0x5E, capabilities));
    CHECK(eptp12_valid((1ull << 38) | 0x1E, capabilities));
}
