/* VMCS12's MSR areas on the kernel side; see l2_msr_areas.h. */
#include "hypervisor/nested/l2_msr_areas.h"

#include "hypervisor/nested/area_msrs.h"
#include "hypervisor/nested/vmcs12.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vmx/vmx_msr_backend.h"
#include "hypervisor/vmx/vmx_vcpu.h"

namespace nested {

namespace {

using E = vmx::VmcsEncoding;

/* L2's backend MSRs while VMCS01 is current: the SYSENTER MSRs in VMCS12's
 * guest fields, the rest (the swapped syscall MSRs, shared by L1 and L2) where
 * the VMX backend keeps them. The model checked each value already. */
class L2EntryBackend final : public cpu_model::MsrBackend {
public:
    L2EntryBackend(vmx::VmxVcpu& vcpu, Vmcs12& vmcs12) : shared_(vcpu), vmcs12_(vmcs12) {}

    uint64_t read_backend_msr(Msr msr) override
    {
        switch (msr) {
        case Msr::sysenter_cs: return vmcs12_.get(E::guest_sysenter_cs);
        case Msr::sysenter_esp: return vmcs12_.get(E::guest_sysenter_esp);
        case Msr::sysenter_eip: return vmcs12_.get(E::guest_sysenter_eip);
        default: return shared_.read_backend_msr(msr);
        }
    }
    void write_backend_msr(Msr msr, uint64_t value) override
    {
        switch (msr) {
        case Msr::sysenter_cs: vmcs12_.set(E::guest_sysenter_cs, uint32_t(value)); return;
        case Msr::sysenter_esp: vmcs12_.set(E::guest_sysenter_esp, value); return;
        case Msr::sysenter_eip: vmcs12_.set(E::guest_sysenter_eip, value); return;
        default: shared_.write_backend_msr(msr, value); return;
        }
    }

private:
    vmx::VmxMsrBackend shared_;
    Vmcs12& vmcs12_;
};

} // namespace

uint32_t load_entry_msr_area(vmx::VmxVcpu& vcpu, Vmcs12& vmcs12)
{
    L2EntryBackend backend(vcpu, vmcs12);
    AreaMsrs msrs(vcpu.vm().cpu(), backend);
    return load_msr_area(vcpu.vm().memory(), vmcs12.get(E::entry_msr_load_address),
                         uint32_t(vmcs12.get(E::entry_msr_load_count)), msrs);
}

uint32_t store_exit_msr_area(vmx::VmxVcpu& vcpu, const Vmcs12& vmcs12)
{
    vmx::VmxMsrBackend backend(vcpu);
    AreaMsrs msrs(vcpu.vm().cpu(), backend);
    return store_msr_area(vcpu.vm().memory(), vmcs12.get(E::exit_msr_store_address),
                          uint32_t(vmcs12.get(E::exit_msr_store_count)), msrs);
}

uint32_t load_exit_msr_area(vmx::VmxVcpu& vcpu, const Vmcs12& vmcs12)
{
    vmx::VmxMsrBackend backend(vcpu);
    AreaMsrs msrs(vcpu.vm().cpu(), backend);
    return load_msr_area(vcpu.vm().memory(), vmcs12.get(E::exit_msr_load_address),
                         uint32_t(vmcs12.get(E::exit_msr_load_count)), msrs);
}

} // namespace nested
