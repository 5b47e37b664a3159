/* hypervisor/vmx/io_bitmap.cpp against the Intel SDM (revision 084), Vol. 3C,
 * "I/O-Bitmap Addresses" and "Instructions That Cause VM Exits Conditionally":
 * bitmap A for ports 0-0x7FFF, B for 0x8000-0xFFFF, bit n%8 of byte n/8; an
 * access exits if any of its ports' bits is set or if it wraps past 0xFFFF. */
#include "hypervisor/vmx/io_bitmap.h"
#include "unit_test.h"

#include <array>
#include <initializer_list>

namespace {

using Page = std::array<uint8_t, io_bitmap::SIZE>;

struct Pair {
    Page a{}, b{};
    Pair() { io_bitmap::exit_on_every_port(bitmaps()); }
    io_bitmap::Bitmaps bitmaps() { return {a.data(), b.data()}; }
    size_t cleared_bytes() const
    {
        size_t cleared = 0;
        for (const Page* page : {&a, &b})
            for (uint8_t byte : *page)
                cleared += byte != 0xFF;
        return cleared;
    }
};

} // namespace

UNIT_TEST(io_bitmap_exit_on_every_port_makes_every_access_exit)
{
    Pair pair;
    for (unsigned port : {0u, 0x80u, 0x7FFFu, 0x8000u, 0xCF8u, 0xFFFCu, 0xFFFFu})
        for (unsigned size : {1u, 2u, 4u})
            CHECK(io_bitmap::exits(pair.bitmaps(), uint16_t(port), size));
}

UNIT_TEST(io_bitmap_pass_through_clears_the_bit_where_the_sdm_puts_it)
{
    Pair pair;
    io_bitmap::pass_through(pair.bitmaps(), 0x80); /* A, byte 16, bit 0 */
    CHECK_EQ(pair.a[16], 0xFEu);
    io_bitmap::pass_through(pair.bitmaps(), 0x8003); /* B, byte 0, bit 3 */
    CHECK_EQ(pair.b[0], 0xF7u);
    io_bitmap::pass_through(pair.bitmaps(), 0xFFFF); /* B, byte 4095, bit 7 */
    CHECK_EQ(pair.b[4095], 0x7Fu);
    io_bitmap::pass_through(pair.bitmaps(), 0x7FFF); /* A, byte 4095, bit 7 */
    CHECK_EQ(pair.a[4095], 0x7Fu);
    CHECK_EQ(pair.cleared_bytes(), 4u);
}

UNIT_TEST(io_bitmap_passed_port_alone_does_not_exit_its_neighbours_do)
{
    Pair pair;
    io_bitmap::pass_through(pair.bitmaps(), 0x80);
    CHECK(!io_bitmap::exits(pair.bitmaps(), 0x80, 1));
    CHECK(io_bitmap::exits(pair.bitmaps(), 0x7F, 1));
    CHECK(io_bitmap::exits(pair.bitmaps(), 0x81, 1));
    /* A word or dword at 0x80 also touches 0x81..0x83, which exit. */
    CHECK(io_bitmap::exits(pair.bitmaps(), 0x80, 2));
    CHECK(io_bitmap::exits(pair.bitmaps(), 0x80, 4));
    /* The same bit in bitmap B is another port. */
    CHECK(io_bitmap::exits(pair.bitmaps(), 0x8080, 1));
}

UNIT_TEST(io_bitmap_wide_access_passes_only_when_every_port_does)
{
    Pair pair;
    for (uint16_t port = 0x7FFE; port <= 0x8001; ++port)
        io_bitmap::pass_through(pair.bitmaps(), port);
    /* Across the border of A and B. */
    CHECK(!io_bitmap::exits(pair.bitmaps(), 0x7FFE, 4));
    CHECK(io_bitmap::exits(pair.bitmaps(), 0x7FFF, 4));
    CHECK(!io_bitmap::exits(pair.bitmaps(), 0x7FFF, 2));
}

UNIT_TEST(io_bitmap_access_wrapping_past_ffff_always_exits)
{
    Pair pair;
    for (uint16_t port : {0xFFFEu, 0xFFFFu, 0u, 1u})
        io_bitmap::pass_through(pair.bitmaps(), port);
    CHECK(!io_bitmap::exits(pair.bitmaps(), 0xFFFF, 1));
    CHECK(!io_bitmap::exits(pair.bitmaps(), 0xFFFE, 2));
    CHECK(io_bitmap::exits(pair.bitmaps(), 0xFFFF, 2));
    CHECK(io_bitmap::exits(pair.bitmaps(), 0xFFFE, 4));
}
