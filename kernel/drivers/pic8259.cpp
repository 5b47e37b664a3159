/* 8259A pair driver; see pic8259.h. Command words: Intel 8259A datasheet,
 * "Initialization Command Words" and "Operation Command Words". */
#include "pic8259.h"

#include "arch/x86_64/cpu.h"

namespace pic8259 {

namespace {

constexpr uint16_t MASTER_COMMAND = 0x20;
constexpr uint16_t MASTER_DATA = 0x21;
constexpr uint16_t SLAVE_COMMAND = 0xA0;
constexpr uint16_t SLAVE_DATA = 0xA1;

enum Command : uint8_t {
    ICW1_INIT = 0x10,     /* D4 set: this is ICW1, initialization starts */
    ICW1_NEEDS_ICW4 = 0x01,
    ICW4_8086_MODE = 0x01,
    OCW2_NON_SPECIFIC_EOI = 0x20,
    OCW3_READ_IRR = 0x0A, /* D3 set: OCW3; RR=1, RIS=0: the next read is the IRR */
    OCW3_READ_ISR = 0x0B, /* D3 set: OCW3; RR=1, RIS=1: the next read is the ISR */
};

/* ICW3: the master's bit mask of lines with a slave, the slave's own ID. */
constexpr uint8_t ICW3_MASTER_SLAVE_ON_IR2 = 1 << CASCADE_IRQ;
constexpr uint8_t ICW3_SLAVE_ID = CASCADE_IRQ;

/* Old chipsets need a moment between the command words; a write to the unused
 * POST port 0x80 takes about a microsecond. */
void io_wait() { cpu::outb(0x80, 0); }

void write(uint16_t port, uint8_t value)
{
    cpu::outb(port, value);
    io_wait();
}

uint16_t data_port(unsigned irq) { return irq < 8 ? MASTER_DATA : SLAVE_DATA; }

uint8_t read_register(uint16_t command_port, uint8_t ocw3)
{
    cpu::outb(command_port, ocw3);
    return cpu::inb(command_port);
}

} // namespace

void init()
{
    /* ICW1 edge triggered, cascaded, ICW4 follows; ICW2 vector base; ICW3 the
     * cascade wiring; ICW4 8086 mode, normal (not automatic) EOI. */
    write(MASTER_COMMAND, ICW1_INIT | ICW1_NEEDS_ICW4);
    write(SLAVE_COMMAND, ICW1_INIT | ICW1_NEEDS_ICW4);
    write(MASTER_DATA, MASTER_VECTOR_BASE);
    write(SLAVE_DATA, SLAVE_VECTOR_BASE);
    write(MASTER_DATA, ICW3_MASTER_SLAVE_ON_IR2);
    write(SLAVE_DATA, ICW3_SLAVE_ID);
    write(MASTER_DATA, ICW4_8086_MODE);
    write(SLAVE_DATA, ICW4_8086_MODE);
    /* OCW1: every line masked until a driver registers its handler; the cascade
     * line stays open so that unmasking a slave line is enough. */
    write(MASTER_DATA, uint8_t(~(1u << CASCADE_IRQ)));
    write(SLAVE_DATA, 0xFF);
}

void mask(unsigned irq)
{
    uint16_t port = data_port(irq);
    cpu::outb(port, cpu::inb(port) | uint8_t(1u << (irq % 8)));
}

void unmask(unsigned irq)
{
    uint16_t port = data_port(irq);
    cpu::outb(port, cpu::inb(port) & uint8_t(~(1u << (irq % 8))));
}

uint16_t read_mask() { return uint16_t(cpu::inb(MASTER_DATA) | cpu::inb(SLAVE_DATA) << 8); }

uint16_t read_in_service()
{
    return uint16_t(read_register(MASTER_COMMAND, OCW3_READ_ISR) | read_register(SLAVE_COMMAND, OCW3_READ_ISR) << 8);
}

uint16_t read_requests()
{
    return uint16_t(read_register(MASTER_COMMAND, OCW3_READ_IRR) | read_register(SLAVE_COMMAND, OCW3_READ_IRR) << 8);
}

IrqKind classify(unsigned irq)
{
    if (irq % 8 != 7)
        return IrqKind::genuine;
    return classify(irq, read_register(irq < 8 ? MASTER_COMMAND : SLAVE_COMMAND, OCW3_READ_ISR));
}

void end_of_interrupt(unsigned irq)
{
    if (irq >= 8)
        cpu::outb(SLAVE_COMMAND, OCW2_NON_SPECIFIC_EOI);
    cpu::outb(MASTER_COMMAND, OCW2_NON_SPECIFIC_EOI);
}

void end_of_interrupt_master_only() { cpu::outb(MASTER_COMMAND, OCW2_NON_SPECIFIC_EOI); }

} // namespace pic8259
