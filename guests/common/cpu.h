/* Single instructions a test guest needs, as inline functions.
 * Follows the Intel SDM (revision 084), Vol. 2, "CPUID", "RDMSR", "WRMSR", "RDTSC". */
#pragma once
#include <stdint.h>

namespace guest {

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0)
{
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

/* CPUID.1:ECX bits (SDM Vol. 2, "CPUID", table "Feature Information Returned in
 * the ECX Register"). */
constexpr uint32_t CPUID_1_ECX_VMX = 1u << 5;
constexpr uint32_t CPUID_1_ECX_HYPERVISOR = 1u << 31;

[[noreturn]] inline void halt_forever()
{
    for (;;)
        asm volatile("cli; hlt");
}

} // namespace guest
