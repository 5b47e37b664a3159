/* Nested page tables: the second translation, guest-physical to host-physical,
 * that SVM's nested paging walks after the guest's own page tables. Follows the
 * AMD64 APM Vol. 2, "Nested Paging" (in chapter "Secure Virtual Machine"): the
 * nested tables have the format of the host's long-mode tables ("Long-Mode
 * Page Translation", four levels from nCR3); every guest access, page-table
 * walks included, is checked as a user access, so each entry sets U/S. Pure
 * logic: table pages come from the caller's NptPageAllocator, so the build
 * machine's unit tests drive it (tests/unit/npt_test.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace svm {

/* Bits of a long-mode paging-structure entry ("Long-Mode Page Translation",
 * the 4-Kbyte and 2-Mbyte page tables' formats). */
namespace npt_bits {
constexpr uint64_t PRESENT = 1ull << 0;
constexpr uint64_t WRITABLE = 1ull << 1;
constexpr uint64_t USER = 1ull << 2;
constexpr uint64_t LARGE_PAGE = 1ull << 7; /* PS: in a PDE (2 MiB) this entry maps a page */
constexpr uint64_t NO_EXECUTE = 1ull << 63;
constexpr uint64_t ADDRESS_MASK = 0x000FFFFFFFFFF000ull; /* bits 51:12 */
} // namespace npt_bits

enum class NptPageSize : uint8_t { page_4k, page_2m };
constexpr uint64_t npt_page_bytes(NptPageSize size) { return size == NptPageSize::page_4k ? 0x1000 : 0x200000; }

/* A PML4E, PDPTE or PDE that references the next table: present, writable and
 * user, since the rights of every level are ANDed and the leaves decide. */
constexpr uint64_t npt_table_entry(uint64_t table_physical)
{
    return (table_physical & npt_bits::ADDRESS_MASK) | npt_bits::PRESENT | npt_bits::WRITABLE | npt_bits::USER;
}

/* A PTE (4 KiB) or a PDE with PS (2 MiB). PAT, PCD and PWT stay 0: write-back,
 * combined with the guest's own memory type ("Combining Memory Types"). */
constexpr uint64_t npt_page_entry(uint64_t page_physical, NptPageSize size, bool writable)
{
    uint64_t entry = (page_physical & npt_bits::ADDRESS_MASK) | npt_bits::PRESENT | npt_bits::USER |
                     (writable ? npt_bits::WRITABLE : 0);
    return size == NptPageSize::page_4k ? entry : entry | npt_bits::LARGE_PAGE;
}

/* Where the tables' pages come from. */
class NptPageAllocator {
public:
    struct Page {
        uint64_t physical; /* 4 KiB aligned */
        uint64_t* entries; /* 512 zeroed entries; nullptr when out of memory */
    };
    virtual Page allocate_table() = 0;
    virtual uint64_t* table_at(uint64_t physical) = 0;
    virtual void free_table(uint64_t physical) = 0;

protected:
    ~NptPageAllocator() = default;
};

enum class NptError : uint8_t { none, out_of_memory, misaligned, already_mapped, address_too_large, no_root };
const char* npt_error_text(NptError error);

struct NptTranslation {
    bool mapped;
    uint64_t host_physical;
    NptPageSize page_size;
    bool writable;
};

/* The highest guest-physical address four levels reach, plus one. */
constexpr uint64_t NPT_GUEST_LIMIT = 1ull << 48;

class NestedPageTables {
public:
    explicit NestedPageTables(NptPageAllocator& allocator) : allocator_(allocator) {}

    /* Allocates the PML4, whose address goes into the VMCB's N_CR3. */
    [[nodiscard]] NptError create();
    /* Maps [guest, guest + length) to [host, host + length) with 2 MiB pages where
     * both addresses are 2 MiB aligned and 2 MiB remain, 4 KiB pages elsewhere. */
    [[nodiscard]] NptError map(uint64_t guest_physical, uint64_t host_physical, uint64_t length, bool writable = true);
    [[nodiscard]] NptError map_page(uint64_t guest_physical, uint64_t host_physical, NptPageSize size, bool writable);
    NptTranslation translate(uint64_t guest_physical) const;

    uint64_t root_physical() const { return root_physical_; }
    size_t table_count() const;
    /* Frees every table page through the allocator; the tables are empty after. */
    void destroy();

private:
    uint64_t* entry_for(uint64_t guest_physical, unsigned leaf_level, NptError& error);
    size_t release_table(uint64_t physical, unsigned level, bool free);

    NptPageAllocator& allocator_;
    uint64_t root_physical_ = 0;
};

} // namespace svm
