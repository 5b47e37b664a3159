/* Nested page table building and walking; see npt.h. Levels are numbered as the
 * walk goes: 4 is the PML4, 3 the PDPT, 2 the page directory, 1 the page table. */
#include "hypervisor/svm/npt.h"

namespace svm {

namespace {

constexpr uint64_t PAGE_4K = 0x1000;
constexpr uint64_t PAGE_2M = 0x200000;
constexpr uint64_t HOST_LIMIT = 1ull << 52;

constexpr unsigned index_at(uint64_t guest_physical, unsigned level)
{
    return unsigned(guest_physical >> (12 + 9 * (level - 1))) & 511;
}

constexpr bool is_present(uint64_t entry) { return entry & npt_bits::PRESENT; }
/* A PTE always maps a page; a PDE does with PS set (no 1 GiB pages are written). */
constexpr bool maps_page(uint64_t entry, unsigned level)
{
    return level == 1 || (level == 2 && (entry & npt_bits::LARGE_PAGE));
}
constexpr bool is_aligned(uint64_t value, uint64_t alignment) { return (value & (alignment - 1)) == 0; }

} // namespace

const char* npt_error_text(NptError error)
{
    switch (error) {
    case NptError::none: return "none";
    case NptError::out_of_memory: return "out of memory for nested page tables";
    case NptError::misaligned: return "address or length not page aligned";
    case NptError::already_mapped: return "guest-physical range already mapped";
    case NptError::address_too_large: return "address beyond what nested paging can map";
    case NptError::no_root: return "nested page tables not created";
    }
    return "?";
}

NptError NestedPageTables::create()
{
    NptPageAllocator::Page root = allocator_.allocate_table();
    if (!root.entries)
        return NptError::out_of_memory;
    root_physical_ = root.physical;
    return NptError::none;
}

uint64_t* NestedPageTables::entry_for(uint64_t guest_physical, unsigned leaf, NptError& error)
{
    uint64_t* table = allocator_.table_at(root_physical_);
    for (unsigned level = 4; level > leaf; --level) {
        uint64_t& entry = table[index_at(guest_physical, level)];
        if (is_present(entry) && maps_page(entry, level)) {
            error = NptError::already_mapped;
            return nullptr;
        }
        if (!is_present(entry)) {
            NptPageAllocator::Page next = allocator_.allocate_table();
            if (!next.entries) {
                error = NptError::out_of_memory;
                return nullptr;
            }
            entry = npt_table_entry(next.physical);
        }
        table = allocator_.table_at(entry & npt_bits::ADDRESS_MASK);
    }
    return &table[index_at(guest_physical, leaf)];
}

NptError NestedPageTables::map_page(uint64_t guest_physical, uint64_t host_physical, NptPageSize size, bool writable)
{
    if (!root_physical_)
        return NptError::no_root;
    uint64_t bytes = npt_page_bytes(size);
    if (!is_aligned(guest_physical, bytes) || !is_aligned(host_physical, bytes))
        return NptError::misaligned;
    if (guest_physical >= NPT_GUEST_LIMIT || host_physical >= HOST_LIMIT)
        return NptError::address_too_large;
    NptError error = NptError::none;
    uint64_t* entry = entry_for(guest_physical, size == NptPageSize::page_4k ? 1 : 2, error);
    if (!entry)
        return error;
    if (is_present(*entry))
        return NptError::already_mapped;
    *entry = npt_page_entry(host_physical, size, writable);
    return NptError::none;
}

NptError NestedPageTables::map(uint64_t guest_physical, uint64_t host_physical, uint64_t length, bool writable)
{
    if (!is_aligned(guest_physical | host_physical | length, PAGE_4K))
        return NptError::misaligned;
    if (guest_physical + length > NPT_GUEST_LIMIT || guest_physical + length < guest_physical)
        return NptError::address_too_large;
    while (length > 0) {
        bool large = is_aligned(guest_physical, PAGE_2M) && is_aligned(host_physical, PAGE_2M) && length >= PAGE_2M;
        NptPageSize size = large ? NptPageSize::page_2m : NptPageSize::page_4k;
        if (NptError error = map_page(guest_physical, host_physical, size, writable); error != NptError::none)
            return error;
        guest_physical += npt_page_bytes(size);
        host_physical += npt_page_bytes(size);
        length -= npt_page_bytes(size);
    }
    return NptError::none;
}

NptTranslation NestedPageTables::translate(uint64_t guest_physical) const
{
    NptTranslation none{false, 0, NptPageSize::page_4k, false};
    if (!root_physical_ || guest_physical >= NPT_GUEST_LIMIT)
        return none;
    const uint64_t* table = allocator_.table_at(root_physical_);
    bool writable = true;
    for (unsigned level = 4; level > 0; --level) {
        uint64_t entry = table[index_at(guest_physical, level)];
        if (!is_present(entry))
            return none;
        writable = writable && (entry & npt_bits::WRITABLE);
        if (maps_page(entry, level)) {
            NptPageSize size = level == 1 ? NptPageSize::page_4k : NptPageSize::page_2m;
            uint64_t page_mask = npt_page_bytes(size) - 1;
            return {true, (entry & npt_bits::ADDRESS_MASK & ~page_mask) + (guest_physical & page_mask), size, writable};
        }
        table = allocator_.table_at(entry & npt_bits::ADDRESS_MASK);
    }
    return none;
}

/* Visits the tables below `physical` before it (a safe order to free them) and
 * returns how many there were. */
size_t NestedPageTables::release_table(uint64_t physical, unsigned level, bool free)
{
    size_t count = 1;
    if (level > 1) {
        const uint64_t* table = allocator_.table_at(physical);
        for (unsigned i = 0; i < 512; ++i) {
            if (is_present(table[i]) && !maps_page(table[i], level))
                count += release_table(table[i] & npt_bits::ADDRESS_MASK, level - 1, free);
        }
    }
    if (free)
        allocator_.free_table(physical);
    return count;
}

size_t NestedPageTables::table_count() const
{
    return root_physical_ ? const_cast<NestedPageTables*>(this)->release_table(root_physical_, 4, false) : 0;
}

void NestedPageTables::destroy()
{
    if (root_physical_)
        release_table(root_physical_, 4, true);
    root_physical_ = 0;
}

} // namespace svm
