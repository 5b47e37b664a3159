/* INVEPT and INVVPID when a VM lets go of its EPT root and VPID; see vmx_tlb.h. */
#include "hypervisor/vmx/vmx_tlb.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "hypervisor/vmx/vmx_instructions.h"
#include "hypervisor/vmx/vmx_support.h"
#include "hypervisor/vmx/vpid_pool.h"

namespace vmx {

namespace {

VpidPool pool;
InvalidationCounts counts;

} // namespace

VpidPool& vpid_pool() { return pool; }

void invalidate_ept(uint64_t eptp)
{
    /* Without INVEPT the CPU cannot have EPT either (Vol. 3D, "VPID and EPT
     * Capabilities"): nothing cached to drop. */
    uint64_t type = invept_type(host_vmx_capabilities().ept_vpid_cap);
    if (type == 0 || !in_vmx_operation()) /* outside VMX operation INVEPT is #UD */
        return;
    if (invept(type, eptp) != VmxStatus::succeeded) {
        log(LogCategory::vmx, "INVEPT type %lu of EPTP 0x%lx failed", type, eptp);
        return;
    }
    InterruptGuard guard;
    ++counts.invept;
    counts.last_eptp = eptp;
}

void invalidate_vpid(uint16_t vpid)
{
    uint64_t type = invvpid_type(host_vmx_capabilities().ept_vpid_cap);
    if (type == 0 || vpid == 0 || !in_vmx_operation())
        return;
    if (invvpid(type, vpid) != VmxStatus::succeeded) {
        log(LogCategory::vmx, "INVVPID type %lu of VPID %u failed", type, unsigned(vpid));
        return;
    }
    InterruptGuard guard;
    ++counts.invvpid;
    counts.last_vpid = vpid;
}

InvalidationCounts invalidation_counts()
{
    InterruptGuard guard;
    return counts;
}

} // namespace vmx
