/* The MSR bitmap of a VMCS (Intel SDM, revision 084, Vol. 3C, "VM-Execution
 * Control Fields", "MSR-Bitmap Address"): one 4 KiB page of four 1 KiB bitmaps,
 * read-low (MSRs 0-0x1FFF), read-high (0xC0000000-0xC0001FFF), write-low and
 * write-high, one bit per MSR. A set bit makes RDMSR or WRMSR of that MSR exit;
 * every MSR outside the two ranges always exits. Pure logic, unit-tested on the
 * build machine (tests/unit/msr_bitmap_test.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace msr_bitmap {

constexpr size_t SIZE = 4096;

/* Every access to every MSR exits. */
void deny_all(uint8_t* bitmap);
/* Lets the guest read and write `msr` without an exit; false (and the bitmap
 * unchanged) for an MSR outside the two ranges, which cannot be passed through. */
[[nodiscard]] bool allow(uint8_t* bitmap, uint32_t msr);
/* What the CPU decides: does RDMSR (or WRMSR, `write`) of `msr` exit? */
bool exits(const uint8_t* bitmap, uint32_t msr, bool write);

} // namespace msr_bitmap
