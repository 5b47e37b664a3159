/* The VMX that L1 is offered: the IA32_VMX_* capability MSRs it reads, derived
 * from the host's own capabilities as a consistent subset of what the host has
 * and what hypervisor/nested can emulate. Intel SDM (revision 084), Vol. 3D,
 * Appendix A "VMX Capability Reporting Facility" (basic information, the
 * pin-based, processor-based, exit and entry control MSRs and their TRUE_*
 * forms, "Miscellaneous Data", "VMX-Fixed Bits in CR0"/"in CR4", "VMCS
 * Enumeration", "VPID and EPT Capabilities"). docs/nested.md lists what is
 * offered and what is refused. Pure logic, unit-tested in
 * tests/unit/nested_capabilities_test.cpp. */
#pragma once
#include "hypervisor/cpu_model/cpu_model.h"
#include "hypervisor/vmx/vmx_controls.h"

#include <stdint.h>

namespace nested {

/* The control bits hypervisor/nested offers when the host has them (besides the
 * default1 bits, which the plain MSRs report as fixed to 1). */
uint32_t offered_controls(vmx::ControlWord word);
/* The default1 class of a control word ("Default1 ... Controls" in Appendix
 * A): bits the plain capability MSR reports as always 1. */
uint32_t default1_controls(vmx::ControlWord word);

/* IA32_VMX_EPT_VPID_CAP bits (Appendix A "VPID and EPT Capabilities"). */
constexpr uint64_t EPT_EXECUTE_ONLY = 1ull << 0;
constexpr uint64_t EPT_WALK_LENGTH_4 = 1ull << 6;
constexpr uint64_t EPT_MEMORY_TYPE_UC = 1ull << 8;
constexpr uint64_t EPT_MEMORY_TYPE_WB = 1ull << 14;
constexpr uint64_t EPT_2MB_PAGES = 1ull << 16;
constexpr uint64_t EPT_1GB_PAGES = 1ull << 17;
constexpr uint64_t EPT_INVEPT = 1ull << 20;
constexpr uint64_t EPT_ACCESSED_DIRTY = 1ull << 21;
constexpr uint64_t EPT_INVEPT_SINGLE_CONTEXT = 1ull << 25;
constexpr uint64_t EPT_INVEPT_ALL_CONTEXT = 1ull << 26;
constexpr uint64_t VPID_INVVPID = 1ull << 32;
constexpr uint64_t VPID_INVVPID_INDIVIDUAL_ADDRESS = 1ull << 40;
constexpr uint64_t VPID_INVVPID_SINGLE_CONTEXT = 1ull << 41;
constexpr uint64_t VPID_INVVPID_ALL_CONTEXT = 1ull << 42;
constexpr uint64_t VPID_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS = 1ull << 43;

/* IA32_VMX_MISC bit 29: VMWRITE may write the read-only (exit-information)
 * fields. Not offered: L1's VMWRITE of one fails with error 13. */
constexpr uint64_t MISC_VMWRITE_ANY_FIELD = 1ull << 29;
/* IA32_VMX_BASIC bit 55: the TRUE_* control MSRs exist. */
constexpr uint64_t BASIC_TRUE_CONTROLS = 1ull << 55;
/* Memory type write-back for the VMCS region (bits 53:50). */
constexpr uint64_t BASIC_MEMORY_TYPE_WB = 6ull << 50;
/* Bit 54: the exit instruction information reports INS/OUTS. */
constexpr uint64_t BASIC_INS_OUTS_INFORMATION = 1ull << 54;

/* Whether the host can run nested guests as hypervisor/nested needs (EPT and
 * unrestricted guest for L1's own VMs), so that the option defaults to on. */
bool host_supports_nested(const vmx::VmxCapabilities& host);

/* The capability MSRs L1 reads, 0x480-0x490 (VMFUNC and the tertiary and
 * secondary-exit MSRs do not exist for L1: they raise #GP). */
cpu_model::VmxCapabilityMsrs offered_capabilities(const vmx::VmxCapabilities& host);

/* The allowed settings of one control word for L1's VMCS12, taken from the
 * offered TRUE_* MSR: bits 31:0 must be 1 when set, bits 63:32 may be 1. */
inline uint32_t must_be_one(const cpu_model::VmxCapabilityMsrs& msrs, uint32_t msr)
{
    return uint32_t(msrs.value(msr));
}
inline uint32_t may_be_one(const cpu_model::VmxCapabilityMsrs& msrs, uint32_t msr)
{
    return uint32_t(msrs.value(msr) >> 32);
}

} // namespace nested
