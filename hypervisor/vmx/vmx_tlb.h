/* Invalidating the translations the CPU caches per EPT pointer and per VPID, when
 * a VM lets go of its EPT root or its VPID, so that a root page or a VPID reused
 * by the next VM never brings it the old guest's translations. Follows the Intel
 * SDM (revision 084), Vol. 3C, "Caching Translation Information" and "Invalidating
 * Cached Translation Information" ("Guidelines for Use of the INVEPT Instruction",
 * "... of the INVVPID Instruction"), Vol. 2, "INVEPT" and "INVVPID", and Vol. 3D,
 * "VPID and EPT Capabilities" (IA32_VMX_EPT_VPID_CAP). */
#pragma once
#include <stdint.h>

namespace vmx {

/* IA32_VMX_EPT_VPID_CAP bits. */
namespace ept_vpid_cap {
constexpr uint64_t INVEPT = 1ull << 20;
constexpr uint64_t INVEPT_SINGLE_CONTEXT = 1ull << 25;
constexpr uint64_t INVEPT_ALL_CONTEXTS = 1ull << 26;
constexpr uint64_t INVVPID = 1ull << 32;
constexpr uint64_t INVVPID_SINGLE_CONTEXT = 1ull << 41;
constexpr uint64_t INVVPID_ALL_CONTEXTS = 1ull << 42;
} // namespace ept_vpid_cap

/* The narrowest INVEPT type the CPU offers (1 single-context, 2 all-context), or
 * 0 when it has no INVEPT. */
constexpr uint64_t invept_type(uint64_t capabilities)
{
    if (!(capabilities & ept_vpid_cap::INVEPT))
        return 0;
    return capabilities & ept_vpid_cap::INVEPT_SINGLE_CONTEXT ? 1 : capabilities & ept_vpid_cap::INVEPT_ALL_CONTEXTS ? 2 : 0;
}

/* The same for INVVPID (individual-address and single-context-retaining-globals
 * types are of no use here). */
constexpr uint64_t invvpid_type(uint64_t capabilities)
{
    if (!(capabilities & ept_vpid_cap::INVVPID))
        return 0;
    return capabilities & ept_vpid_cap::INVVPID_SINGLE_CONTEXT  ? 1
           : capabilities & ept_vpid_cap::INVVPID_ALL_CONTEXTS ? 2
                                                               : 0;
}

class VpidPool;

/* Kernel side (vmx_tlb.cpp). */
/* The host's one pool of guest VPIDs; callers keep interrupts off around it. */
VpidPool& vpid_pool();
/* INVEPT of the mappings derived from `eptp`: before its tables are freed. */
void invalidate_ept(uint64_t eptp);
/* INVVPID of `vpid`'s linear mappings: before it goes back to the pool. */
void invalidate_vpid(uint16_t vpid);

/* What the release paths did, for the in-kernel tests: successful invalidations
 * and the last operand of each. */
struct InvalidationCounts {
    uint64_t invept = 0;
    uint64_t invvpid = 0;
    uint64_t last_eptp = 0;
    uint16_t last_vpid = 0;
};
InvalidationCounts invalidation_counts();

} // namespace vmx
