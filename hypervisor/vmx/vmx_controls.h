/* Settling the VMX control words and the CR0/CR4 values from the capability MSRs.
 * Follows the Intel SDM (revision 084), Vol. 3D, Appendix A "VMX Capability
 * Reporting Facility" (the sections on basic information, the control MSRs and
 * "VMX-Fixed Bits in CR0"/"in CR4") and Vol. 3C "Algorithms for Determining VMX
 * Capabilities". Pure logic: the MSRs are read through the caller's function. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/control_registers.h"
#include "hypervisor/vmx/vmx_constants.h"

namespace vmx {

/* IA32_VMX_BASIC ("Basic VMX Information"). */
struct VmxBasic {
    uint64_t value;

    constexpr uint32_t revision_id() const { return uint32_t(value & 0x7FFFFFFF); }
    constexpr uint32_t region_size() const { return uint32_t(value >> 32) & 0x1FFF; }
    constexpr bool addresses_limited_to_32_bits() const { return value & (1ull << 48); }
    constexpr uint8_t vmcs_memory_type() const { return uint8_t(value >> 50) & 0xF; }
    /* Bit 55: the TRUE_* control MSRs exist and may allow default1 bits to be 0. */
    constexpr bool has_true_controls() const { return value & (1ull << 55); }
};

/* The capability MSRs a hypervisor needs, read once. A control MSR holds the
 * TRUE_* value where IA32_VMX_BASIC says it exists. MSRs the CPU does not have
 * (secondary controls, EPT/VPID capabilities) stay 0: nothing allowed. */
struct VmxCapabilities {
    VmxBasic basic{0};
    uint64_t pin_based = 0;
    uint64_t primary_processor = 0;
    uint64_t secondary_processor = 0;
    uint64_t exit = 0;
    uint64_t entry = 0;
    uint64_t misc = 0;
    uint64_t cr0_fixed0 = 0, cr0_fixed1 = 0;
    uint64_t cr4_fixed0 = 0, cr4_fixed1 = 0;
    uint64_t ept_vpid_cap = 0;

    uint64_t control_msr(ControlWord word) const;
};

/* Reads one MSR; the kernel passes a RDMSR wrapper, tests a table. */
using ReadMsr = uint64_t (*)(CapabilityMsr msr, void* context);

/* Reads only MSRs that exist: TRUE_* when IA32_VMX_BASIC bit 55 is set, the
 * secondary controls when "activate secondary controls" may be 1, EPT/VPID
 * capabilities when EPT or VPID may be 1 (reading an absent MSR faults). */
VmxCapabilities read_capabilities(ReadMsr read_msr, void* context);

/* One control word settled against what the CPU allows. */
struct [[nodiscard]] ControlSetting {
    ControlWord word;
    uint32_t value;       /* what to VMWRITE */
    uint32_t missing;     /* required bits the CPU cannot set */
    uint32_t unavailable; /* optional bits the CPU cannot set (left out of value) */
    uint32_t forced;      /* bits the CPU forces to 1 that were not asked for */

    constexpr bool ok() const { return missing == 0; }
};

/* value = (wanted | allowed0) & allowed1, where allowed0 is the capability MSR's
 * low half (bits that must be 1) and allowed1 its high half (bits that may be 1). */
ControlSetting settle_controls(ControlWord word, uint64_t capability_msr, uint32_t required, uint32_t optional = 0);
ControlSetting settle_controls(const VmxCapabilities& capabilities, ControlWord word, uint32_t required,
                               uint32_t optional = 0);

/* Writes the SDM names of `bits` of `word`, separated by ", " ("enable EPT,
 * unrestricted guest"; unlisted bits as "bit N") into `buffer`, NUL-terminated and
 * truncated to `size`. Returns the length written. */
size_t describe_control_bits(ControlWord word, uint32_t bits, char* buffer, size_t size);

/* A control register's fixed bits: FIXED0 bits must be 1, bits clear in FIXED1
 * must be 0 ("VMX-Fixed Bits in CR0", "VMX-Fixed Bits in CR4"). */
struct FixedBits {
    uint64_t must_be_one;
    uint64_t may_be_one;
};

constexpr uint64_t apply_fixed_bits(uint64_t value, FixedBits fixed)
{
    return (value | fixed.must_be_one) & fixed.may_be_one;
}
/* The bits of `value` that break the rule (0 when it holds). */
constexpr uint64_t fixed_bits_violated(uint64_t value, FixedBits fixed)
{
    return (~value & fixed.must_be_one) | (value & ~fixed.may_be_one);
}

/* For the host (VMX root) and a guest; an unrestricted guest may run with CR0.PE
 * and CR0.PG clear although FIXED0 reports them ("Unrestricted Guest"). */
FixedBits cr0_fixed_bits(const VmxCapabilities& capabilities, bool unrestricted_guest = false);
FixedBits cr4_fixed_bits(const VmxCapabilities& capabilities);

} // namespace vmx
