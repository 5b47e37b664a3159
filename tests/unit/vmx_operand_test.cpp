/* hypervisor/nested/vmx_operand.cpp against the Intel SDM (revision 084): the
 * VM-exit instruction-information field's layout for VMX instructions ("VM-Exit
 * Instruction-Information Field"), and the segment and canonical checks a memory
 * operand passes (Vol. 3A "Limit Checking", "Canonical Addressing"). */
#include "hypervisor/nested/vmx_operand.h"
#include "unit_test.h"

using namespace nested;

namespace {

constexpr unsigned RAX = 0, RBX = 3, RSI = 6;
constexpr uint32_t DATA_RW = 0x93 | (1u << 14);   /* present, S, read/write accessed, D/B */
constexpr uint32_t CODE_XO = 0x99 | (1u << 14);   /* execute-only code */
constexpr uint32_t DATA_RO = 0x91 | (1u << 14);
constexpr uint32_t DATA_DOWN = 0x97 | (1u << 14); /* expand-down read/write */
constexpr uint32_t UNUSABLE = 1u << 16;

/* Instruction information: address size, segment, base, index, scaling. */
uint32_t information(unsigned address_size, unsigned segment, int base, int index = -1, unsigned scaling = 0)
{
    uint32_t raw = scaling | (address_size << 7) | (segment << 15);
    raw |= index < 0 ? (1u << 22) : (uint32_t(index) << 18);
    raw |= base < 0 ? (1u << 27) : (uint32_t(base) << 23);
    return raw;
}

struct Machine {
    uint64_t registers[16] = {};
    Segment segments[6] = {{0, 0xFFFFFFFF, DATA_RW}, {0, 0xFFFFFFFF, 0x9B | (1u << 14)}, {0, 0xFFFFFFFF, DATA_RW},
                           {0, 0xFFFFFFFF, DATA_RW}, {0, 0xFFFFFFFF, DATA_RW}, {0, 0xFFFFFFFF, DATA_RW}};
    AddressingContext context(bool long_mode) const { return {long_mode, registers, segments}; }
};

} // namespace

UNIT_TEST(vmx_operand_32_bit_base_index_scale_displacement_and_segment_base)
{
    Machine m;
    m.registers[RBX] = 0x1000;
    m.registers[RSI] = 0x10;
    m.segments[3].base = 0x20000;
    MemoryOperand op = memory_operand(m.context(false), {information(1, 3, RBX, RSI, 3)}, 0x8, 8, false);
    CHECK(op.fault == OperandFault::none);
    CHECK_EQ(op.linear, 0x20000u + 0x1000 + 0x80 + 0x8);
}

UNIT_TEST(vmx_operand_negative_displacement_wraps_at_the_address_size)
{
    Machine m;
    m.registers[RAX] = 0x10;
    MemoryOperand op = memory_operand(m.context(false), {information(1, 3, RAX)}, uint64_t(-0x20), 4, false);
    CHECK(op.fault == OperandFault::none);
    CHECK_EQ(op.linear, 0xFFFFFFF0u);
    /* 16-bit addressing wraps at 64 KiB. */
    m.segments[3].limit = 0xFFFF;
    op = memory_operand(m.context(false), {information(0, 3, RAX)}, uint64_t(-0x20), 4, false);
    CHECK(op.fault == OperandFault::none);
    CHECK_EQ(op.linear, 0xFFF0u);
}

UNIT_TEST(vmx_operand_segment_limit_rights_and_unusable_segments_fault)
{
    Machine m;
    m.segments[3].limit = 0xFFF;
    CHECK(memory_operand(m.context(false), {information(1, 3, -1)}, 0xFF8, 8, false).fault == OperandFault::none);
    CHECK(memory_operand(m.context(false), {information(1, 3, -1)}, 0xFF9, 8, false).fault ==
          OperandFault::general_protection);
    /* SS faults are stack faults. */
    m.segments[2].limit = 0xFFF;
    CHECK(memory_operand(m.context(false), {information(1, 2, -1)}, 0xFF9, 8, false).fault == OperandFault::stack_fault);
    m.segments[0].access_rights = DATA_RO;
    CHECK(memory_operand(m.context(false), {information(1, 0, -1)}, 0, 8, false).fault == OperandFault::none);
    CHECK(memory_operand(m.context(false), {information(1, 0, -1)}, 0, 8, true).fault ==
          OperandFault::general_protection);
    m.segments[1].access_rights = CODE_XO;
    CHECK(memory_operand(m.context(false), {information(1, 1, -1)}, 0, 8, false).fault ==
          OperandFault::general_protection);
    m.segments[4].access_rights = DATA_RW | UNUSABLE;
    CHECK(memory_operand(m.context(false), {information(1, 4, -1)}, 0, 8, false).fault ==
          OperandFault::general_protection);
}

UNIT_TEST(vmx_operand_expand_down_segment_holds_what_lies_above_its_limit)
{
    Machine m;
    m.segments[3] = {0, 0xFFF, DATA_DOWN};
    CHECK(memory_operand(m.context(false), {information(1, 3, -1)}, 0x1000, 8, false).fault == OperandFault::none);
    CHECK(memory_operand(m.context(false), {information(1, 3, -1)}, 0xFFC, 8, false).fault ==
          OperandFault::general_protection);
}

UNIT_TEST(vmx_operand_64_bit_mode_ignores_bases_but_fs_gs_and_checks_canonical)
{
    Machine m;
    m.segments[3].base = 0x5000;
    m.segments[5].base = 0xFFFF800000000000ull;
    m.registers[RBX] = 0x100;
    MemoryOperand op = memory_operand(m.context(true), {information(2, 3, RBX)}, 0, 8, false);
    CHECK(op.fault == OperandFault::none);
    CHECK_EQ(op.linear, 0x100u);
    op = memory_operand(m.context(true), {information(2, 5, RBX)}, 0, 8, false);
    CHECK_EQ(op.linear, 0xFFFF800000000100ull);
    m.registers[RBX] = 0x0000800000000000ull;
    CHECK(memory_operand(m.context(true), {information(2, 3, RBX)}, 0, 8, false).fault ==
          OperandFault::general_protection);
    CHECK(memory_operand(m.context(true), {information(2, 2, RBX)}, 0, 8, false).fault == OperandFault::stack_fault);
    /* The last byte counts too. */
    m.registers[RBX] = 0x00007FFFFFFFFFFCull;
    CHECK(memory_operand(m.context(true), {information(2, 3, RBX)}, 0, 8, false).fault ==
          OperandFault::general_protection);
}

UNIT_TEST(vmx_operand_undecodable_information_is_reported)
{
    Machine m;
    CHECK(memory_operand(m.context(false), {information(3, 3, -1)}, 0, 8, false).fault == OperandFault::bad_information);
    CHECK(memory_operand(m.context(false), {information(1, 6, -1)}, 0, 8, false).fault == OperandFault::bad_information);
    /* 64-bit addressing outside 64-bit mode cannot happen. */
    CHECK(memory_operand(m.context(false), {information(2, 3, -1)}, 0, 8, false).fault == OperandFault::bad_information);
}

UNIT_TEST(vmx_operand_reads_only_its_base_index_and_segment)
{
    /* The VMX emulation fills in only those (vmx_emulation.cpp, access_memory):
     * whatever the other registers and segments hold, the outcome is the same. */
    for (bool long_mode : {false, true}) {
        Machine exact, poisoned;
        for (Machine* m : {&exact, &poisoned}) {
            m->registers[RBX] = 0x1000;
            m->registers[RSI] = 0x10;
            m->segments[4].base = 0x20000; /* FS: a base in both modes */
        }
        for (unsigned i = 0; i < 16; ++i)
            if (i != RBX && i != RSI)
                poisoned.registers[i] = 0xDEAD0000 + i;
        for (unsigned i = 0; i < 6; ++i)
            if (i != 4)
                poisoned.segments[i] = {0xBAD000, 0, UNUSABLE};
        InstructionInformation info{information(long_mode ? 2 : 1, 4, RBX, RSI, 2)};
        MemoryOperand a = memory_operand(exact.context(long_mode), info, 0x8, 8, true);
        MemoryOperand b = memory_operand(poisoned.context(long_mode), info, 0x8, 8, true);
        CHECK(a.fault == OperandFault::none);
        CHECK(b.fault == OperandFault::none);
        CHECK_EQ(a.linear, 0x20000u + 0x1000 + 0x40 + 0x8);
        CHECK_EQ(b.linear, a.linear);
    }
}
