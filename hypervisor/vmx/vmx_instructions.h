/* The VMX instructions as inline functions, each reporting its outcome the way the
 * Intel SDM (revision 084), Vol. 3C, "Conventions" in chapter "VMX Instruction
 * Reference" defines it: VMsucceed (CF=0, ZF=0), VMfailInvalid (CF=1: there is no
 * current VMCS to hold an error number) and VMfailValid (ZF=1: the number is in
 * the VM-instruction error field of the current VMCS). */
#pragma once
#include <stdint.h>

enum class VmxStatus : uint8_t { succeeded, fail_invalid, fail_valid };

namespace vmx {

/* Reads CF and ZF right after the instruction; "cc" because they are outputs. */
#define VMX_STATUS_FROM_FLAGS(instruction_asm, ...)                                                      \
    uint8_t carry, zero;                                                                                 \
    asm volatile(instruction_asm "; setc %0; setz %1" : "=r"(carry), "=r"(zero) : __VA_ARGS__ : "cc", "memory"); \
    return carry ? VmxStatus::fail_invalid : zero ? VmxStatus::fail_valid : VmxStatus::succeeded

constexpr uint64_t NO_CURRENT_VMCS = ~0ull;
/* The current-VMCS pointer as this CPU's VMXON, VMXOFF, VMCLEAR and VMPTRLD left
 * it, all of which go through the functions below (and nothing else changes it:
 * VM entries and exits keep it). The run loop asks it instead of executing
 * VMPTRST, which in a guest hypervisor exits: our kernel as L1 paid an emulated
 * VMPTRST (3.5k cycles in Bochs) per exit of its own guest. One CPU; kernel
 * tests compare it with VMPTRST (vmx_support_test.cpp). */
inline uint64_t tracked_current_vmcs = NO_CURRENT_VMCS;

namespace raw {
[[nodiscard]] inline VmxStatus vmxon(uint64_t region_physical) { VMX_STATUS_FROM_FLAGS("vmxon %2", "m"(region_physical)); }
[[nodiscard]] inline VmxStatus vmclear(uint64_t vmcs_physical) { VMX_STATUS_FROM_FLAGS("vmclear %2", "m"(vmcs_physical)); }
[[nodiscard]] inline VmxStatus vmptrld(uint64_t vmcs_physical) { VMX_STATUS_FROM_FLAGS("vmptrld %2", "m"(vmcs_physical)); }
} // namespace raw
[[nodiscard]] inline VmxStatus vmwrite(uint64_t field, uint64_t value) { VMX_STATUS_FROM_FLAGS("vmwrite %3, %2", "r"(field), "rm"(value)); }

/* SDM "VMXON": no VMCS is current after it. */
[[nodiscard]] inline VmxStatus vmxon(uint64_t region_physical)
{
    VmxStatus status = raw::vmxon(region_physical);
    if (status == VmxStatus::succeeded)
        tracked_current_vmcs = NO_CURRENT_VMCS;
    return status;
}
/* SDM "VMCLEAR": clearing the current VMCS leaves none current. */
[[nodiscard]] inline VmxStatus vmclear(uint64_t vmcs_physical)
{
    VmxStatus status = raw::vmclear(vmcs_physical);
    if (status == VmxStatus::succeeded && vmcs_physical == tracked_current_vmcs)
        tracked_current_vmcs = NO_CURRENT_VMCS;
    return status;
}
/* A failed VMPTRLD keeps the current VMCS. */
[[nodiscard]] inline VmxStatus vmptrld(uint64_t vmcs_physical)
{
    VmxStatus status = raw::vmptrld(vmcs_physical);
    if (status == VmxStatus::succeeded)
        tracked_current_vmcs = vmcs_physical;
    return status;
}

[[nodiscard]] inline VmxStatus vmxoff()
{
    uint8_t carry, zero;
    asm volatile("vmxoff; setc %0; setz %1" : "=r"(carry), "=r"(zero)::"cc", "memory");
    VmxStatus status = carry ? VmxStatus::fail_invalid : zero ? VmxStatus::fail_valid : VmxStatus::succeeded;
    if (status == VmxStatus::succeeded)
        tracked_current_vmcs = NO_CURRENT_VMCS;
    return status;
}

/* VMREAD of a field; `status` says whether `value` is meaningful. */
inline uint64_t vmread(uint64_t field, VmxStatus* status = nullptr)
{
    uint64_t value = 0;
    uint8_t carry, zero;
    asm volatile("vmread %3, %2; setc %0; setz %1" : "=r"(carry), "=r"(zero), "=rm"(value) : "r"(field) : "cc");
    if (status)
        *status = carry ? VmxStatus::fail_invalid : zero ? VmxStatus::fail_valid : VmxStatus::succeeded;
    return value;
}

/* The physical address of the current VMCS (all ones when there is none). */
inline uint64_t vmptrst()
{
    uint64_t address;
    asm volatile("vmptrst %0" : "=m"(address)::"memory");
    return address;
}

struct [[gnu::packed]] InvalidationDescriptor {
    uint64_t first;  /* EPTP for INVEPT, VPID for INVVPID */
    uint64_t second; /* 0 for INVEPT, the linear address for INVVPID */
};

/* INVEPT and INVVPID types (SDM "INVEPT" and "INVVPID"). */
constexpr uint64_t INVEPT_SINGLE_CONTEXT = 1;
constexpr uint64_t INVEPT_ALL_CONTEXTS = 2;
constexpr uint64_t INVVPID_SINGLE_CONTEXT = 1;
constexpr uint64_t INVVPID_ALL_CONTEXTS = 2;

[[nodiscard]] inline VmxStatus invept(uint64_t type, uint64_t eptp)
{
    InvalidationDescriptor descriptor{eptp, 0};
    VMX_STATUS_FROM_FLAGS("invept %2, %3", "m"(descriptor), "r"(type));
}

[[nodiscard]] inline VmxStatus invvpid(uint64_t type, uint16_t vpid)
{
    InvalidationDescriptor descriptor{vpid, 0};
    VMX_STATUS_FROM_FLAGS("invvpid %2, %3", "m"(descriptor), "r"(type));
}

#undef VMX_STATUS_FROM_FLAGS

} // namespace vmx
