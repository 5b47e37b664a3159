/* EPT hierarchy building and walking; see ept.h. Levels are numbered as the walk
 * goes: 4 is the PML4, 3 the PDPT, 2 the page directory, 1 the page table. */
#include "hypervisor/vmx/ept.h"

#include "hypervisor/exercise.h"

namespace vmx {

namespace {

constexpr uint64_t PAGE_4K = 0x1000;
constexpr uint64_t PAGE_2M = 0x200000;
constexpr uint64_t HOST_LIMIT = 1ull << 52;

constexpr unsigned index_at(uint64_t guest_physical, unsigned level)
{
    return unsigned(guest_physical >> (12 + 9 * (level - 1))) & 511;
}

constexpr unsigned leaf_level(EptPageSize size)
{
    return size == EptPageSize::page_4k ? 1 : size == EptPageSize::page_2m ? 2 : 3;
}

/* An entry with none of read, write, execute is not present ("EPT Translation
 * Mechanism"); we never write execute-only or write-only entries. */
constexpr bool is_present(uint64_t entry) { return entry & ept_bits::ACCESS_MASK; }
/* A page table entry always maps a page; a PDE or PDPTE does with bit 7 set. */
constexpr bool maps_page(uint64_t entry, unsigned level)
{
    return level == 1 || (level <= 3 && (entry & ept_bits::LARGE_PAGE));
}
constexpr bool is_aligned(uint64_t value, uint64_t alignment) { return (value & (alignment - 1)) == 0; }

} // namespace

const char* ept_error_text(EptError error)
{
    switch (error) {
    case EptError::none: return "none";
    case EptError::out_of_memory: return "out of memory for EPT tables";
    case EptError::misaligned: return "address or length not page aligned";
    case EptError::already_mapped: return "guest-physical range already mapped";
    case EptError::address_too_large: return "address beyond what EPT can map";
    case EptError::runs_too_short: return "host runs smaller than guest RAM";
    case EptError::no_root: return "EPT hierarchy not created";
    case EptError::not_done: return MILESTONE_NOT_DONE(3, "map guest RAM with EPT (EptHierarchy::entry_for in hypervisor/vmx/ept.cpp)");
    }
    return "?";
}

EptError EptHierarchy::create()
{
    EptPageAllocator::Page root = allocator_.allocate_table();
    if (!root.entries)
        return EptError::out_of_memory;
    pml4_physical_ = root.physical;
    created_ = true;
    return EptError::none;
}

uint64_t* EptHierarchy::entry_for(uint64_t guest_physical, unsigned leaf, EptError& error)
{
    // SOLUTION BEGIN 3
    uint64_t* table = allocator_.table_at(pml4_physical_);
    for (unsigned level = 4; level > leaf; --level) {
        uint64_t& entry = table[index_at(guest_physical, level)];
        if (is_present(entry) && maps_page(entry, level)) {
            error = EptError::already_mapped;
            return nullptr;
        }
        if (!is_present(entry)) {
            EptPageAllocator::Page next = allocator_.allocate_table();
            if (!next.entries) {
                error = EptError::out_of_memory;
                return nullptr;
            }
            entry = ept_table_entry(next.physical);
        }
        table = allocator_.table_at(entry & ept_bits::ADDRESS_MASK);
    }
    return &table[index_at(guest_physical, leaf)];
    // SOLUTION STUB 3: /* milestone 3 is not done yet: walk from the PML4 down to level `leaf`, making missing tables. */
    // SOLUTION STUB 3: (void)guest_physical;
    // SOLUTION STUB 3: (void)leaf;
    // SOLUTION STUB 3: error = EptError::not_done;
    // SOLUTION STUB 3: return nullptr;
    // SOLUTION END 3
}

EptError EptHierarchy::map_page(uint64_t guest_physical, uint64_t host_physical, EptPageSize size, EptAccess access,
                                EptMemoryType type)
{
    return set_page(guest_physical, host_physical, size, access, type, false);
}

EptError EptHierarchy::remap_page(uint64_t guest_physical, uint64_t host_physical, EptPageSize size,
                                  EptAccess access, EptMemoryType type)
{
    return set_page(guest_physical, host_physical, size, access, type, true);
}

EptError EptHierarchy::set_page(uint64_t guest_physical, uint64_t host_physical, EptPageSize size, EptAccess access,
                                EptMemoryType type, bool replace)
{
    if (!created_)
        return EptError::no_root;
    uint64_t bytes = page_bytes(size);
    if (!is_aligned(guest_physical, bytes) || !is_aligned(host_physical, bytes))
        return EptError::misaligned;
    if (guest_physical >= EPT_GUEST_LIMIT || host_physical >= HOST_LIMIT)
        return EptError::address_too_large;
    EptError error = EptError::none;
    uint64_t* entry = entry_for(guest_physical, leaf_level(size), error);
    if (!entry)
        return error;
    if (is_present(*entry) && !replace)
        return EptError::already_mapped;
    *entry = ept_page_entry(host_physical, size, access, type);
    return EptError::none;
}

EptError EptHierarchy::map(uint64_t guest_physical, uint64_t host_physical, uint64_t length, EptAccess access,
                           EptMemoryType type)
{
    if (!is_aligned(guest_physical | host_physical | length, PAGE_4K))
        return EptError::misaligned;
    if (guest_physical + length > EPT_GUEST_LIMIT || guest_physical + length < guest_physical)
        return EptError::address_too_large;
    while (length > 0) {
        bool large = is_aligned(guest_physical, PAGE_2M) && is_aligned(host_physical, PAGE_2M) && length >= PAGE_2M;
        EptPageSize size = large ? EptPageSize::page_2m : EptPageSize::page_4k;
        if (EptError error = map_page(guest_physical, host_physical, size, access, type); error != EptError::none)
            return error;
        guest_physical += page_bytes(size);
        host_physical += page_bytes(size);
        length -= page_bytes(size);
    }
    return EptError::none;
}

EptTranslation EptHierarchy::translate(uint64_t guest_physical) const
{
    EptTranslation none{false, 0, EptPageSize::page_4k, EptAccess::none, EptMemoryType::uncacheable};
    if (!created_ || guest_physical >= EPT_GUEST_LIMIT)
        return none;
    const uint64_t* table = allocator_.table_at(pml4_physical_);
    for (unsigned level = 4; level > 0; --level) {
        uint64_t entry = table[index_at(guest_physical, level)];
        if (!is_present(entry))
            return none;
        if (maps_page(entry, level)) {
            EptPageSize size = level == 1   ? EptPageSize::page_4k
                               : level == 2 ? EptPageSize::page_2m
                                            : EptPageSize::page_1g;
            uint64_t offset = guest_physical & (page_bytes(size) - 1);
            return EptTranslation{
                true,
                (entry & ept_bits::ADDRESS_MASK & ~(page_bytes(size) - 1)) + offset,
                size,
                EptAccess(entry & ept_bits::ACCESS_MASK),
                EptMemoryType((entry & ept_bits::MEMORY_TYPE_MASK) >> ept_bits::MEMORY_TYPE_SHIFT),
            };
        }
        table = allocator_.table_at(entry & ept_bits::ADDRESS_MASK);
    }
    return none;
}

void EptHierarchy::visit_table(uint64_t physical, unsigned level, void (*visit)(uint64_t, void*), void* context) const
{
    if (level > 1) {
        const uint64_t* table = allocator_.table_at(physical);
        for (unsigned i = 0; i < 512; ++i) {
            if (is_present(table[i]) && !maps_page(table[i], level))
                visit_table(table[i] & ept_bits::ADDRESS_MASK, level - 1, visit, context);
        }
    }
    visit(physical, context);
}

void EptHierarchy::for_each_table(void (*visit)(uint64_t physical, void* context), void* context) const
{
    if (created_)
        visit_table(pml4_physical_, 4, visit, context);
}

size_t EptHierarchy::table_count() const
{
    size_t count = 0;
    for_each_table([](uint64_t, void* counter) { ++*static_cast<size_t*>(counter); }, &count);
    return count;
}

void EptHierarchy::destroy()
{
    auto free_table = [](uint64_t physical, void* allocator) {
        static_cast<EptPageAllocator*>(allocator)->free_table(physical);
    };
    for_each_table(free_table, &allocator_);
    created_ = false;
    pml4_physical_ = 0;
}

namespace {

/* Maps the part of [start, end) outside every hole; `host_base` backs guest 0 of this run. */
EptError map_around_holes(EptHierarchy& ept, uint64_t start, uint64_t end, uint64_t guest_base, uint64_t host_base,
                          const GuestRange* holes, size_t hole_count, EptAccess access)
{
    uint64_t cursor = start;
    while (cursor < end) {
        uint64_t next = end;
        bool in_hole = false;
        for (size_t i = 0; i < hole_count; ++i) {
            if (holes[i].start <= cursor && cursor < holes[i].end) {
                cursor = holes[i].end < end ? holes[i].end : end;
                in_hole = true;
                break;
            }
            if (holes[i].start > cursor && holes[i].start < next)
                next = holes[i].start;
        }
        if (in_hole)
            continue;
        EptError error = ept.map(cursor, host_base + (cursor - guest_base), next - cursor, access);
        if (error != EptError::none)
            return error;
        cursor = next;
    }
    return EptError::none;
}

} // namespace

EptError map_guest_ram(EptHierarchy& ept, uint64_t ram_size, const HostRun* runs, size_t run_count,
                       const GuestRange* holes, size_t hole_count, EptAccess access)
{
    for (size_t i = 0; i < hole_count; ++i) {
        if (!is_aligned(holes[i].start | holes[i].end, PAGE_4K))
            return EptError::misaligned;
    }
    uint64_t guest = 0;
    for (size_t i = 0; i < run_count && guest < ram_size; ++i) {
        if (!is_aligned(runs[i].host_physical | runs[i].length, PAGE_4K))
            return EptError::misaligned;
        uint64_t end = ram_size - guest < runs[i].length ? ram_size : guest + runs[i].length;
        EptError error = map_around_holes(ept, guest, end, guest, runs[i].host_physical, holes, hole_count, access);
        if (error != EptError::none)
            return error;
        guest = end;
    }
    return guest < ram_size ? EptError::runs_too_short : EptError::none;
}

} // namespace vmx
