/* L2's guest-physical memory as L0 reads and writes it on L1's behalf (string
 * port I/O and L1's MMIO that L2 reaches): each L2-physical address goes through
 * L1's EPT (EPTP12, tables in L1's memory, walk_l1_ept) to an L1-physical one and
 * then to L1's RAM, with the rights L1's EPT gives. Intel SDM (revision 084),
 * Vol. 3C, "EPT Translation Mechanism". Put under L2's own paging
 * (guest_paging::PagedGuestMemory), it is L2's memory by linear address. Pure
 * logic over L1's RAM, unit-tested in tests/unit/l2_memory_test.cpp.
 *
 * An access that L1's EPT does not allow (not mapped, missing rights,
 * misconfigured), or that lands outside L1's RAM, fails whole. refusal() says
 * which L2-physical address L1's EPT refused and with what rights, so that
 * string I/O can give L1 the EPT violation or misconfiguration the CPU would
 * (l2_exits.cpp); an access landing outside L1's RAM (L1's device memory) is
 * no refusal of L1's EPT. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"
#include "hypervisor/nested/shadow_ept.h"

#include <stddef.h>
#include <stdint.h>

namespace nested {

class L2Memory final : public guest_paging::GuestPhysicalMemory {
public:
    L2Memory(guest_paging::GuestPhysicalMemory& l1_ram, uint64_t eptp12, const EptCapabilities12& capabilities)
        : l1_ram_(l1_ram), eptp12_(eptp12), capabilities_(capabilities)
    {
    }

    /* "RAM" here: every byte mapped readable by L1's EPT onto L1's RAM. */
    bool is_ram(uint64_t l2_physical, uint64_t length) const override;
    /* Mapped writable (and readable) by L1's EPT onto L1's RAM. */
    bool is_writable_ram(uint64_t l2_physical, uint64_t length) const override;
    [[nodiscard]] bool read(uint64_t l2_physical, void* bytes, size_t length) override;
    /* Needs write rights in L1's EPT for every byte; checked whole first. */
    [[nodiscard]] bool write(uint64_t l2_physical, const void* bytes, size_t length) override;
    /* Only pages L1's EPT maps readable and writable (map() does not say which
     * access it is for), up to the end of L1's page or of L1's RAM run. */
    uint8_t* host_address(uint64_t l2_physical, uint64_t& contiguous) override;

    /* L2-physical to L1-physical for `access_bits` (ept_violation_bits::READ,
     * WRITE): false when L1's EPT refuses; `in_page` is how many bytes from
     * there stay in L1's page. */
    [[nodiscard]] bool translate(uint64_t l2_physical, uint64_t access_bits, uint64_t& l1_physical,
                                 uint64_t& in_page) const;

    /* The last translation L1's EPT refused (valid false: none yet). */
    struct Refusal {
        bool valid = false;
        bool misconfiguration = false;
        uint64_t l2_physical = 0;
        vmx::EptAccess rights = vmx::EptAccess::none; /* the AND of bits 2:0 of the entries walked */
    };
    const Refusal& refusal() const { return refusal_; }

private:
    /* Calls visit(l1_physical, offset in the buffer, piece length) for each piece of
     * [l2_physical, +length) inside one L1 page; false at the first refusal. */
    template <typename Visit>
    bool for_each_piece(uint64_t l2_physical, uint64_t length, uint64_t access_bits, Visit visit) const;

    guest_paging::GuestPhysicalMemory& l1_ram_;
    uint64_t eptp12_;
    EptCapabilities12 capabilities_;
    mutable Refusal refusal_;
};

} // namespace nested
