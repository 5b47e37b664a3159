/* L1's VMX instructions, emulated by the host with the semantics of the Intel
 * SDM (revision 084), Vol. 3C, chapter "VMX Instruction Reference" (the
 * operation pseudocode of VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD,
 * VMWRITE, INVEPT, INVVPID, VMLAUNCH and VMRESUME), "VM Instruction Error
 * Numbers", and the VMCS12 of vmcs12.h. docs/nested.md walks through it. */
#pragma once
#include "hypervisor/vmx/vmx_vcpu.h"

namespace nested {

/* Emulates the VMX instruction whose exit (`reason`) is being handled, for a VM
 * offered VMX: completes it (flags, RIP), or injects the fault the CPU would
 * raise, or ends the VM with a reason. */
vmx::ExitAction emulate_vmx_instruction(vmx::VmxVcpu& vcpu, vmx::ExitReason reason);

/* MOV to CR4 by L1 while it is in VMX operation may not clear CR4.VMXE (SDM
 * "MOV-Move to/from Control Registers": #GP(0)). */
bool cr4_write_allowed(vmx::VmxVcpu& vcpu, uint64_t value);

} // namespace nested
