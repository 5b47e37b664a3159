/* The 32-bit protected-mode IDT as the test guests build it: an 8-byte interrupt
 * gate and the operand of LIDT/SIDT. Intel SDM (revision 084), Vol. 3A, chapter
 * "Interrupt and Exception Handling", "IDT Descriptors". */
#pragma once
#include <stdint.h>

namespace guest {

/* entry.S's flat 32-bit code segment. */
constexpr uint16_t CODE_SELECTOR = 0x08;
/* Present, DPL 0, 32-bit interrupt gate: IF is cleared on entry. */
constexpr uint8_t INTERRUPT_GATE_32 = 0x8E;

struct [[gnu::packed]] IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attributes;
    uint16_t offset_high;
};
static_assert(sizeof(IdtGate) == 8);

struct [[gnu::packed]] IdtPointer {
    uint16_t limit;
    uint32_t base;
};

/* A present interrupt gate to `handler` in entry.S's code segment. */
constexpr IdtGate interrupt_gate(uint32_t handler)
{
    return {uint16_t(handler), CODE_SELECTOR, 0, INTERRUPT_GATE_32, uint16_t(handler >> 16)};
}

} // namespace guest
