/* hypervisor/vmx/msr_bitmap.cpp against the layout the Intel SDM (revision 084,
 * Vol. 3C, "VM-Execution Control Fields", "MSR-Bitmap Address") gives: read-low
 * at byte 0, read-high at 1024, write-low at 2048, write-high at 3072, bit n%8 of
 * byte n/8 for MSR n of its range. Also pins a bug of the code it replaced: an MSR
 * outside both ranges (0x40000000, say) was "allowed" by clearing the bit of
 * another MSR (its low 13 bits), which would have let that one through. */
#include "arch/x86_64/msr.h"
#include "hypervisor/vmx/msr_bitmap.h"
#include "unit_test.h"

#include <array>
#include <initializer_list>

namespace {

using Page = std::array<uint8_t, msr_bitmap::SIZE>;

Page denied()
{
    Page page{};
    msr_bitmap::deny_all(page.data());
    return page;
}

constexpr uint32_t IA32_EFER = uint32_t(Msr::efer);
constexpr uint32_t IA32_SYSENTER_CS = uint32_t(Msr::sysenter_cs);

} // namespace

UNIT_TEST(msr_bitmap_denied_makes_every_access_exit)
{
    Page page = denied();
    for (uint32_t msr : {0u, 0x10u, 0x1FFFu, 0x2000u, 0x40000000u, 0xC0000000u, IA32_EFER, 0xC0001FFFu, 0xFFFFFFFFu}) {
        CHECK(msr_bitmap::exits(page.data(), msr, false));
        CHECK(msr_bitmap::exits(page.data(), msr, true));
    }
}

UNIT_TEST(msr_bitmap_allow_clears_the_read_and_write_bits_where_the_sdm_puts_them)
{
    Page page = denied();
    CHECK(msr_bitmap::allow(page.data(), IA32_EFER));
    /* High range: read-high byte 1024 + 0x80/8 = 1040, write-high 3072 + 16 = 3088, bit 0. */
    CHECK_EQ(page[1040], 0xFEu);
    CHECK_EQ(page[3088], 0xFEu);
    CHECK(msr_bitmap::allow(page.data(), IA32_SYSENTER_CS));
    /* Low range: byte 0x174/8 = 46, bit 4; write-low 2048 + 46. */
    CHECK_EQ(page[46], 0xEFu);
    CHECK_EQ(page[2048 + 46], 0xEFu);
    size_t cleared = 0;
    for (uint8_t byte : page)
        cleared += byte != 0xFF;
    CHECK_EQ(cleared, 4u);
}

UNIT_TEST(msr_bitmap_allowed_msr_passes_its_neighbours_still_exit)
{
    Page page = denied();
    CHECK(msr_bitmap::allow(page.data(), IA32_EFER));
    CHECK(!msr_bitmap::exits(page.data(), IA32_EFER, false));
    CHECK(!msr_bitmap::exits(page.data(), IA32_EFER, true));
    CHECK(msr_bitmap::exits(page.data(), IA32_EFER - 1, false));
    CHECK(msr_bitmap::exits(page.data(), IA32_EFER + 1, true));
    /* The low MSR with the same low 13 bits is another MSR. */
    CHECK(msr_bitmap::exits(page.data(), 0x80, false));
    CHECK(msr_bitmap::exits(page.data(), 0x80, true));
}

UNIT_TEST(msr_bitmap_edges_of_both_ranges_can_be_allowed)
{
    Page page = denied();
    for (uint32_t msr : {0u, 0x1FFFu, 0xC0000000u, 0xC0001FFFu}) {
        CHECK(msr_bitmap::allow(page.data(), msr));
        CHECK(!msr_bitmap::exits(page.data(), msr, false));
        CHECK(!msr_bitmap::exits(page.data(), msr, true));
    }
}

UNIT_TEST(msr_bitmap_msr_outside_both_ranges_cannot_be_allowed_and_changes_nothing)
{
    for (uint32_t msr : {0x2000u, 0x40000000u, 0x40000080u, 0xBFFFFFFFu, 0xC0002000u, 0xC0010000u, 0xFFFFFFFFu}) {
        Page page = denied();
        CHECK(!msr_bitmap::allow(page.data(), msr));
        CHECK(page == denied());
        CHECK(msr_bitmap::exits(page.data(), msr, false));
    }
}
