/* A small decoder for the instructions kernels use on memory-mapped device
 * registers (the local APIC): 32-bit MOV between a register and memory, MOV of
 * an immediate to memory, and MOV between EAX and an absolute address (moffs).
 * Follows the Intel SDM (revision 084), Vol. 2A, "Instruction Format" (prefixes,
 * REX, ModR/M, SIB, displacement) and Vol. 2B, "MOV". Pure logic, unit-tested;
 * the backend reads the bytes at the guest's RIP and knows the address from the
 * exit, so only the length, direction and register are decoded here. Anything
 * else (other opcodes, 8/16/64-bit operands, LOCK, 16-bit addressing) is
 * refused: the caller ends the VM with a sentence, never a host panic. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"

#include <stddef.h>
#include <stdint.h>

namespace mmio {

constexpr size_t MAX_INSTRUCTION_LENGTH = 15;

enum class CodeSize : uint8_t { bits32, bits64 };

struct Access {
    bool write = false;     /* to the device */
    bool immediate = false; /* a write of `value` (MOV r/m32, imm32) */
    uint8_t reg = 0;        /* general register by the SDM's number (0 EAX ... 15 R15) */
    uint32_t value = 0;     /* the immediate */
    uint8_t length = 0;     /* bytes of the instruction */
};

enum class DecodeError : uint8_t {
    none,
    truncated,        /* fewer bytes than the instruction needs */
    unsupported,      /* not one of the forms above */
    operand_size,     /* 0x66 or REX.W: not a 32-bit access */
    address_size,     /* 0x67: 16-bit addressing in 32-bit code */
    register_operand, /* ModR/M names a register, not memory */
};
const char* decode_error_text(DecodeError error);

/* Decodes the instruction in bytes[0..count). */
[[nodiscard]] DecodeError decode(const uint8_t* bytes, size_t count, CodeSize code_size, Access& out);

/* Reads the instruction at guest-linear `rip` through `memory` and decodes it;
 * both backends' MMIO exits. An instruction may end right before an unreadable
 * page: the bytes that read are decoded (too few give `truncated`). */
[[nodiscard]] DecodeError fetch_and_decode(guest_paging::GuestVirtualMemory& memory, uint64_t rip,
                                           CodeSize code_size, Access& out);

} // namespace mmio
