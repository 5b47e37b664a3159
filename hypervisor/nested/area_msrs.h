/* VMCS12's MSR areas through L1's CPU model: an entry of the VM-entry MSR-load,
 * VM-exit MSR-store or VM-exit MSR-load area reaches the vCPU's MSRs as WRMSR and
 * RDMSR of that level would, with their checks (Intel SDM rev. 084, Vol. 3C,
 * "Loading MSRs", "Saving MSRs", "VM-Exit Failures" on what the areas refuse).
 *
 * load_msr_area()/store_msr_area() (vm_exit12.h) refuse what the SDM names for
 * the areas (x2APIC MSRs 800H-8FFH, IA32_SMM_MONITOR_CTL, IA32_FS_BASE and
 * IA32_GS_BASE on load); AreaMsrs refuses what WRMSR/RDMSR at CPL 0 would #GP on:
 * what the model refuses (an MSR the guest's CPU lacks, reserved bits, a
 * non-canonical address, the read-only VMX capability MSRs), and WRMSR's "#GP if
 * IA32_EFER.LME changes while CR0.PG = 1" ("IA32_EFER MSR", "Initializing IA-32e
 * Mode"), which needs the level's CR0. IA32_EFER, IA32_PAT,
 * IA32_TIME_STAMP_COUNTER and IA32_APIC_BASE go through like any other MSR: the
 * backend given for the level does their side effects (l2_msr_areas.cpp). Pure
 * logic over GuestCpu and an MsrBackend, unit-tested in
 * tests/unit/area_msrs_test.cpp. */
#pragma once
#include "hypervisor/cpu_model/cpu_model.h"
#include "hypervisor/nested/vm_exit12.h"

#include <stdint.h>

namespace nested {

/* One level's MSRs for an area: the model's checks and state, and `backend` for
 * the MSRs whose home is the backend (for the level the area is meant for).
 * `paging`: that level's CR0.PG when the area is walked. */
class AreaMsrs final : public MsrSink, public MsrSource {
public:
    AreaMsrs(cpu_model::GuestCpu& cpu, cpu_model::MsrBackend& backend, bool paging)
        : cpu_(cpu), backend_(backend), paging_(paging)
    {
    }
    [[nodiscard]] bool write(uint32_t msr, uint64_t value) override;
    [[nodiscard]] bool read(uint32_t msr, uint64_t& value) override;

private:
    cpu_model::GuestCpu& cpu_;
    cpu_model::MsrBackend& backend_;
    bool paging_;
};

} // namespace nested
