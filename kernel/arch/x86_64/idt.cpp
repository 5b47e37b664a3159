/* IDT set-up; see idt.h. Gate layout: Intel SDM (revision 084), Vol. 3A,
 * "64-Bit Mode IDT" (figure "64-Bit IDT Gate Descriptors"). */
#include "idt.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/gdt.h"

extern "C" const uint64_t interrupt_stub_table[];

namespace idt {

namespace {

struct [[gnu::packed]] Gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;        /* bits 2:0; 0 keeps the current stack (or RSP0 from ring 3) */
    uint8_t attributes; /* present, DPL, type */
    uint16_t offset_middle;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);

/* An interrupt gate clears RFLAGS.IF on entry (a trap gate would not): handlers
 * start with interrupts off and decide themselves when to allow them. */
constexpr uint8_t GATE_PRESENT = 0x80;
constexpr uint8_t GATE_TYPE_INTERRUPT = 0xE;

constexpr uint8_t privilege(unsigned level) { return uint8_t((level & 3) << 5); }

alignas(16) Gate gates[VECTOR_COUNT];

Gate make_gate(uint64_t handler, uint8_t ist, unsigned caller_privilege)
{
    return Gate{
        uint16_t(handler),
        gdt::KERNEL_CODE_SELECTOR,
        ist,
        uint8_t(GATE_PRESENT | privilege(caller_privilege) | GATE_TYPE_INTERRUPT),
        uint16_t(handler >> 16),
        uint32_t(handler >> 32),
        0,
    };
}

/* The gate's DPL says who may raise the vector with an INT instruction; hardware
 * interrupts and exceptions ignore it. Only the breakpoint (int3) and overflow
 * (into) are meant for ring 3; for every other vector a user INT faults (#GP). */
unsigned caller_privilege(unsigned vector)
{
    return vector == exceptions::BREAKPOINT || vector == exceptions::OVERFLOW ? 3 : 0;
}

uint8_t ist_for(unsigned vector)
{
    if (vector == exceptions::DOUBLE_FAULT)
        return gdt::IST_DOUBLE_FAULT;
    if (vector == exceptions::NMI)
        return gdt::IST_NMI;
    return 0;
}

} // namespace

void init()
{
    for (unsigned vector = 0; vector < VECTOR_COUNT; ++vector)
        gates[vector] = make_gate(interrupt_stub_table[vector], ist_for(vector), caller_privilege(vector));
    cpu::lidt({limit(), base()});
}

uint64_t base() { return uint64_t(gates); }
uint16_t limit() { return sizeof(gates) - 1; }

} // namespace idt
