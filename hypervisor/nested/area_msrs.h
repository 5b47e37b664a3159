/* VMCS12's MSR areas through L1's CPU model: an entry of the VM-entry MSR-load,
 * VM-exit MSR-store or VM-exit MSR-load area reaches the vCPU's MSRs as WRMSR and
 * RDMSR of that level would, with their checks (Intel SDM rev. 084, Vol. 3C,
 * "Loading MSRs", "Saving MSRs", "VM-Exit Failures" on what the areas refuse).
 *
 * load_msr_area()/store_msr_area() (vm_exit12.h) refuse what the SDM names for
 * the areas (x2APIC MSRs 800H-8FFH, IA32_SMM_MONITOR_CTL, IA32_FS_BASE and
 * IA32_GS_BASE on load); AreaMsrs refuses what the model would #GP on (an MSR
 * the guest's CPU lacks, reserved bits, a non-canonical address, the read-only
 * VMX capability MSRs) and the MSRs whose side effects only the exit handlers
 * apply (see kept_from_areas()). Pure logic over GuestCpu and an MsrBackend,
 * unit-tested in tests/unit/area_msrs_test.cpp. */
#pragma once
#include "hypervisor/cpu_model/cpu_model.h"
#include "hypervisor/nested/vm_exit12.h"

#include <stdint.h>

namespace nested {

/* MSRs an area may not load or store although the model has them: IA32_APIC_BASE
 * (switches the local APIC model), IA32_TIME_STAMP_COUNTER (a TSC offset of the
 * level the area is for), IA32_EFER and IA32_PAT (VMCS fields whose L2 values
 * VMCS02 takes from VMCS12's "load" controls). FIXME: route them too, each with
 * its side effect for the right level. The entry fails (reason 34) or, for the
 * exit areas, the exit aborts: never a silent wrong value. */
bool kept_from_areas(uint32_t msr);

/* One level's MSRs for an area: the model's checks and state, and `backend` for
 * the MSRs whose home is the backend (for the level the area is meant for). */
class AreaMsrs final : public MsrSink, public MsrSource {
public:
    AreaMsrs(cpu_model::GuestCpu& cpu, cpu_model::MsrBackend& backend) : cpu_(cpu), backend_(backend) {}
    [[nodiscard]] bool write(uint32_t msr, uint64_t value) override;
    [[nodiscard]] bool read(uint32_t msr, uint64_t& value) override;

private:
    cpu_model::GuestCpu& cpu_;
    cpu_model::MsrBackend& backend_;
};

} // namespace nested
