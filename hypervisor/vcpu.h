/* The small interface between the VMX-free parts of the hypervisor (VMs, devices,
 * the Multiboot loader, hypercalls) and the CPU's virtualization backend. Today
 * the backend is Intel VMX (hypervisor/vmx); an AMD SVM backend will implement the
 * same three calls. */
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

/* Succeeds when this CPU can run VMs; otherwise `why` says why not (ENOSYS).
 * Enters VMX operation on first use. */
[[nodiscard]] Result<void> require_virtualization(Failure& why);
/* A backend vCPU for `vm`, or nullptr when out of memory. */
Vcpu* create_vcpu(Vm& vm);
/* The backend's short name of exit reason `reason` ("io_instruction"), or nullptr. */
const char* exit_reason_short_name(uint16_t reason);
