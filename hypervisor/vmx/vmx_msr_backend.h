/* The VMX backend's home for the guest MSRs the CPU model does not keep itself
 * (hypervisor/cpu_model, MsrHome::backend): the fields of the current VMCS, the
 * swapped syscall MSRs and the TSC offset. Used by the RDMSR/WRMSR exit
 * handlers and by hypervisor/nested for VMCS12's MSR areas (Intel SDM rev. 084,
 * Vol. 3C, "Loading MSRs", "Saving MSRs"). */
#pragma once
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/msr.h"
#include "hypervisor/cpu_model/cpu_model.h"
#include "hypervisor/vmx/vmcs.h"
#include "hypervisor/vmx/vmx_vcpu.h"

namespace vmx {

/* Where the VMX backend keeps the guest MSRs the CPU model does not store
 * itself: VMCS guest-state fields (EFER, PAT, SYSENTER, FS/GS base), the
 * swapped syscall MSRs (in the CPU while the VM thread runs) and the TSC
 * offset. The model has already checked reserved bits and canonical addresses. */
class VmxMsrBackend final : public cpu_model::MsrBackend {
public:
    explicit VmxMsrBackend(VmxVcpu& vcpu) : vcpu_(vcpu) {}

    uint64_t read_backend_msr(Msr msr) override
    {
        switch (msr) {
        case Msr::efer: return vmcs_read(VmcsField::guest_efer);
        case Msr::time_stamp_counter: return cpu::rdtsc() + vcpu_.tsc_offset();
        case Msr::pat: return vcpu_.guest_pat();
        case Msr::sysenter_cs: return vmcs_read(VmcsField::guest_sysenter_cs);
        case Msr::sysenter_esp: return vmcs_read(VmcsField::guest_sysenter_esp);
        case Msr::sysenter_eip: return vmcs_read(VmcsField::guest_sysenter_eip);
        case Msr::fs_base: return vmcs_read(VmcsField::guest_fs_base);
        case Msr::gs_base: return vmcs_read(VmcsField::guest_gs_base);
        default: {
            uint64_t value = 0;
            return vcpu_.read_swapped_msr(msr, value) ? value : 0;
        }
        }
    }

    void write_backend_msr(Msr msr, uint64_t value) override
    {
        switch (msr) {
        case Msr::efer: {
            /* LMA is the CPU's to set: keep the current value. */
            uint64_t current = vmcs_read(VmcsField::guest_efer);
            vmcs_write(VmcsField::guest_efer, (value & ~EFER_LMA) | (current & EFER_LMA));
            return;
        }
        case Msr::time_stamp_counter: vcpu_.set_guest_tsc(value); return;
        case Msr::pat: vcpu_.set_guest_pat(value); return;
        case Msr::sysenter_cs: vmcs_write(VmcsField::guest_sysenter_cs, uint32_t(value)); return;
        case Msr::sysenter_esp: vmcs_write(VmcsField::guest_sysenter_esp, value); return;
        case Msr::sysenter_eip: vmcs_write(VmcsField::guest_sysenter_eip, value); return;
        case Msr::fs_base: vmcs_write(VmcsField::guest_fs_base, value); return;
        case Msr::gs_base: vmcs_write(VmcsField::guest_gs_base, value); return;
        default: (void)vcpu_.write_swapped_msr(msr, value); return;
        }
    }

private:
    VmxVcpu& vcpu_;
};

} // namespace vmx
