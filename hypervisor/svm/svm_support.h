/* Finding and enabling SVM on this CPU, as the AMD64 APM Vol. 2 (revision 3.42),
 * chapter "Secure Virtual Machine" describes it in "SVM Processor and Platform
 * Extensions" (CPUID Fn8000_0001 ECX.SVM, Fn8000_000A: revision, ASID count and
 * the optional features), "Enabling SVM" (VM_CR.SVMDIS, EFER.SVME) and "VMRUN"
 * (the host state-save area named by VM_HSAVE_PA). */
#pragma once
#include "arch/x86_64/msr.h"

#include <stdint.h>

namespace svm {

using ::msr::VM_CR_LOCK;
using ::msr::VM_CR_SVMDIS;
/* CPUID Fn8000_0001 ECX bit 2: SVM. */
constexpr uint32_t CPUID_80000001_ECX_SVM = 1u << 2;
constexpr uint32_t CPUID_SVM_FEATURES = 0x8000000A;

/* CPUID Fn8000_000A EDX bits this hypervisor looks at. */
namespace feature {
constexpr uint32_t NESTED_PAGING = 1u << 0;
constexpr uint32_t NRIP_SAVE = 1u << 3;
constexpr uint32_t FLUSH_BY_ASID = 1u << 6;
constexpr uint32_t DECODE_ASSISTS = 1u << 7;
} // namespace feature

struct SvmCapabilities {
    uint32_t revision = 0;   /* Fn8000_000A EAX[7:0] */
    uint32_t asid_count = 0; /* Fn8000_000A EBX: ASIDs 0 (the host's) to asid_count - 1 */
    uint32_t features = 0;   /* Fn8000_000A EDX */
    bool has(uint32_t bit) const { return features & bit; }
};

enum class SvmSupportError {
    none,
    no_svm,               /* CPUID Fn8000_0001 ECX.SVM = 0 */
    disabled_by_firmware, /* VM_CR.SVMDIS = 1 */
    no_nested_paging,     /* Fn8000_000A EDX.NP = 0: guest RAM could not be mapped */
    too_few_asids,        /* fewer than two: no ASID left besides the host's */
};
const char* svm_support_error_text(SvmSupportError error);

/* True when CPUID says SVM exists (nothing else is touched). */
bool cpu_has_svm();
/* Fn8000_000A, read on the first call. */
const SvmCapabilities& host_svm_capabilities();

/* Checks the features, sets EFER.SVME and VM_HSAVE_PA, once; later calls return
 * the first result. The host state-save area is a page of the image's .bss. */
[[nodiscard]] SvmSupportError enable_svm();
bool svm_enabled();

/* The page that VMSAVE fills with the host's FS, GS, TR, LDTR (with their hidden
 * parts), KernelGsBase, STAR, LSTAR, CSTAR, SFMASK and SYSENTER MSRs before each
 * VMRUN, and VMLOAD restores after it: VMRUN and #VMEXIT switch none of these
 * ("VMSAVE and VMLOAD Instructions"). */
uint64_t host_vmsave_area_physical();
/* The I/O and MSR permission maps every VM shares ("I/O Intercepts", "MSR
 * Intercepts"): 12 KiB and 8 KiB, physically contiguous, filled by enable_svm().
 * Two I/O maps: every port intercepted, or all but the platform's pass-through
 * ports (VirtualPlatform::PASS_THROUGH_PORTS, as VMX's I/O bitmaps; an access
 * of several bytes exits if any of its ports is intercepted). */
uint64_t iopm_physical(bool pass_through);
uint64_t msrpm_physical();

} // namespace svm
