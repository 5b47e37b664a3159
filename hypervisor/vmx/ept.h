/* Extended page tables: entry and EPT-pointer encoding, and a four-level hierarchy
 * that maps guest-physical to host-physical memory with the largest pages that fit.
 * Follows the Intel SDM (revision 084), Vol. 3C, "The Extended Page Table Mechanism
 * (EPT)" (the "Format of an EPT ..." tables, "EPT and Memory Typing") and
 * "Extended-Page-Table Pointer (EPTP)". Pure logic: table pages come from the
 * caller's EptPageAllocator, so the build machine's unit tests can drive it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace vmx {

enum class EptAccess : uint8_t {
    none = 0,
    read = 1,
    write = 2,
    execute = 4,
    read_write = 3,
    read_execute = 5,
    all = 7,
};
constexpr EptAccess operator|(EptAccess a, EptAccess b) { return EptAccess(uint8_t(a) | uint8_t(b)); }

/* The memory types of "EPT and Memory Typing" (the same numbers as the PAT's). */
enum class EptMemoryType : uint8_t {
    uncacheable = 0,
    write_combining = 1,
    write_through = 4,
    write_protected = 5,
    write_back = 6,
};

enum class EptPageSize : uint8_t { page_4k, page_2m, page_1g };
constexpr uint64_t page_bytes(EptPageSize size)
{
    return size == EptPageSize::page_4k ? 0x1000 : size == EptPageSize::page_2m ? 0x200000 : 0x40000000;
}

/* Bits of an EPT paging-structure entry. */
namespace ept_bits {
constexpr uint64_t READ = 1ull << 0;
constexpr uint64_t WRITE = 1ull << 1;
constexpr uint64_t EXECUTE = 1ull << 2;
constexpr uint64_t ACCESS_MASK = READ | WRITE | EXECUTE;
constexpr unsigned MEMORY_TYPE_SHIFT = 3; /* bits 5:3, leaf entries only */
constexpr uint64_t MEMORY_TYPE_MASK = 7ull << MEMORY_TYPE_SHIFT;
constexpr uint64_t IGNORE_PAT = 1ull << 6;
constexpr uint64_t LARGE_PAGE = 1ull << 7; /* in a PDPTE (1 GiB) or PDE (2 MiB): this entry maps a page */
constexpr uint64_t ACCESSED = 1ull << 8;
constexpr uint64_t DIRTY = 1ull << 9; /* leaf entries only */
constexpr uint64_t SUPPRESS_VE = 1ull << 63;
constexpr uint64_t ADDRESS_MASK = 0x000FFFFFFFFFF000ull; /* bits 51:12 (up to MAXPHYADDR) */
} // namespace ept_bits

/* A PML4E, PDPTE or PDE that references the next table. Access is granted here
 * for everything and restricted at the leaves: the walk ANDs the rights. */
constexpr uint64_t ept_table_entry(uint64_t table_physical, EptAccess access = EptAccess::all)
{
    return (table_physical & ept_bits::ADDRESS_MASK) | uint64_t(access);
}

/* A PTE (4 KiB), a PDE with the large-page bit (2 MiB) or a PDPTE with it (1 GiB). */
constexpr uint64_t ept_page_entry(uint64_t page_physical, EptPageSize size, EptAccess access,
                                  EptMemoryType type = EptMemoryType::write_back)
{
    uint64_t entry = (page_physical & ept_bits::ADDRESS_MASK) | uint64_t(access) |
                     (uint64_t(type) << ept_bits::MEMORY_TYPE_SHIFT);
    return size == EptPageSize::page_4k ? entry : entry | ept_bits::LARGE_PAGE;
}

/* EPTP: memory type of the structures (write-back, 6) in bits 2:0, the page-walk
 * length minus one (4 levels: 3) in bits 5:3, accessed/dirty flags in bit 6. */
constexpr uint64_t EPTP_WRITE_BACK = 6;
constexpr uint64_t EPTP_WALK_LENGTH_4 = 3ull << 3;
constexpr uint64_t EPTP_ACCESSED_DIRTY = 1ull << 6;
constexpr uint64_t ept_pointer(uint64_t pml4_physical, bool accessed_dirty = false)
{
    return (pml4_physical & ept_bits::ADDRESS_MASK) | EPTP_WRITE_BACK | EPTP_WALK_LENGTH_4 |
           (accessed_dirty ? EPTP_ACCESSED_DIRTY : 0);
}

/* Where the hierarchy's table pages come from. */
class EptPageAllocator {
public:
    struct Page {
        uint64_t physical; /* 4 KiB aligned */
        uint64_t* entries; /* 512 zeroed entries; nullptr when out of memory */
    };
    virtual Page allocate_table() = 0;
    /* The entries of a page that allocate_table returned, by its physical address. */
    virtual uint64_t* table_at(uint64_t physical) = 0;
    virtual void free_table(uint64_t physical) = 0;

protected:
    ~EptPageAllocator() = default;
};

enum class EptError : uint8_t {
    none,
    out_of_memory,
    misaligned,
    already_mapped,
    address_too_large,
    runs_too_short,
    no_root,
    not_done, /* the exercise's stub (hypervisor/exercise.h) */
};
const char* ept_error_text(EptError error);

struct EptTranslation {
    bool mapped;
    uint64_t host_physical;
    EptPageSize page_size;
    EptAccess access;
    EptMemoryType memory_type;
};

/* The highest guest-physical address a four-level walk reaches, plus one. */
constexpr uint64_t EPT_GUEST_LIMIT = 1ull << 48;

class EptHierarchy {
public:
    explicit EptHierarchy(EptPageAllocator& allocator) : allocator_(allocator) {}

    /* Allocates the PML4. */
    [[nodiscard]] EptError create();
    /* Maps [guest, guest + length) to [host, host + length), with 2 MiB pages where
     * both addresses are 2 MiB aligned and 2 MiB remain, 4 KiB pages elsewhere. */
    [[nodiscard]] EptError map(uint64_t guest_physical, uint64_t host_physical, uint64_t length, EptAccess access,
                               EptMemoryType type = EptMemoryType::write_back);
    [[nodiscard]] EptError map_page(uint64_t guest_physical, uint64_t host_physical, EptPageSize size,
                                    EptAccess access, EptMemoryType type = EptMemoryType::write_back);
    /* As map_page, but a page of the same size already mapped there is replaced
     * (the nested shadow EPT refreshes a leaf when L1's EPT changed it). */
    [[nodiscard]] EptError remap_page(uint64_t guest_physical, uint64_t host_physical, EptPageSize size,
                                      EptAccess access, EptMemoryType type = EptMemoryType::write_back);
    EptTranslation translate(uint64_t guest_physical) const;

    uint64_t pml4_physical() const { return pml4_physical_; }
    uint64_t pointer(bool accessed_dirty = false) const { return ept_pointer(pml4_physical_, accessed_dirty); }
    /* Every table page, each after all the tables it references (a safe order to free). */
    void for_each_table(void (*visit)(uint64_t physical, void* context), void* context) const;
    size_t table_count() const;
    /* Frees every table page through the allocator; the hierarchy is empty after. */
    void destroy();

private:
    uint64_t* entry_for(uint64_t guest_physical, unsigned leaf_level, EptError& error);
    [[nodiscard]] EptError set_page(uint64_t guest_physical, uint64_t host_physical, EptPageSize size,
                                    EptAccess access, EptMemoryType type, bool replace);
    void visit_table(uint64_t physical, unsigned level, void (*visit)(uint64_t, void*), void* context) const;

    EptPageAllocator& allocator_;
    uint64_t pml4_physical_ = 0;
    bool created_ = false;
};

/* A piece of host memory backing guest RAM. */
struct HostRun {
    uint64_t host_physical;
    uint64_t length;
};

/* A guest-physical range [start, end). */
struct GuestRange {
    uint64_t start;
    uint64_t end;
};

/* Maps guest RAM [0, ram_size): the runs back it one after another (guest address
 * 0 is the first run's start), and the holes stay unmapped (their backing is
 * skipped, so the host offsets of the rest stay put). Everything 4 KiB aligned. */
[[nodiscard]] EptError map_guest_ram(EptHierarchy& ept, uint64_t ram_size, const HostRun* runs, size_t run_count,
                                     const GuestRange* holes, size_t hole_count, EptAccess access = EptAccess::all);

} // namespace vmx
