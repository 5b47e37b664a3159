/* The small interface between the VMX-free parts of the hypervisor (VMs, devices,
 * the Multiboot loader, hypercalls) and the CPU's virtualization backend: Intel
 * VMX (hypervisor/vmx) or AMD SVM (hypervisor/svm), picked at boot from CPUID
 * (hypervisor/vcpu.cpp). */
#pragma once
#include "hypervisor/guest_loader/multiboot_loader.h"
#include "lib/failure.h"

class Vm;

class Vcpu {
public:
    virtual ~Vcpu() = default;
    /* Builds the virtual CPU for `vm` starting in the state a Multiboot loader
     * leaves. On failure `why` holds the errno and the sentence (lib/failure.h). */
    [[nodiscard]] virtual Result<void> prepare(const guest_loader::MultibootEntryState& entry, Failure& why) = 0;
    /* Runs the guest in the calling thread until the VM ends. */
    virtual void run() = 0;
};

enum class VirtualizationBackend { none, vmx, svm };
/* VMX when CPUID.1:ECX.VMX is set, else SVM when CPUID 8000_0001h:ECX.SVM is,
 * else none; decided once. */
VirtualizationBackend virtualization_backend();
const char* virtualization_backend_name(VirtualizationBackend backend);

/* Succeeds when this CPU can run VMs; otherwise `why` says why not (ENOSYS).
 * Enters VMX operation (or enables SVM) on first use. */
[[nodiscard]] Result<void> require_virtualization(Failure& why);
/* A backend vCPU for `vm`, or nullptr when out of memory. */
Vcpu* create_vcpu(Vm& vm);
/* The backend's short name of exit reason `reason` ("io_instruction"), or nullptr. */
const char* exit_reason_short_name(uint16_t reason);
