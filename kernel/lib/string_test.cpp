/* In-kernel tests of the kernel's own memcpy, memset and memmove (set "boot"):
 * they copy and fill in 8-byte units with a byte tail, so every length and
 * alignment around the unit must come out exact, touching nothing outside. */
#include "lib/string.h"
#include "test/kernel_test.h"

#include <stdint.h>

namespace {

constexpr size_t SPAN = 64;
constexpr uint8_t FENCE = 0xEE;

uint8_t pattern_byte(size_t i) { return uint8_t(i * 7 + 1); }

} // namespace

KERNEL_TEST(boot, memcpy_and_memset_are_exact_at_every_length_and_alignment)
{
    uint8_t source[SPAN], target[SPAN + 16];
    for (size_t i = 0; i < SPAN; ++i)
        source[i] = pattern_byte(i);
    for (size_t offset = 0; offset < 8; ++offset) {
        for (size_t length = 0; length + offset < SPAN; ++length) {
            memset(target, FENCE, sizeof(target));
            memcpy(target + offset, source + (7 - offset), length);
            bool exact = true;
            for (size_t i = 0; i < sizeof(target); ++i) {
                bool inside = i >= offset && i < offset + length;
                exact &= target[i] == (inside ? source[7 - offset + i - offset] : FENCE);
            }
            memset(target + offset, 0x5A, length);
            for (size_t i = 0; i < sizeof(target); ++i) {
                bool inside = i >= offset && i < offset + length;
                exact &= target[i] == (inside ? 0x5A : FENCE);
            }
            if (!exact) {
                t.fail("offset %zu, length %zu", offset, length);
                return;
            }
        }
    }
}

KERNEL_TEST(boot, memmove_copies_overlapping_ranges_both_ways)
{
    uint8_t bytes[SPAN];
    for (size_t i = 0; i < SPAN; ++i)
        bytes[i] = pattern_byte(i);
    memmove(bytes + 3, bytes, 40); /* forwards overlap: copied from the end */
    bool forward = true;
    for (size_t i = 0; i < 40; ++i)
        forward &= bytes[3 + i] == pattern_byte(i);
    EXPECT(forward);
    for (size_t i = 0; i < SPAN; ++i)
        bytes[i] = pattern_byte(i);
    memmove(bytes, bytes + 5, 40); /* backwards overlap: memcpy's direction */
    bool backward = true;
    for (size_t i = 0; i < 40; ++i)
        backward &= bytes[i] == pattern_byte(5 + i);
    EXPECT(backward);
}
