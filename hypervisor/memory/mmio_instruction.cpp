/* The MMIO instruction decoder; see mmio_instruction.h. */
#include "hypervisor/memory/mmio_instruction.h"

namespace mmio {

namespace {

constexpr uint8_t OPCODE_MOV_STORE = 0x89;  /* MOV r/m32, r32 */
constexpr uint8_t OPCODE_MOV_LOAD = 0x8B;   /* MOV r32, r/m32 */
constexpr uint8_t OPCODE_MOV_IMM = 0xC7;    /* MOV r/m32, imm32 (/0) */
constexpr uint8_t OPCODE_MOV_EAX_MOFFS = 0xA1;
constexpr uint8_t OPCODE_MOV_MOFFS_EAX = 0xA3;

bool is_segment_override(uint8_t byte)
{
    return byte == 0x26 || byte == 0x2E || byte == 0x36 || byte == 0x3E || byte == 0x64 || byte == 0x65;
}

/* Bytes that ModR/M (at bytes[0]) and what follows it take: SIB and
 * displacement, for 32- and 64-bit addressing ("32-Bit Addressing Forms with
 * the ModR/M Byte"; in 64-bit mode mod 00 r/m 101 is RIP + disp32, as long). */
bool modrm_length(const uint8_t* bytes, size_t count, size_t& length)
{
    if (count < 1)
        return false;
    uint8_t modrm = bytes[0];
    unsigned mod = modrm >> 6, rm = modrm & 7;
    length = 1;
    if (rm == 4) {
        if (count < 2)
            return false;
        uint8_t sib = bytes[1];
        length = 2;
        if (mod == 0 && (sib & 7) == 5)
            length += 4; /* no base: disp32 */
    } else if (mod == 0 && rm == 5) {
        length += 4;
    }
    if (mod == 1)
        length += 1;
    else if (mod == 2)
        length += 4;
    return length <= count;
}

} // namespace

const char* decode_error_text(DecodeError error)
{
    switch (error) {
    case DecodeError::none: return "no error";
    case DecodeError::truncated: return "the instruction could not be read whole";
    case DecodeError::unsupported: return "not a MOV form this hypervisor decodes for device memory";
    case DecodeError::operand_size: return "not a 32-bit access (device registers are 32 bits wide)";
    case DecodeError::address_size: return "16-bit addressing is not decoded";
    case DecodeError::register_operand: return "the operand is a register, not memory";
    }
    return "?";
}

DecodeError decode(const uint8_t* bytes, size_t count, CodeSize code_size, Access& out)
{
    if (count > MAX_INSTRUCTION_LENGTH)
        count = MAX_INSTRUCTION_LENGTH;
    size_t at = 0;
    uint8_t rex = 0;
    /* Legacy prefixes, then (64-bit code only) one REX right before the opcode. */
    for (;; ++at) {
        if (at >= count)
            return DecodeError::truncated;
        uint8_t byte = bytes[at];
        if (is_segment_override(byte))
            continue;
        if (byte == 0x66)
            return DecodeError::operand_size;
        if (byte == 0x67)
            return code_size == CodeSize::bits32 ? DecodeError::address_size : DecodeError::unsupported;
        break;
    }
    if (code_size == CodeSize::bits64 && (bytes[at] & 0xF0) == 0x40) {
        rex = bytes[at++];
        if (at >= count)
            return DecodeError::truncated;
    }
    if (rex & 0x8)
        return DecodeError::operand_size; /* REX.W */
    uint8_t opcode = bytes[at++];
    out = Access{};
    if (opcode == OPCODE_MOV_EAX_MOFFS || opcode == OPCODE_MOV_MOFFS_EAX) {
        /* The offset is as wide as an address: 4 bytes, 8 in 64-bit code. */
        size_t offset_size = code_size == CodeSize::bits64 ? 8 : 4;
        if (at + offset_size > count)
            return DecodeError::truncated;
        out.write = opcode == OPCODE_MOV_MOFFS_EAX;
        out.reg = 0;
        out.length = uint8_t(at + offset_size);
        return DecodeError::none;
    }
    if (opcode != OPCODE_MOV_STORE && opcode != OPCODE_MOV_LOAD && opcode != OPCODE_MOV_IMM)
        return DecodeError::unsupported;
    if (at >= count)
        return DecodeError::truncated;
    uint8_t modrm = bytes[at];
    if ((modrm >> 6) == 3)
        return DecodeError::register_operand;
    size_t modrm_bytes = 0;
    if (!modrm_length(bytes + at, count - at, modrm_bytes))
        return DecodeError::truncated;
    at += modrm_bytes;
    unsigned reg = (modrm >> 3) & 7;
    if (opcode == OPCODE_MOV_IMM) {
        if (reg != 0)
            return DecodeError::unsupported; /* C7 /0 only */
        if (at + 4 > count)
            return DecodeError::truncated;
        out.write = true;
        out.immediate = true;
        out.value = uint32_t(bytes[at]) | uint32_t(bytes[at + 1]) << 8 | uint32_t(bytes[at + 2]) << 16 |
                    uint32_t(bytes[at + 3]) << 24;
        at += 4;
    } else {
        out.write = opcode == OPCODE_MOV_STORE;
        out.reg = uint8_t(reg | ((rex & 0x4) ? 8 : 0)); /* REX.R */
    }
    out.length = uint8_t(at);
    return DecodeError::none;
}

DecodeError fetch_and_decode(guest_paging::GuestVirtualMemory& memory, uint64_t rip, CodeSize code_size,
                             Access& out)
{
    uint8_t bytes[MAX_INSTRUCTION_LENGTH];
    size_t count = sizeof(bytes);
    if (!memory.read(rip, bytes, count)) {
        count = 0;
        while (count < sizeof(bytes) && memory.read(rip + count, &bytes[count], 1))
            ++count;
    }
    return decode(bytes, count, code_size, out);
}

} // namespace mmio
