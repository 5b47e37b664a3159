/* The operands of a VMX instruction that exited, decoded from the exit's
 * VM-exit instruction-information field and exit qualification (Intel SDM
 * revision 084, Vol. 3C, chapter "VM Exits", "VM-Exit Instruction-Information
 * Field" for VMCLEAR, VMPTRLD, VMPTRST, VMXON, VMREAD, VMWRITE, INVEPT and
 * INVVPID; the displacement in "Exit Qualification for VM Exits Due to
 * Instructions"), and the memory operand's linear address with the checks the
 * CPU makes on it ("Segment Descriptors", "Protection" in Vol. 3A: limits,
 * unusable segments, canonical addresses). Pure logic: registers and
 * segments come in as values, so tests/unit/vmx_operand_test.cpp drives it. */
#pragma once
#include <stdint.h>

namespace nested {

/* One segment register as the VMCS guest-state area holds it. */
struct Segment {
    uint64_t base;
    uint32_t limit;
    uint32_t access_rights; /* the VMCS format: type 3:0, S 4, DPL 6:5, P 7, ..., unusable 16 */
};

/* The fields of the instruction information ("VM-Exit Instruction-Information
 * Field"): register numbers use the SDM's encoding (0 RAX ... 15 R15). */
struct InstructionInformation {
    uint32_t raw;

    unsigned scaling() const { return raw & 3; }
    unsigned register1() const { return (raw >> 3) & 15; } /* VMREAD/VMWRITE: the register operand */
    unsigned address_size() const { return (raw >> 7) & 7; } /* 0 16-bit, 1 32-bit, 2 64-bit */
    bool register_operand() const { return raw & (1u << 10); }
    unsigned segment() const { return (raw >> 15) & 7; }   /* 0 ES, 1 CS, 2 SS, 3 DS, 4 FS, 5 GS */
    unsigned index_register() const { return (raw >> 18) & 15; }
    bool index_valid() const { return !(raw & (1u << 22)); }
    unsigned base_register() const { return (raw >> 23) & 15; }
    bool base_valid() const { return !(raw & (1u << 27)); }
    unsigned register2() const { return (raw >> 28) & 15; } /* VMREAD/VMWRITE: the field; INVEPT/INVVPID: the type */
};

constexpr unsigned SEGMENT_SS = 2;

/* What the CPU would raise for a bad memory operand: #GP(0), or #SS(0) when
 * the segment is SS ("Interrupt 12-Stack Fault Exception"). */
/* bad_information: an address size or segment number no instruction has. */
enum class OperandFault : uint8_t { none, general_protection, stack_fault, bad_information };

struct MemoryOperand {
    OperandFault fault = OperandFault::none;
    uint64_t linear = 0;
};

/* The state the address computation needs. memory_operand() reads only the
 * operand's base and index registers and its segment, so a caller may fill in
 * just those (the VMX emulation does: one VMREAD per field it needs). */
struct AddressingContext {
    bool long_mode_64bit;         /* IA32_EFER.LMA = 1 and CS.L = 1 */
    const uint64_t* registers;    /* the 16 general registers by number (RSP included) */
    const Segment* segments;      /* ES, CS, SS, DS, FS, GS */
};

/* The linear address of a memory operand of `size` bytes: base + index *
 * 2^scaling + displacement (the exit qualification, sign-extended from the
 * address size), cut to the address size; plus the segment base (in 64-bit
 * mode only FS and GS have one). Checks: outside 64-bit mode the segment must
 * be usable, readable or writable as `write` needs, and the operand within its
 * limit (expand-up or expand-down); in 64-bit mode the address must be
 * canonical. */
MemoryOperand memory_operand(const AddressingContext& context, InstructionInformation information,
                             uint64_t displacement, unsigned size, bool write);

} // namespace nested
