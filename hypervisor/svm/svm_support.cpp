/* SVM detection and enabling; see svm_support.h. */
#include "hypervisor/svm/svm_support.h"

#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "debug/panic.h"
#include "hypervisor/svm/msr_permission_map.h"
#include "hypervisor/vm/platform.h"
#include "mm/direct_map.h"

namespace svm {

namespace {

/* Pages of the image's .bss: the image lies in physically contiguous memory, so
 * the two multi-page maps are contiguous too, as the CPU requires. */
alignas(4096) uint8_t host_state_save_area[4096];
alignas(4096) uint8_t host_vmsave_area[4096];
alignas(4096) uint8_t io_permission_map[3 * 4096];
/* The same with the platform's pass-through ports clear (port 0x80). */
alignas(4096) uint8_t passing_io_permission_map[3 * 4096];
alignas(4096) uint8_t msr_permission_map[MSRPM_BYTES];

SvmCapabilities capabilities;
bool capabilities_read = false;
bool enabled = false;
SvmSupportError first_result = SvmSupportError::none;
bool tried = false;


} // namespace

const char* svm_support_error_text(SvmSupportError error)
{
    switch (error) {
    case SvmSupportError::none: return "none";
    case SvmSupportError::no_svm: return "the CPU offers no SVM (CPUID Fn8000_0001 ECX.SVM is 0)";
    case SvmSupportError::disabled_by_firmware: return "SVM is disabled by the firmware (VM_CR.SVMDIS is 1)";
    case SvmSupportError::no_nested_paging: return "the CPU's SVM lacks nested paging (CPUID Fn8000_000A EDX.NP is 0)";
    case SvmSupportError::too_few_asids: return "the CPU's SVM offers no ASID for guests (CPUID Fn8000_000A EBX < 2)";
    }
    return "?";
}

bool cpu_has_svm()
{
    if (cpu::cpuid(0x80000000).eax < CPUID_SVM_FEATURES)
        return false;
    return cpu::cpuid(0x80000001).ecx & CPUID_80000001_ECX_SVM;
}

const SvmCapabilities& host_svm_capabilities()
{
    if (!capabilities_read) {
        cpu::CpuidResult leaf = cpu::cpuid(CPUID_SVM_FEATURES);
        capabilities = {leaf.eax & 0xFF, leaf.ebx, leaf.edx};
        capabilities_read = true;
    }
    return capabilities;
}

SvmSupportError enable_svm()
{
    if (tried)
        return first_result;
    tried = true;
    first_result = [] {
        if (!cpu_has_svm())
            return SvmSupportError::no_svm;
        if (cpu::rdmsr(Msr::vm_cr) & VM_CR_SVMDIS)
            return SvmSupportError::disabled_by_firmware;
        const SvmCapabilities& caps = host_svm_capabilities();
        if (!caps.has(feature::NESTED_PAGING))
            return SvmSupportError::no_nested_paging;
        if (caps.asid_count < 2)
            return SvmSupportError::too_few_asids;
        /* Every port and every MSR exits: the CPU model (hypervisor/cpu_model)
         * answers MSRs on both backends alike. */
        __builtin_memset(io_permission_map, 0xFF, sizeof(io_permission_map));
        __builtin_memset(passing_io_permission_map, 0xFF, sizeof(passing_io_permission_map));
        for (uint16_t port : VirtualPlatform::PASS_THROUGH_PORTS)
            passing_io_permission_map[port / 8] &= uint8_t(~(1u << (port % 8)));
        msrpm::intercept_all(msr_permission_map);
        cpu::wrmsr(Msr::efer, cpu::rdmsr(Msr::efer) | EFER_SVME);
        cpu::wrmsr(Msr::vm_hsave_pa, virt_to_phys(host_state_save_area));
        return SvmSupportError::none;
    }();
    if (first_result == SvmSupportError::none) {
        enabled = true;
        const SvmCapabilities& caps = host_svm_capabilities();
        log(LogCategory::vmx, "SVM on: revision %u, %u ASIDs, nested paging, NRIP save %s, flush by ASID %s",
            caps.revision, caps.asid_count, caps.has(feature::NRIP_SAVE) ? "yes" : "no",
            caps.has(feature::FLUSH_BY_ASID) ? "yes" : "no");
    }
    return first_result;
}

bool svm_enabled() { return enabled; }

uint64_t host_vmsave_area_physical() { return virt_to_phys(host_vmsave_area); }
uint64_t iopm_physical(bool pass_through)
{
    return virt_to_phys(pass_through ? passing_io_permission_map : io_permission_map);
}
uint64_t msrpm_physical() { return virt_to_phys(msr_permission_map); }

} // namespace svm
