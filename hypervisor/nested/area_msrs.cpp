/* VMCS12's MSR areas through L1's CPU model; see area_msrs.h. */
#include "hypervisor/nested/area_msrs.h"

#include "arch/x86_64/msr.h"

namespace nested {

bool kept_from_areas(uint32_t msr)
{
    return msr == uint32_t(Msr::apic_base) || msr == uint32_t(Msr::time_stamp_counter) ||
           msr == uint32_t(Msr::efer) || msr == uint32_t(Msr::pat);
}

bool AreaMsrs::write(uint32_t msr, uint64_t value)
{
    return !kept_from_areas(msr) && cpu_.write_msr(msr, value, backend_);
}

bool AreaMsrs::read(uint32_t msr, uint64_t& value)
{
    return !kept_from_areas(msr) && cpu_.read_msr(msr, value, backend_);
}

} // namespace nested
