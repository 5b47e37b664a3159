/* Entering and leaving VMX operation; see vmx_support.h for the SDM sections. */
#include "hypervisor/vmx/vmx_support.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "hypervisor/exercise.h"
#include "hypervisor/vmx/vmx_instructions.h"

namespace {

/* SDM "VMXON Region": 4 KiB aligned; its size comes from IA32_VMX_BASIC and is
 * at most 4 KiB. Lives in .bss: linked high, its physical address is
 * virtual - KERNEL_VMA. */
alignas(4096) uint8_t vmxon_region[4096];
bool vmx_on = false;

uint64_t image_physical(const void* pointer) { return reinterpret_cast<uint64_t>(pointer) - KERNEL_VMA; }

VmxSupportError check_feature_control()
{
    uint64_t control = cpu::rdmsr(Msr::feature_control);
    if (control & msr::FEATURE_CONTROL_LOCKED)
        return (control & msr::FEATURE_CONTROL_VMX_OUTSIDE_SMX) ? VmxSupportError::none
                                                                : VmxSupportError::disabled_by_firmware;
    /* Unlocked (no BIOS did it): allow VMX outside SMX and lock, as firmware would. */
    cpu::wrmsr(Msr::feature_control, control | msr::FEATURE_CONTROL_VMX_OUTSIDE_SMX | msr::FEATURE_CONTROL_LOCKED);
    return VmxSupportError::none;
}

} // namespace

const char* vmx_support_error_text(VmxSupportError error)
{
    switch (error) {
    case VmxSupportError::none: return "none";
    case VmxSupportError::no_vmx: return "this CPU has no VMX (CPUID.1:ECX.VMX is 0); try make bochs or make kvm";
    case VmxSupportError::disabled_by_firmware: return "VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked without VMX)";
    case VmxSupportError::vmxon_failed: return "VMXON failed";
    case VmxSupportError::not_done:
        return MILESTONE_NOT_DONE(1, "enter VMX operation (enter_vmx_operation, hypervisor/vmx/vmx_support.cpp)");
    }
    return "?";
}

bool cpu_has_vmx() { return cpu::cpuid(1).ecx & (1u << 5); }

vmx::VmxBasic read_vmx_basic() { return vmx::VmxBasic{cpu::rdmsr(Msr(uint32_t(vmx::CapabilityMsr::basic)))}; }

const vmx::VmxCapabilities& host_vmx_capabilities()
{
    static vmx::VmxCapabilities capabilities;
    static bool read = false;
    if (!read) {
        capabilities = vmx::read_capabilities(
            [](vmx::CapabilityMsr msr, void*) { return cpu::rdmsr(Msr(uint32_t(msr))); }, nullptr);
        read = true;
    }
    return capabilities;
}

bool in_vmx_operation() { return vmx_on; }

uint64_t vmxon_region_physical() { return image_physical(vmxon_region); }

VmxSupportError enter_vmx_operation()
{
    if (vmx_on)
        return VmxSupportError::none;
    if (!cpu_has_vmx())
        return VmxSupportError::no_vmx;
    if (VmxSupportError error = check_feature_control(); error != VmxSupportError::none)
        return error;

    // SOLUTION BEGIN 1
    const vmx::VmxCapabilities& capabilities = host_vmx_capabilities();
    vmx::VmxBasic basic = capabilities.basic;
    /* SDM "Restrictions on VMX Operation": bits set in FIXED0 must be 1, bits
     * clear in FIXED1 must be 0, in CR0 and CR4 alike. */
    cpu::write_cr0(vmx::apply_fixed_bits(cpu::read_cr0(), vmx::cr0_fixed_bits(capabilities)));
    cpu::write_cr4(vmx::apply_fixed_bits(cpu::read_cr4() | CR4_VMXE, vmx::cr4_fixed_bits(capabilities)));

    /* SDM "VMXON Region": the first 4 bytes hold the revision identifier (bit 31
     * clear); the rest is the CPU's own. */
    __builtin_memset(vmxon_region, 0, sizeof(vmxon_region));
    uint32_t revision = basic.revision_id();
    __builtin_memcpy(vmxon_region, &revision, sizeof(revision));
    VmxStatus status = vmx::vmxon(image_physical(vmxon_region));
    if (status != VmxStatus::succeeded) {
        cpu::write_cr4(cpu::read_cr4() & ~CR4_VMXE);
        log(LogCategory::vmx, "VMXON failed (%s)", status == VmxStatus::fail_invalid ? "VMfailInvalid" : "VMfailValid");
        return VmxSupportError::vmxon_failed;
    }
    vmx_on = true;
    log(LogCategory::vmx, "VMX on: VMCS revision 0x%x, region size %u, memory type %u, true controls %s",
        basic.revision_id(), basic.region_size(), basic.vmcs_memory_type(), basic.has_true_controls() ? "yes" : "no");
    return VmxSupportError::none;
    // SOLUTION STUB 1: /* milestone 1 is not done yet: set the fixed CR0/CR4 bits with CR4.VMXE, give VMXON a
    // SOLUTION STUB 1:  * region holding the VMCS revision from IA32_VMX_BASIC, execute VMXON and check its flags. */
    // SOLUTION STUB 1: log(LogCategory::vmx, "%s", vmx_support_error_text(VmxSupportError::not_done));
    // SOLUTION STUB 1: return VmxSupportError::not_done;
    // SOLUTION END 1
}

void leave_vmx_operation()
{
    if (!vmx_on)
        return;
    (void)vmx::vmxoff();
    cpu::write_cr4(cpu::read_cr4() & ~CR4_VMXE);
    vmx_on = false;
}
