/* VMCS12's MSR areas on the kernel side; see l2_msr_areas.h. */
#include "hypervisor/nested/l2_msr_areas.h"

#include "hypervisor/nested/area_msrs.h"
#include "hypervisor/nested/l2_context.h"
#include "hypervisor/nested/vmcs12.h"
#include "hypervisor/vm/platform.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vmx/vmx_msr_backend.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "time/clock.h"

namespace nested {

namespace {

using E = vmx::VmcsEncoding;

/* L2's backend MSRs while VMCS01 is current, for the VM-entry MSR-load area
 * (walked after L2's guest state is loaded, so its values win over VMCS12's
 * guest fields): the SYSENTER MSRs in VMCS12's guest fields, which VMCS02 takes
 * for L2. L1 and L2 run on one processor, so the rest are that processor's
 * registers and loading one changes it for L1 as well (hardware has no second
 * copy): the swapped syscall MSRs; IA32_TIME_STAMP_COUNTER, the TSC itself,
 * which moves L1's TSC offset (VMCS02's offset is composed from it after this
 * walk, so L2 reads the value plus VMCS12's offset); IA32_PAT, L1's PAT, which
 * VMCS02 gives L2 without VMCS12's "load IA32_PAT" (with it, VMCS12's guest PAT,
 * set here too); IA32_EFER, whose SCE/NXE VMCS02 takes from L1's EFER without
 * "load IA32_EFER" (LMA and LME follow "IA-32e mode guest" then, "Loading Guest
 * Control Registers, Debug Registers, and MSRs"), and with it VMCS12's guest
 * EFER, LMA kept. The model checked each value already. */
class L2EntryBackend final : public cpu_model::MsrBackend {
public:
    L2EntryBackend(vmx::VmxVcpu& vcpu, Vmcs12& vmcs12) : shared_(vcpu), vmcs12_(vmcs12) {}

    uint64_t read_backend_msr(Msr msr) override
    {
        switch (msr) {
        case Msr::sysenter_cs: return vmcs12_.get(E::guest_sysenter_cs);
        case Msr::sysenter_esp: return vmcs12_.get(E::guest_sysenter_esp);
        case Msr::sysenter_eip: return vmcs12_.get(E::guest_sysenter_eip);
        case Msr::efer: return l2_efer();
        case Msr::pat: return loads(vmx::EntryControl::load_pat) ? vmcs12_.get(E::guest_pat) : shared_.read_backend_msr(msr);
        default: return shared_.read_backend_msr(msr);
        }
    }
    void write_backend_msr(Msr msr, uint64_t value) override
    {
        switch (msr) {
        case Msr::sysenter_cs: vmcs12_.set(E::guest_sysenter_cs, uint32_t(value)); return;
        case Msr::sysenter_esp: vmcs12_.set(E::guest_sysenter_esp, value); return;
        case Msr::sysenter_eip: vmcs12_.set(E::guest_sysenter_eip, value); return;
        case Msr::efer: {
            constexpr uint64_t MODE = EFER_LMA | EFER_LME;
            if (loads(vmx::EntryControl::load_efer)) {
                vmcs12_.set(E::guest_efer, (value & ~EFER_LMA) | (vmcs12_.get(E::guest_efer) & EFER_LMA));
                return;
            }
            uint64_t l1_efer = read_field(E::guest_efer);
            write_field(E::guest_efer, (value & ~MODE) | (l1_efer & MODE));
            return;
        }
        case Msr::pat:
            if (loads(vmx::EntryControl::load_pat))
                vmcs12_.set(E::guest_pat, value);
            shared_.write_backend_msr(msr, value);
            return;
        default: shared_.write_backend_msr(msr, value); return;
        }
    }

private:
    bool loads(vmx::EntryControl control) const { return vmcs12_.get(E::entry_controls) & uint32_t(control); }
    /* L2's EFER as VMCS02 will have it (vmcs02.cpp). */
    uint64_t l2_efer() const
    {
        if (loads(vmx::EntryControl::load_efer))
            return vmcs12_.get(E::guest_efer);
        uint64_t efer = read_field(E::guest_efer) & ~(EFER_LMA | EFER_LME);
        if (loads(vmx::EntryControl::ia32e_mode_guest))
            efer |= EFER_LMA | ((vmcs12_.get(E::guest_cr0) & CR0_PG) ? EFER_LME : 0);
        return efer;
    }

    vmx::VmxMsrBackend shared_;
    Vmcs12& vmcs12_;
};

/* L2's backend MSRs while VMCS02 is current, for the VM-exit MSR-store area
 * (RDMSR as L2 would read them): the TSC with VMCS02's offset, L1's plus
 * VMCS12's ("RDMSR" in "Changes to Instruction Behavior in VMX Non-Root
 * Operation"); the PAT VMCS02 ran L2 with; the rest as VMCS02 or the shared
 * vCPU holds them. */
class L2ExitBackend final : public cpu_model::MsrBackend {
public:
    explicit L2ExitBackend(vmx::VmxVcpu& vcpu) : vcpu_(vcpu), shared_(vcpu) {}

    uint64_t read_backend_msr(Msr msr) override
    {
        switch (msr) {
        case Msr::time_stamp_counter: return l2_tsc();
        case Msr::pat:
            return (read_field(E::entry_controls) & uint32_t(vmx::EntryControl::load_pat)) ? read_field(E::guest_pat)
                                                                                           : vcpu_.guest_pat();
        default: return shared_.read_backend_msr(msr);
        }
    }
    void write_backend_msr(Msr msr, uint64_t value) override { shared_.write_backend_msr(msr, value); }

private:
    vmx::VmxVcpu& vcpu_;
    vmx::VmxMsrBackend shared_;
};

/* IA32_APIC_BASE bit 11 switches the processor's one local APIC on or off as a
 * whole (as WRMSR's exit handler does): after an area loaded it. */
void apply_apic_base(vmx::VmxVcpu& vcpu, uint64_t before)
{
    uint64_t after = vcpu.vm().cpu().apic_base();
    if (after != before)
        vcpu.vm().platform().local_apic().set_globally_enabled(after & cpu_model::APIC_BASE_ENABLE,
                                                               clock::nanoseconds());
}

} // namespace

uint64_t l2_tsc()
{
    bool offsetting = read_field(E::primary_processor_controls) & uint32_t(vmx::PrimaryProcessorControl::tsc_offsetting);
    return cpu::rdtsc() + (offsetting ? read_field(E::tsc_offset) : 0);
}

uint32_t load_entry_msr_area(vmx::VmxVcpu& vcpu, Vmcs12& vmcs12)
{
    L2EntryBackend backend(vcpu, vmcs12);
    AreaMsrs msrs(vcpu.vm().cpu(), backend, vmcs12.get(E::guest_cr0) & CR0_PG);
    uint64_t apic_base = vcpu.vm().cpu().apic_base();
    uint32_t failed = load_msr_area(vcpu.vm().memory(), vmcs12.get(E::entry_msr_load_address),
                                    uint32_t(vmcs12.get(E::entry_msr_load_count)), msrs);
    apply_apic_base(vcpu, apic_base);
    return failed;
}

uint32_t store_exit_msr_area(vmx::VmxVcpu& vcpu, const Vmcs12& vmcs12)
{
    L2ExitBackend backend(vcpu);
    AreaMsrs msrs(vcpu.vm().cpu(), backend, read_field(E::guest_cr0) & CR0_PG);
    return store_msr_area(vcpu.vm().memory(), vmcs12.get(E::exit_msr_store_address),
                          uint32_t(vmcs12.get(E::exit_msr_store_count)), msrs);
}

uint32_t load_exit_msr_area(vmx::VmxVcpu& vcpu, const Vmcs12& vmcs12)
{
    /* L1's own: VMCS01 holds L1's state as the exit loaded it. */
    vmx::VmxMsrBackend backend(vcpu);
    AreaMsrs msrs(vcpu.vm().cpu(), backend, read_field(E::guest_cr0) & CR0_PG);
    uint64_t apic_base = vcpu.vm().cpu().apic_base();
    uint32_t failed = load_msr_area(vcpu.vm().memory(), vmcs12.get(E::exit_msr_load_address),
                                    uint32_t(vmcs12.get(E::exit_msr_load_count)), msrs);
    apply_apic_base(vcpu, apic_base);
    return failed;
}

} // namespace nested
