/* One kernel, two backends: the vCPU interface's free functions pick Intel VMX
 * or AMD SVM from CPUID, once, and forward to that backend. */
#include "hypervisor/vcpu.h"

#include "abi/errno.h"
#include "arch/x86_64/cpu.h"
#include "hypervisor/svm/svm_constants.h"
#include "hypervisor/svm/svm_support.h"
#include "hypervisor/svm/svm_vcpu.h"
#include "hypervisor/vmx/vmx_support.h"

#include <new>

namespace vmx {
Vcpu* create_vmx_vcpu(Vm& vm);
const char* vmx_exit_reason_short_name(uint16_t reason);
[[nodiscard]] Result<void> require_vmx(Failure& why);
} // namespace vmx

VirtualizationBackend virtualization_backend()
{
    static VirtualizationBackend backend = [] {
        if (cpu_has_vmx())
            return VirtualizationBackend::vmx;
        if (svm::cpu_has_svm())
            return VirtualizationBackend::svm;
        return VirtualizationBackend::none;
    }();
    return backend;
}

const char* virtualization_backend_name(VirtualizationBackend backend)
{
    switch (backend) {
    case VirtualizationBackend::vmx: return "vmx";
    case VirtualizationBackend::svm: return "svm";
    case VirtualizationBackend::none: break;
    }
    return "none";
}

Result<void> require_virtualization(Failure& why)
{
    switch (virtualization_backend()) {
    case VirtualizationBackend::vmx: return vmx::require_vmx(why);
    case VirtualizationBackend::svm: {
        svm::SvmSupportError error = svm::enable_svm();
        if (error != svm::SvmSupportError::none)
            return why.set(ENOSYS, "%s", svm::svm_support_error_text(error));
        return {};
    }
    case VirtualizationBackend::none: break;
    }
    return why.set(ENOSYS, "the CPU offers neither VMX (CPUID.1:ECX.VMX is 0) nor SVM (CPUID 8000_0001h:ECX.SVM is 0)");
}

Vcpu* create_vcpu(Vm& vm)
{
    if (virtualization_backend() == VirtualizationBackend::svm)
        return new (std::nothrow) svm::SvmVcpu(vm);
    return vmx::create_vmx_vcpu(vm);
}

const char* exit_reason_short_name(uint16_t reason)
{
    if (virtualization_backend() == VirtualizationBackend::svm)
        return svm::exit_slot_identifier(reason);
    return vmx::vmx_exit_reason_short_name(reason);
}
