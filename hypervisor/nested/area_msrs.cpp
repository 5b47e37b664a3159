/* VMCS12's MSR areas through L1's CPU model; see area_msrs.h. */
#include "hypervisor/nested/area_msrs.h"

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/msr.h"

namespace nested {

bool AreaMsrs::write(uint32_t msr, uint64_t value)
{
    if (msr == uint32_t(Msr::efer) && paging_ && ((value ^ backend_.read_backend_msr(Msr::efer)) & EFER_LME))
        return false;
    return cpu_.write_msr(msr, value, backend_);
}

bool AreaMsrs::read(uint32_t msr, uint64_t& value) { return cpu_.read_msr(msr, value, backend_); }

} // namespace nested
