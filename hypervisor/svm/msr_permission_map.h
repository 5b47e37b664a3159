/* The MSR permission map of SVM (AMD64 APM Vol. 2, "MSR Intercepts"): 8 KiB,
 * two bits per MSR (bit 2n: RDMSR exits, bit 2n+1: WRMSR exits) in three 2 KiB
 * vectors for MSRs 0000_0000-0000_1FFF, C000_0000-C000_1FFF and
 * C001_0000-C001_1FFF; the last 2 KiB are reserved. An MSR outside the three
 * ranges always exits. Pure logic, header-only, unit-tested on the build machine
 * (tests/unit/msr_permission_map_test.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace svm {

constexpr size_t MSRPM_BYTES = 8192;

namespace msrpm {

/* The byte offset of the vector holding `msr`, or -1 outside the three ranges. */
constexpr long vector_offset(uint32_t msr)
{
    if (msr <= 0x1FFF)
        return 0x000;
    if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
        return 0x800;
    if (msr >= 0xC0010000 && msr <= 0xC0011FFF)
        return 0x1000;
    return -1;
}

/* Every access to every MSR exits. */
inline void intercept_all(uint8_t* map)
{
    for (size_t i = 0; i < MSRPM_BYTES; ++i)
        map[i] = 0xFF;
}

/* Lets the guest read and write `msr` without an exit; false (map unchanged)
 * for an MSR outside the three ranges. */
[[nodiscard]] inline bool pass_through(uint8_t* map, uint32_t msr)
{
    long offset = vector_offset(msr);
    if (offset < 0)
        return false;
    unsigned bit = (msr & 0x1FFF) * 2;
    map[offset + bit / 8] &= uint8_t(~(3u << (bit % 8)));
    return true;
}

/* What the CPU decides: does RDMSR (or WRMSR, `write`) of `msr` exit? */
inline bool exits(const uint8_t* map, uint32_t msr, bool write)
{
    long offset = vector_offset(msr);
    if (offset < 0)
        return true;
    unsigned bit = (msr & 0x1FFF) * 2 + (write ? 1 : 0);
    return (map[offset + bit / 8] >> (bit % 8)) & 1;
}

} // namespace msrpm
} // namespace svm
