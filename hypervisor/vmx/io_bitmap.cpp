/* The I/O bitmaps; see io_bitmap.h. */
#include "hypervisor/vmx/io_bitmap.h"

namespace io_bitmap {

namespace {

constexpr uint32_t PORTS_PER_BITMAP = 0x8000;

/* The byte holding `port`'s bit, in A or B. */
uint8_t& byte_of(Bitmaps bitmaps, uint16_t port)
{
    uint8_t* bitmap = port < PORTS_PER_BITMAP ? bitmaps.a : bitmaps.b;
    return bitmap[(port % PORTS_PER_BITMAP) / 8];
}

bool bit_set(const Bitmaps& bitmaps, uint16_t port) { return (byte_of(bitmaps, port) >> (port % 8)) & 1; }

} // namespace

void exit_on_every_port(Bitmaps bitmaps)
{
    __builtin_memset(bitmaps.a, 0xFF, SIZE);
    __builtin_memset(bitmaps.b, 0xFF, SIZE);
}

void pass_through(Bitmaps bitmaps, uint16_t port) { byte_of(bitmaps, port) &= uint8_t(~(1u << (port % 8))); }

bool exits(const Bitmaps& bitmaps, uint16_t port, unsigned size)
{
    size = size == 2 || size == 4 ? size : 1;
    if (uint32_t(port) + size > 0x10000)
        return true; /* wraps around the 16-bit port space */
    for (unsigned i = 0; i < size; ++i)
        if (bit_set(bitmaps, uint16_t(port + i)))
            return true;
    return false;
}

} // namespace io_bitmap
