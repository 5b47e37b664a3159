/* Nested EPT: the shadow EPT the CPU walks while L2 runs. It composes L1's EPT for
 * L2 (EPTP12, tables in L1's memory, read and never trusted) with the host's EPT
 * for L1 (guest-physical 1 -> host-physical), filled lazily, one 4 KiB page per
 * EPT violation of VMCS02, from a bounded pool of table pages.
 * Follows the Intel SDM (revision 084), Vol. 3C, "VMX Support for Address
 * Translation" ("EPT Translation Mechanism", "EPT Misconfigurations", "EPT
 * Violations", "Invalidation of TLBs and Paging-Structure Caches"), "Exit
 * Qualification for EPT Violations" and "Checks on VMX Controls" (the EPTP).
 * Pure logic: L1's memory, the host's EPT for L1 and the table pages come from the
 * caller, so the build machine's unit tests drive it (tests/unit/shadow_ept_test.cpp).
 *
 * What invalidates the shadow (its entries are the "combined mappings" that the
 * SDM lets a CPU cache under the EP4TA of EPTP12): INVEPT single-context of the
 * same EP4TA and all-context; entering L2 with another EPTP12 (one shadow per
 * vCPU, so a switch drops the old one); a full pool (dropped and rebuilt); and an
 * EPT violation refreshes the one page it is about, as the SDM has the CPU do. L1
 * changing its EPT without INVEPT may leave stale, never wider, rights: allowed. */
#pragma once
#include "hypervisor/memory/guest_page_walk.h"
#include "hypervisor/vmx/ept.h"

#include <stddef.h>
#include <stdint.h>

namespace nested {

/* The EPT features L1 was offered (IA32_VMX_EPT_VPID_CAP and MAXPHYADDR as L1
 * sees them): what an L1 EPT entry may use without being misconfigured. */
struct EptCapabilities12 {
    bool execute_only = false;       /* bit 0: execute-only entries (bits 2:0 = 100b) */
    bool page_1g = false;            /* bit 17: PDPTEs that map 1 GiB pages */
    bool accessed_dirty = false;     /* bit 21: EPTP bit 6 (refused to L1, see nested docs) */
    uint8_t physical_address_bits = 36; /* entry and EPTP bits from here to 51 (63 for the EPTP) are reserved */
};

/* The EPT-violation exit qualification ("Exit Qualification for EPT Violations"). */
namespace ept_violation_bits {
constexpr uint64_t READ = 1ull << 0;  /* the access was a data read */
constexpr uint64_t WRITE = 1ull << 1; /* a data write */
constexpr uint64_t FETCH = 1ull << 2; /* an instruction fetch */
constexpr uint64_t ACCESS_MASK = READ | WRITE | FETCH;
constexpr unsigned RIGHTS_SHIFT = 3; /* bits 5:3: the AND of bits 2:0 of the entries walked */
constexpr uint64_t READABLE = 1ull << 3;
constexpr uint64_t WRITABLE = 1ull << 4;
constexpr uint64_t EXECUTABLE = 1ull << 5;
constexpr uint64_t LINEAR_VALID = 1ull << 7;       /* the guest-linear-address field is valid */
constexpr uint64_t LINEAR_TRANSLATION = 1ull << 8; /* the access was to the page, not to a paging entry */
constexpr uint64_t NMI_UNBLOCKING = 1ull << 12;    /* NMI unblocking due to IRET */
/* What describes L2's access itself and is the same whichever EPT refused it. */
constexpr uint64_t FROM_ACCESS = ACCESS_MASK | LINEAR_VALID | LINEAR_TRANSLATION | NMI_UNBLOCKING;
} // namespace ept_violation_bits

/* "Checks on VMX Controls": the EPTP12 L1 may enter with: memory type UC or WB,
 * a 4-level walk, A/D only if offered, bits 11:7 and from MAXPHYADDR up clear. */
bool eptp12_valid(uint64_t eptp12, const EptCapabilities12& capabilities);

/* One walk of L1's EPT for one L2 access. */
struct L1EptWalk {
    enum class Outcome : uint8_t { mapped, violation, misconfiguration };
    Outcome outcome = Outcome::violation;
    uint8_t level = 0;            /* the entry that ended the walk: 4 the PML4E ... 1 the PTE */
    vmx::EptAccess rights = vmx::EptAccess::none; /* the AND of bits 2:0 of the entries walked */
    uint64_t l1_physical = 0;     /* mapped: the guest-physical-1 address of the byte */
    uint64_t page_size = 0;       /* mapped: of L1's page holding it */
    vmx::EptMemoryType memory_type = vmx::EptMemoryType::write_back; /* mapped: the leaf's type */
};

/* Walks the EPT at EPTP12 for `l2_physical` and the access of `access_bits`
 * (ept_violation_bits::READ/WRITE/FETCH). A table that is not L1 RAM reads as a
 * not-present entry (an EPT violation to L1: hardware would read whatever lies
 * there; L0 refuses to read anything but L1's RAM). */
L1EptWalk walk_l1_ept(guest_paging::GuestPhysicalReader& l1_memory, uint64_t eptp12, uint64_t l2_physical,
                      uint64_t access_bits, const EptCapabilities12& capabilities);

/* A pool of table pages with a ceiling, over the host's allocator: the most host
 * memory a VM's shadow tables can take, and what it took (for the overhead). */
class BoundedEptPool final : public vmx::EptPageAllocator {
public:
    BoundedEptPool(vmx::EptPageAllocator& backing, size_t page_limit) : backing_(backing), limit_(page_limit) {}

    Page allocate_table() override;
    uint64_t* table_at(uint64_t physical) override { return backing_.table_at(physical); }
    void free_table(uint64_t physical) override;

    size_t pages_in_use() const { return in_use_; }
    size_t page_limit() const { return limit_; }

private:
    vmx::EptPageAllocator& backing_;
    size_t limit_;
    size_t in_use_ = 0;
};

/* What an EPT violation of VMCS02 turns into. */
struct ShadowFault {
    enum class Kind : uint8_t {
        resolved,              /* the shadow maps the page now: resume L2 */
        reflect_violation,     /* L1's EPT refuses: an EPT violation exit (48) to L1 */
        reflect_misconfiguration, /* L1's EPT is misconfigured: an EPT misconfiguration exit (49) to L1 */
        l1_fault,              /* L1's EPT allows it, but the host's EPT for L1 does not (L1's own MMIO
                                  or a page the host keeps): L0 handles it as L1's access to l1_physical */
        out_of_memory,         /* not even an empty pool holds one path of tables */
    };
    Kind kind = Kind::out_of_memory;
    uint64_t qualification12 = 0; /* reflect_violation: VMCS12's exit qualification */
    uint64_t l1_physical = 0;     /* l1_fault: the guest-physical-1 address */
};

class ShadowEpt {
public:
    /* `l1_ept` is the host's EPT for L1; `l1_memory` reads L1's RAM. */
    ShadowEpt(BoundedEptPool& pool, const vmx::EptHierarchy& l1_ept, guest_paging::GuestPhysicalReader& l1_memory,
              const EptCapabilities12& capabilities)
        : pool_(pool), l1_ept_(l1_ept), l1_memory_(l1_memory), capabilities_(capabilities), shadow_(pool)
    {
    }
    ~ShadowEpt() { drop(); }
    ShadowEpt(const ShadowEpt&) = delete;
    ShadowEpt& operator=(const ShadowEpt&) = delete;

    /* At each entry to L2: shadow EPTP12 (checked with eptp12_valid before); a
     * different EP4TA than the one shadowed drops the shadow. False when out of
     * memory for the root. */
    [[nodiscard]] bool use(uint64_t eptp12);
    /* The EPTP VMCS02 runs with (valid after use()). */
    uint64_t pointer() const { return shadow_.pointer(); }

    /* An EPT violation of VMCS02 at `l2_physical` with VMCS02's exit qualification. */
    ShadowFault handle_violation(uint64_t l2_physical, uint64_t qualification02);

    /* INVEPT single-context: drops the shadow when it shadows EPTP12's EP4TA. */
    void invalidate_context(uint64_t eptp12);
    /* INVEPT all-context, VMXOFF, a change of the host's EPT for L1. */
    void invalidate_all() { drop(); }

    /* True once after the shadow's tables were freed (dropped, or rebuilt when
     * full): the CPU may still cache combined mappings through them, and a freed
     * root can come back as the new one, so L0 runs INVEPT (all-context) before
     * it enters L2 again, and writes pointer() into VMCS02 at every entry. */
    [[nodiscard]] bool take_flush_request();

    bool active() const { return active_; }
    uint64_t eptp12() const { return eptp12_; }
    const EptCapabilities12& capabilities() const { return capabilities_; }
    size_t table_count() const { return pool_.pages_in_use(); }
    /* How often a full pool made the shadow start over. */
    uint64_t rebuilds() const { return rebuilds_; }

private:
    void drop();
    [[nodiscard]] bool install(uint64_t l2_page, uint64_t host_page, vmx::EptAccess rights,
                               vmx::EptMemoryType type);

    BoundedEptPool& pool_;
    const vmx::EptHierarchy& l1_ept_;
    guest_paging::GuestPhysicalReader& l1_memory_;
    EptCapabilities12 capabilities_;
    vmx::EptHierarchy shadow_;
    bool active_ = false;
    bool flush_requested_ = false;
    uint64_t eptp12_ = 0;
    uint64_t rebuilds_ = 0;
};

} // namespace nested
