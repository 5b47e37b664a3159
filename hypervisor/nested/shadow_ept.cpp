/* Nested EPT: walking L1's EPT for L2 and composing it with the host's EPT for L1;
 * see shadow_ept.h. Levels count as the walk goes: 4 the PML4, 1 the page table. */
#include "hypervisor/nested/shadow_ept.h"

namespace nested {

using vmx::EptAccess;
using vmx::EptMemoryType;
namespace bits = vmx::ept_bits;

namespace {

constexpr uint64_t PAGE_4K = 0x1000;

/* Entry bits from MAXPHYADDR to 51: reserved in every EPT entry ("EPT
 * Misconfigurations"). MAXPHYADDR is at most 52 and at least 36 on any CPU we
 * emulate; a value outside that range is clamped. */
uint64_t reserved_address_bits(const EptCapabilities12& capabilities)
{
    unsigned width = capabilities.physical_address_bits;
    width = width < 36 ? 36 : width > 52 ? 52 : width;
    return ((1ull << 52) - 1) & ~((1ull << width) - 1);
}

constexpr uint64_t bit_range(unsigned high, unsigned low) { return ((2ull << high) - 1) & ~((1ull << low) - 1); }

/* Memory types 2, 3 and 7 are reserved in a leaf entry's bits 5:3. */
constexpr bool bad_memory_type(uint64_t entry)
{
    uint64_t type = (entry & bits::MEMORY_TYPE_MASK) >> bits::MEMORY_TYPE_SHIFT;
    return type == 2 || type == 3 || type == 7;
}

constexpr bool maps_page(uint64_t entry, unsigned level)
{
    return level == 1 || (level <= 3 && (entry & bits::LARGE_PAGE));
}

constexpr uint64_t page_size_at(unsigned level) { return level == 1 ? PAGE_4K : level == 2 ? 0x200000 : 0x40000000; }

/* "EPT Misconfigurations", for a present entry (one of bits 2:0 set) at `level`:
 * write without read, execute-only unless offered, reserved bits, and a leaf's
 * reserved memory type. The tables "Format of an EPT PML4 Entry" ... "Format of an
 * EPT Page-Table Entry" say which bits are reserved at which level. */
bool misconfigured(uint64_t entry, unsigned level, const EptCapabilities12& capabilities)
{
    uint64_t rights = entry & bits::ACCESS_MASK;
    if ((rights & (bits::READ | bits::WRITE)) == bits::WRITE)
        return true;
    if (rights == bits::EXECUTE && !capabilities.execute_only)
        return true;
    if (entry & reserved_address_bits(capabilities))
        return true;
    bool leaf = maps_page(entry, level);
    switch (level) {
    case 4: return entry & bit_range(7, 3);
    case 3:
        if (!leaf)
            return entry & bit_range(6, 3);
        return !capabilities.page_1g || (entry & bit_range(29, 12)) || bad_memory_type(entry);
    case 2:
        if (!leaf)
            return entry & bit_range(6, 3);
        return (entry & bit_range(20, 12)) || bad_memory_type(entry);
    default: return bad_memory_type(entry);
    }
}

constexpr unsigned index_at(uint64_t address, unsigned level) { return unsigned(address >> (12 + 9 * (level - 1))) & 511; }

} // namespace

bool eptp12_valid(uint64_t eptp12, const EptCapabilities12& capabilities)
{
    uint64_t type = eptp12 & 7;
    if (type != uint64_t(EptMemoryType::uncacheable) && type != uint64_t(EptMemoryType::write_back))
        return false;
    if ((eptp12 & bit_range(5, 3)) != vmx::EPTP_WALK_LENGTH_4)
        return false;
    if ((eptp12 & vmx::EPTP_ACCESSED_DIRTY) && !capabilities.accessed_dirty)
        return false;
    uint64_t reserved = bit_range(11, 7) | (reserved_address_bits(capabilities) | bit_range(63, 52));
    return !(eptp12 & reserved);
}

L1EptWalk walk_l1_ept(guest_paging::GuestPhysicalReader& l1_memory, uint64_t eptp12, uint64_t l2_physical,
                      uint64_t access_bits, const EptCapabilities12& capabilities)
{
    L1EptWalk walk;
    walk.level = 4;
    if (l2_physical >= vmx::EPT_GUEST_LIMIT)
        return walk; /* beyond a 4-level walk: nothing maps it */
    uint64_t table = eptp12 & bits::ADDRESS_MASK & ~reserved_address_bits(capabilities);
    uint64_t rights = bits::ACCESS_MASK;
    for (unsigned level = 4; level >= 1; --level) {
        walk.level = uint8_t(level);
        uint64_t entry = 0;
        if (!l1_memory.read(table + index_at(l2_physical, level) * sizeof(uint64_t), &entry, sizeof entry))
            entry = 0; /* a table outside L1's RAM reads as not present (see the header) */
        if (!(entry & bits::ACCESS_MASK)) {
            walk.rights = EptAccess::none; /* the AND includes this entry's zero bits */
            return walk;
        }
        if (misconfigured(entry, level, capabilities)) {
            walk.outcome = L1EptWalk::Outcome::misconfiguration;
            return walk;
        }
        rights &= entry;
        if (maps_page(entry, level)) {
            walk.rights = EptAccess(rights);
            if (access_bits & ept_violation_bits::ACCESS_MASK & ~rights)
                return walk; /* "EPT Violations": the access needs a right the walk took away */
            uint64_t size = page_size_at(level);
            walk.outcome = L1EptWalk::Outcome::mapped;
            walk.page_size = size;
            walk.l1_physical = (entry & bits::ADDRESS_MASK & ~(size - 1)) | (l2_physical & (size - 1));
            walk.memory_type = EptMemoryType((entry & bits::MEMORY_TYPE_MASK) >> bits::MEMORY_TYPE_SHIFT);
            return walk;
        }
        table = entry & bits::ADDRESS_MASK;
    }
    return walk; /* not reached: level 1 always maps a page */
}

vmx::EptPageAllocator::Page BoundedEptPool::allocate_table()
{
    if (in_use_ >= limit_)
        return {0, nullptr};
    Page page = backing_.allocate_table();
    if (page.entries)
        ++in_use_;
    return page;
}

void BoundedEptPool::free_table(uint64_t physical)
{
    backing_.free_table(physical);
    --in_use_;
}

bool ShadowEpt::use(uint64_t eptp12)
{
    if (active_ && (eptp12 & bits::ADDRESS_MASK) == (eptp12_ & bits::ADDRESS_MASK)) {
        eptp12_ = eptp12;
        return true;
    }
    drop();
    if (shadow_.create() != vmx::EptError::none)
        return false;
    active_ = true;
    eptp12_ = eptp12;
    return true;
}

ShadowFault ShadowEpt::handle_violation(uint64_t l2_physical, uint64_t qualification02)
{
    namespace q = ept_violation_bits;
    uint64_t access = qualification02 & q::ACCESS_MASK;
    L1EptWalk walk = walk_l1_ept(l1_memory_, eptp12_, l2_physical, access, capabilities_);
    if (walk.outcome == L1EptWalk::Outcome::violation) {
        /* L2's access as the CPU saw it, with the rights L1's own walk found. */
        uint64_t qualification12 = (qualification02 & q::FROM_ACCESS) | (uint64_t(walk.rights) << q::RIGHTS_SHIFT);
        return {ShadowFault::Kind::reflect_violation, qualification12, 0};
    }
    if (walk.outcome == L1EptWalk::Outcome::misconfiguration)
        return {ShadowFault::Kind::reflect_misconfiguration, 0, 0};

    /* L1 allows it; now the host's EPT for L1 must too, page by page. */
    vmx::EptTranslation host = l1_ept_.translate(walk.l1_physical & ~(PAGE_4K - 1));
    uint64_t host_rights = host.mapped ? uint64_t(host.access) : 0;
    if (access & ~host_rights || !host.mapped)
        return {ShadowFault::Kind::l1_fault, 0, walk.l1_physical};
    auto rights = EptAccess(uint64_t(walk.rights) & host_rights);
    if (!install(l2_physical & ~(PAGE_4K - 1), host.host_physical, rights, walk.memory_type))
        return {ShadowFault::Kind::out_of_memory, 0, 0};
    return {ShadowFault::Kind::resolved, 0, 0};
}

void ShadowEpt::invalidate_context(uint64_t eptp12)
{
    if (active_ && (eptp12 & bits::ADDRESS_MASK) == (eptp12_ & bits::ADDRESS_MASK))
        drop();
}

bool ShadowEpt::take_flush_request()
{
    bool requested = flush_requested_;
    flush_requested_ = false;
    return requested;
}

void ShadowEpt::drop()
{
    if (!active_)
        return;
    shadow_.destroy();
    active_ = false;
    flush_requested_ = true;
}

/* A 4 KiB shadow leaf. When the pool is full the shadow starts over from an empty
 * root (L2 then faults its working set back in) and tries once more. */
bool ShadowEpt::install(uint64_t l2_page, uint64_t host_page, EptAccess rights, EptMemoryType type)
{
    vmx::EptError error = shadow_.remap_page(l2_page, host_page, vmx::EptPageSize::page_4k, rights, type);
    if (error != vmx::EptError::out_of_memory)
        return error == vmx::EptError::none;
    ++rebuilds_;
    uint64_t eptp12 = eptp12_;
    drop();
    if (!use(eptp12))
        return false;
    return shadow_.remap_page(l2_page, host_page, vmx::EptPageSize::page_4k, rights, type) == vmx::EptError::none;
}

} // namespace nested
