/* The operands of an intercepted INS or OUTS that SVM leaves to software when
 * the CPU has no decode assists (QEMU's TCG): the effective segment of OUTS and
 * the address size, read from the instruction's legacy prefixes (AMD64 APM
 * Vol. 3, "Legacy Prefixes": 26/2E/36/3E/64/65 segment overrides, 67 address
 * size; and "Instruction Prefixes" for REX, which ends the prefixes in 64-bit
 * mode). EXITINFO1 of the IOIO intercept (APM Vol. 2, "IOIO Intercepts") carries
 * both only with decode assists. Pure logic, unit-tested on the build machine
 * (tests/unit/string_io_decode_test.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace svm {

/* Segment registers in the order of EXITINFO1's SEG field. */
enum class SegmentRegister : uint8_t { es = 0, cs = 1, ss = 2, ds = 3, fs = 4, gs = 5 };

/* The code segment's default operand/address size: 16, 32 or 64 bits. */
enum class CodeSize : uint8_t { bits16 = 16, bits32 = 32, bits64 = 64 };

struct StringIoOperands {
    bool ok;                 /* false: no INS/OUTS opcode within the bytes given */
    SegmentRegister segment; /* OUTS's source segment; INS always writes through ES */
    unsigned address_bits;   /* 16, 32 or 64 */
};

/* Decodes `length` instruction bytes starting at the guest's RIP. */
constexpr StringIoOperands decode_string_io(const uint8_t* bytes, size_t length, CodeSize code_size)
{
    SegmentRegister segment = SegmentRegister::ds;
    bool address_override = false;
    for (size_t i = 0; i < length && i < 15; ++i) {
        uint8_t byte = bytes[i];
        switch (byte) {
        case 0x26: segment = SegmentRegister::es; continue;
        case 0x2E: segment = SegmentRegister::cs; continue;
        case 0x36: segment = SegmentRegister::ss; continue;
        case 0x3E: segment = SegmentRegister::ds; continue;
        case 0x64: segment = SegmentRegister::fs; continue;
        case 0x65: segment = SegmentRegister::gs; continue;
        case 0x67: address_override = true; continue;
        case 0x66: case 0xF2: case 0xF3: case 0xF0: continue;
        default: break;
        }
        if (code_size == CodeSize::bits64 && (byte & 0xF0) == 0x40)
            continue; /* REX: only the opcode may follow, which the next round checks */
        bool string_io = byte == 0x6C || byte == 0x6D || byte == 0x6E || byte == 0x6F;
        if (!string_io)
            return {false, segment, 0};
        unsigned bits = code_size == CodeSize::bits64   ? (address_override ? 32 : 64)
                        : code_size == CodeSize::bits32 ? (address_override ? 16 : 32)
                                                        : (address_override ? 32 : 16);
        return {true, segment, bits};
    }
    return {false, segment, 0};
}

} // namespace svm
