/* Where VMLAUNCH/VMRESUME and the TLB invalidations of L1 meet L2: the
 * interface between the instruction emulation (vmx_emulation.cpp, issue #16 part
 * 1) and VMCS02, exit reflection and nested EPT (part 2, branch nested2). The
 * emulation has made every check that precedes entry in the SDM's "VMLAUNCH/
 * VMRESUME" pseudocode before it calls enter_l2(). */
#pragma once
#include "hypervisor/nested/vmcs12.h"

#include <stdint.h>

namespace vmx {
class VmxVcpu;
enum class ExitAction;
}

namespace nested {

/* How an emulated VMX instruction ended (SDM "Conventions" in chapter "VMX
 * Instruction Reference"): VMsucceed, VMfailInvalid, VMfailValid(error); or
 * the instruction did not complete (a fault was injected, the VM ended), or
 * L2 now runs (RIP of L1 does not move: L1 resumes after VMLAUNCH at its host
 * RIP on the next VM exit from L2). */
enum class Outcome : uint8_t { succeed, fail_invalid, fail_valid, not_completed, entered_l2 };

struct InstructionResult {
    Outcome outcome = Outcome::succeed;
    uint32_t error = 0; /* with fail_valid: the VM-instruction error number */
};

/* VMLAUNCH (`launch`) or VMRESUME of the current VMCS12, after the checks that
 * precede entry. Part 2 builds VMCS02 here and enters L2; until then it answers
 * VMfailValid(7), "VM entry with invalid control field(s)". */
InstructionResult enter_l2(vmx::VmxVcpu& vcpu, NestedState& state, bool launch);

/* INVEPT and INVVPID after their checks: part 2 drops the shadow EPT entries and
 * L2's VPID translations they name; until L2 exists there is nothing cached. */
/* One slice of L2 on VMCS02 (the run loop calls it while state.in_l2): L1's
 * pending interrupt becomes an exit to L1 when VMCS12 asks for it; then L2 runs
 * until an exit, which is handled by L0 or reflected to L1 (VMCS01 is current
 * again then, and in_l2 false). Takes and gives back the CLI itself. */
vmx::ExitAction run_l2_slice(vmx::VmxVcpu& vcpu);
/* VMCS02 no longer stands for a VMCS12 (VMPTRLD of another, VMCLEAR, VMXON,
 * VMXOFF): the next VMLAUNCH/VMRESUME builds it afresh and runs every check. */
void forget_vmcs02(NestedState& state);
/* Frees VMCS02, the shadow EPT and L2's VPID (the VM ends). */
void release_l2(NestedState& state);

void invalidate_l2_ept(vmx::VmxVcpu& vcpu, NestedState& state, uint64_t type, uint64_t eptp);
void invalidate_l2_vpid(vmx::VmxVcpu& vcpu, NestedState& state, uint64_t type, uint16_t vpid, uint64_t address);

} // namespace nested
