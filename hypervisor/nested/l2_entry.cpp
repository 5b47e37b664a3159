/* The L2 side of VMLAUNCH/VMRESUME, INVEPT and INVVPID (l2_entry.h). FIXME:
 * part 2 of issue #16 (branch nested2) replaces these bodies with VMCS02,
 * the entry checks on VMCS12 and nested EPT. */
#include "hypervisor/nested/l2_entry.h"

namespace nested {

InstructionResult enter_l2(vmx::VmxVcpu&, NestedState&, bool)
{
    return {Outcome::fail_valid, 7};
}

void invalidate_l2_ept(vmx::VmxVcpu&, NestedState&, uint64_t, uint64_t) {}

void invalidate_l2_vpid(vmx::VmxVcpu&, NestedState&, uint64_t, uint16_t, uint64_t) {}

} // namespace nested
