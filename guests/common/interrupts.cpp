/* PICs, IRQ gates and the PIT of a test guest; see interrupts.h. */
#include "common/interrupts.h"

#include "common/port_io.h"

extern "C" const uint32_t irq_stubs[16];

namespace guest {

namespace {

constexpr uint16_t MASTER_COMMAND = 0x20, MASTER_DATA = 0x21, SLAVE_COMMAND = 0xA0, SLAVE_DATA = 0xA1;
constexpr uint16_t PIT_CHANNEL0 = 0x40, PIT_CONTROL = 0x43;
constexpr uint16_t CODE_SELECTOR = 0x08;
constexpr uint8_t INTERRUPT_GATE_32 = 0x8E;
constexpr uint32_t GATES = IRQ_BASE_VECTOR + 16;

struct [[gnu::packed]] TablePointer {
    uint16_t limit;
    uint32_t base;
};

alignas(8) uint64_t idt[GATES];

} // namespace

void program_pics(uint16_t mask)
{
    out8(MASTER_COMMAND, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
    out8(SLAVE_COMMAND, 0x11);
    out8(MASTER_DATA, IRQ_BASE_VECTOR); /* ICW2: vector base */
    out8(SLAVE_DATA, IRQ_BASE_VECTOR + 8);
    out8(MASTER_DATA, 0x04); /* ICW3: slave on IRQ 2 */
    out8(SLAVE_DATA, 0x02);
    out8(MASTER_DATA, 0x01); /* ICW4: 8086 mode */
    out8(SLAVE_DATA, 0x01);
    out8(MASTER_DATA, uint8_t(mask));
    out8(SLAVE_DATA, uint8_t(mask >> 8));
}

void install_irq_handlers()
{
    TablePointer current;
    asm volatile("sidt %0" : "=m"(current));
    const auto* exceptions = reinterpret_cast<const uint64_t*>(uintptr_t(current.base));
    for (uint32_t vector = 0; vector < IRQ_BASE_VECTOR; ++vector)
        idt[vector] = exceptions[vector];
    for (uint32_t irq = 0; irq < 16; ++irq) {
        uint32_t stub = irq_stubs[irq];
        idt[IRQ_BASE_VECTOR + irq] = uint64_t(stub & 0xFFFF) | uint64_t(CODE_SELECTOR) << 16 |
                                     uint64_t(INTERRUPT_GATE_32) << 40 | uint64_t(stub >> 16) << 48;
    }
    TablePointer pointer{uint16_t(sizeof(idt) - 1), uint32_t(uintptr_t(idt))};
    asm volatile("lidt %0" : : "m"(pointer) : "memory");
}

void program_pit(uint8_t mode, uint16_t divisor)
{
    out8(PIT_CONTROL, uint8_t(0x30 | (mode & 7) << 1)); /* channel 0, low then high byte */
    out8(PIT_CHANNEL0, uint8_t(divisor));
    out8(PIT_CHANNEL0, uint8_t(divisor >> 8));
}

} // namespace guest
