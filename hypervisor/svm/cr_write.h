/* The guest's writes to CR0, CR4 and CR8 under SVM's CR-write intercepts, which
 * a CPU without decode assists (QEMU's TCG) reports without the source operand:
 * decoding MOV CRn,reg (0F 22 /r; CR8 with REX.R in 64-bit code), CLTS (0F 06)
 * and LMSW reg (0F 01 /6), and
 * the checks hardware makes before it changes CR0 (AMD64 APM Vol. 2, "CR0
 * Register": #GP for bits 63:32 set, PG without PE, NW without CD, and PG with
 * EFER.LME but without CR4.PAE; Vol. 3, "MOV CRn", "CLTS", "LMSW") and CR4
 * ("CR4 Register": reserved and unsupported bits, PAE cleared in long mode).
 * Pure logic, unit-tested on the build machine (tests/unit/cr_write_test.cpp). */
#pragma once
#include "arch/x86_64/control_registers.h"

#include <stddef.h>
#include <stdint.h>

namespace svm {

enum class Cr0WriteKind : uint8_t { none, mov_from_register, clts, lmsw_register };

struct Cr0Write {
    Cr0WriteKind kind;
    uint8_t control_register; /* MOV: 0, 4 or 8; CLTS and LMSW: 0 */
    uint8_t source;  /* the general register's encoding (MOV, LMSW) */
    uint8_t length;  /* the instruction's bytes, prefixes included */
};

/* Decodes `length` instruction bytes at the guest's RIP; `long_mode`: 64-bit
 * code, where REX prefixes extend the register numbers. */
constexpr Cr0Write decode_cr0_write(const uint8_t* bytes, size_t length, bool long_mode)
{
    uint8_t rex = 0;
    for (size_t i = 0; i < length && i < 15; ++i) {
        uint8_t byte = bytes[i];
        bool legacy_prefix = byte == 0x66 || byte == 0x67 || byte == 0xF2 || byte == 0xF3 || byte == 0xF0 ||
                             byte == 0x26 || byte == 0x2E || byte == 0x36 || byte == 0x3E || byte == 0x64 ||
                             byte == 0x65;
        if (legacy_prefix) {
            rex = 0; /* a REX prefix counts only right before the opcode */
            continue;
        }
        if (long_mode && (byte & 0xF0) == 0x40) {
            rex = byte;
            continue;
        }
        if (byte != 0x0F || i + 1 >= length)
            return {Cr0WriteKind::none, 0, 0, 0};
        uint8_t opcode = bytes[i + 1];
        if (opcode == 0x06)
            return {Cr0WriteKind::clts, 0, 0, uint8_t(i + 2)};
        if (i + 2 >= length)
            return {Cr0WriteKind::none, 0, 0, 0};
        uint8_t modrm = bytes[i + 2];
        unsigned reg = (modrm >> 3) & 7, rm = modrm & 7;
        unsigned rm_extended = rm | ((rex & 1) ? 8 : 0); /* REX.B */
        /* MOV CRn ignores ModRM.mod: the operand is always a register. REX.R
         * adds 8 to ModRM.reg: CR0 and CR4 without it, CR8 with it. */
        unsigned control_register = reg | ((rex & 4) ? 8 : 0);
        if (opcode == 0x22 && (control_register == 0 || control_register == 4 || control_register == 8))
            return {Cr0WriteKind::mov_from_register, uint8_t(control_register), uint8_t(rm_extended), uint8_t(i + 3)};
        if (opcode == 0x01 && reg == 6 && (modrm >> 6) == 3)
            return {Cr0WriteKind::lmsw_register, 0, uint8_t(rm_extended), uint8_t(i + 3)};
        return {Cr0WriteKind::none, 0, 0, 0};
    }
    return {Cr0WriteKind::none, 0, 0, 0};
}


/* The CR0 value the instruction asks for. LMSW loads bits 3:0 but cannot clear PE. */
constexpr uint64_t cr0_after(Cr0WriteKind kind, uint64_t old_cr0, uint64_t source)
{
    switch (kind) {
    case Cr0WriteKind::mov_from_register: return source;
    case Cr0WriteKind::clts: return old_cr0 & ~CR0_TS;
    case Cr0WriteKind::lmsw_register: return (old_cr0 & ~0xEull) | (source & 0xE) | ((source | old_cr0) & CR0_PE);
    case Cr0WriteKind::none: break;
    }
    return old_cr0;
}

/* Would hardware raise #GP for this new CR0 value? */
constexpr bool cr0_write_faults(uint64_t value, uint64_t cr4, uint64_t efer)
{
    if (value >> 32)
        return true;
    if ((value & CR0_PG) && !(value & CR0_PE))
        return true;
    if ((value & CR0_NW) && !(value & CR0_CD))
        return true;
    return (value & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE);
}

/* CR4 bits every SVM-capable CPU implements: VME, PVI, TSD, DE, PSE, PAE, MCE,
 * PGE, PCE, OSFXSR, OSXMMEXCPT. Others (FSGSBASE, SMEP, SMAP, UMIP) come from
 * the guest's CPUID; VMXE, SMXE, OSXSAVE, PCIDE, LA57 and PKE are never offered. */
constexpr uint64_t CR4_ALWAYS_ALLOWED = 0x7FF;

/* MOV to CR8 raises #GP when bits 63:4 are set (AMD64 APM Vol. 2, "CR8 (Task
 * Priority Register, TPR)"). */
constexpr bool cr8_write_faults(uint64_t value) { return (value >> 4) != 0; }

/* Would hardware raise #GP for this new CR4 value? `allowed`: the bits the
 * guest's CPU has; `long_mode`: EFER.LMA. */
constexpr bool cr4_write_faults(uint64_t value, uint64_t allowed, bool long_mode)
{
    if (value & ~allowed)
        return true;
    return long_mode && !(value & CR4_PAE);
}

} // namespace svm
