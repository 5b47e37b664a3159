/* The I/O bitmaps of a VMCS (Intel SDM, revision 084, Vol. 3C, "VM-Execution
 * Control Fields", "I/O-Bitmap Addresses", and "Instructions That Cause VM Exits
 * Conditionally", IN/OUT): bitmap A holds one bit for each port 0x0000-0x7FFF,
 * bitmap B one for each port 0x8000-0xFFFF, 4 KiB each. With "use I/O bitmaps"
 * on, an IN, OUT, INS or OUTS exits if the bit of any port it touches is set, or
 * if it wraps around from port 0xFFFF to 0; with the bit clear the access goes to
 * the host's hardware. Pure logic, unit-tested on the build machine
 * (tests/unit/io_bitmap_test.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace io_bitmap {

constexpr size_t SIZE = 4096; /* each of A and B */

struct Bitmaps {
    uint8_t* a; /* ports 0x0000-0x7FFF */
    uint8_t* b; /* ports 0x8000-0xFFFF */
};

/* Every access to every port exits: the same as unconditional I/O exiting. */
void exit_on_every_port(Bitmaps bitmaps);
/* Lets the guest reach the host's `port` without an exit. */
void pass_through(Bitmaps bitmaps, uint16_t port);
/* What the CPU decides for an access of `size` bytes (1, 2 or 4) at `port`. */
bool exits(const Bitmaps& bitmaps, uint16_t port, unsigned size);

} // namespace io_bitmap
