/* VMCS12's three MSR areas on the kernel side: which level's MSRs each one
 * reaches, through L1's CPU model (area_msrs.h), at the point of the nested
 * entry or exit where the SDM walks it (Intel SDM rev. 084, Vol. 3C, "Loading
 * MSRs" after "Checking and Loading Guest State"; "Saving MSRs" after "Saving
 * Guest State"; "Loading MSRs" after "Loading Host State"). L1 and L2 share one
 * vCPU: the model's MSRs and the swapped syscall MSRs are that vCPU's, while
 * the MSRs held in VMCS guest-state fields (SYSENTER) are L2's in VMCS02 and
 * L1's in VMCS01. Each function returns 0, or the 1-based number of the entry
 * that failed. */
#pragma once
#include <stdint.h>

namespace vmx {
class VmxVcpu;
}

namespace nested {

class Vmcs12;

/* VM entry, VMCS01 current, before VMCS02 is written: the SYSENTER MSRs go into
 * VMCS12's guest fields, which VMCS02 takes for L2 (so they override VMCS12's
 * guest state, as loading MSRs after guest state does). */
uint32_t load_entry_msr_area(vmx::VmxVcpu& vcpu, Vmcs12& vmcs12);
/* VM exit, VMCS02 current: L2's values into L1's memory. */
uint32_t store_exit_msr_area(vmx::VmxVcpu& vcpu, const Vmcs12& vmcs12);
/* VM exit, VMCS01 current with L1's host state loaded: into L1's MSRs. */
uint32_t load_exit_msr_area(vmx::VmxVcpu& vcpu, const Vmcs12& vmcs12);

/* L2's TSC now, VMCS02 current: the host TSC plus VMCS02's composed offset (L1's,
 * plus VMCS12's when L1 uses TSC offsetting; TSC scaling is not offered), as
 * L2's RDTSC and RDMSR read it ("Changes to Instruction Behavior in VMX
 * Non-Root Operation"). */
uint64_t l2_tsc();

} // namespace nested
