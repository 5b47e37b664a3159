/* The MSR bitmap; see msr_bitmap.h. */
#include "hypervisor/vmx/msr_bitmap.h"

namespace msr_bitmap {

namespace {

constexpr uint32_t LOW_END = 0x2000;
constexpr uint32_t HIGH_BASE = 0xC0000000;
constexpr size_t WRITE_OFFSET = 2048; /* write-low; write-high follows it */
constexpr size_t HIGH_OFFSET = 1024;  /* read-high after read-low, write-high after write-low */

/* The byte of the read bitmap that holds `msr`'s bit, or false outside the ranges. */
bool read_byte(uint32_t msr, size_t& byte)
{
    if (msr < LOW_END) {
        byte = msr / 8;
        return true;
    }
    if (msr >= HIGH_BASE && msr - HIGH_BASE < LOW_END) {
        byte = HIGH_OFFSET + (msr - HIGH_BASE) / 8;
        return true;
    }
    return false;
}

} // namespace

void deny_all(uint8_t* bitmap) { __builtin_memset(bitmap, 0xFF, SIZE); }

bool allow(uint8_t* bitmap, uint32_t msr)
{
    size_t byte;
    if (!read_byte(msr, byte))
        return false;
    uint8_t bit = uint8_t(1u << (msr % 8));
    bitmap[byte] &= uint8_t(~bit);
    bitmap[WRITE_OFFSET + byte] &= uint8_t(~bit);
    return true;
}

bool exits(const uint8_t* bitmap, uint32_t msr, bool write)
{
    size_t byte;
    if (!read_byte(msr, byte))
        return true;
    return (bitmap[(write ? WRITE_OFFSET : 0) + byte] >> (msr % 8)) & 1;
}

} // namespace msr_bitmap
