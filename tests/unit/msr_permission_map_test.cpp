/* hypervisor/svm/msr_permission_map.h against the APM's "MSR Intercepts" layout:
 * where each range's bits live, and that nothing outside them can be passed. */
#include "hypervisor/svm/msr_permission_map.h"
#include "unit_test.h"

#include <vector>

using namespace svm;

UNIT_TEST(msrpm_pass_through_clears_the_two_bits_of_each_range)
{
    std::vector<uint8_t> map(MSRPM_BYTES);
    msrpm::intercept_all(map.data());
    CHECK(msrpm::exits(map.data(), 0x10, false));
    /* MSR 0x174: bits 0x2E8-0x2E9, byte 0x5D, bits 0-1 of it. */
    CHECK(msrpm::pass_through(map.data(), 0x174));
    CHECK_EQ(int(map[0x5D]), 0xFC);
    /* LSTAR (C000_0082): second vector, bits 0x104-0x105: byte 0x800 + 0x20, bits 4-5. */
    CHECK(msrpm::pass_through(map.data(), 0xC0000082));
    CHECK_EQ(int(map[0x820]), 0xCF);
    /* C001_0117 (VM_HSAVE_PA) sits in the third vector, at byte 0x1000 + 0x45. */
    CHECK(msrpm::exits(map.data(), 0xC0010117, true));
    CHECK(msrpm::pass_through(map.data(), 0xC0010117));
    CHECK_EQ(int(map[0x1045]), 0x3F); /* bits 0x22E-0x22F: bits 6-7 of the byte */
    CHECK(!msrpm::exits(map.data(), 0xC0000082, false) && !msrpm::exits(map.data(), 0xC0000082, true));
    CHECK(msrpm::exits(map.data(), 0xC0000080, true)); /* EFER next door still exits */
}

UNIT_TEST(msrpm_msrs_outside_the_ranges_always_exit)
{
    std::vector<uint8_t> map(MSRPM_BYTES);
    msrpm::intercept_all(map.data());
    for (uint32_t msr : {0x2000u, 0xBFFFFFFFu, 0xC0002000u, 0xC0012000u, 0xFFFFFFFFu}) {
        CHECK(!msrpm::pass_through(map.data(), msr));
        CHECK(msrpm::exits(map.data(), msr, false));
    }
    for (size_t i = 0; i < MSRPM_BYTES; ++i)
        CHECK_EQ(int(map[i]), 0xFF); /* nothing changed, the reserved 2 KiB included */
}
