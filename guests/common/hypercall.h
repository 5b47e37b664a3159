/* The Matryoshka hypercalls as a 32-bit guest makes them: VMCALL with the number
 * in EAX, arguments in EBX, ECX, EDX, ESI, the result in EAX (abi/hypercall.h).
 * The wrappers tell the compiler every argument register may change, so they stay
 * correct whatever the hypervisor does; the hypercall guest checks separately that
 * it preserves them (register_probe.S). */
#pragma once
#include "abi/hypercall.h"

#include <stdint.h>

namespace guest {

enum class TestOutcome : uint32_t { pass = 0, fail = 1, skip = 2 };

struct HypercallResult {
    int32_t status; /* EAX: >= 0 success, a negative errno value otherwise */
    uint32_t ebx;   /* what EBX holds afterwards (ping's second result) */
};

inline HypercallResult hypercall(uint32_t number, uint32_t ebx = 0, uint32_t ecx = 0, uint32_t edx = 0,
                                 uint32_t esi = 0)
{
    uint32_t eax = number;
    asm volatile("vmcall" : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx), "+S"(esi) : : "memory");
    return {int32_t(eax), ebx};
}

/* The same hypercall by AMD's VMMCALL: the hypervisor accepts both instructions
 * on both backends, so no guest depends on the vendor string. */
inline HypercallResult hypercall_by_vmmcall(uint32_t number, uint32_t ebx = 0, uint32_t ecx = 0, uint32_t edx = 0,
                                            uint32_t esi = 0)
{
    uint32_t eax = number;
    asm volatile("vmmcall" : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx), "+S"(esi) : : "memory");
    return {int32_t(eax), ebx};
}

inline HypercallResult ping(uint32_t value) { return hypercall(HYPERCALL_PING, value); }

inline int32_t print(const void* text, uint32_t length)
{
    return hypercall(HYPERCALL_PRINT, uint32_t(uintptr_t(text)), length).status;
}

inline int32_t test_report(const char* name, TestOutcome outcome, const char* reason)
{
    return hypercall(HYPERCALL_TEST_REPORT, uint32_t(uintptr_t(name)), uint32_t(outcome),
                     uint32_t(uintptr_t(reason)))
        .status;
}

[[noreturn]] inline void power_off(uint32_t status)
{
    hypercall(HYPERCALL_POWER_OFF, status);
    /* The VM must be gone; a hypervisor that returned leaves us nothing to do. */
    for (;;)
        asm volatile("cli; hlt");
}

} // namespace guest
