/* The two cascaded 8259A programmable interrupt controllers of the PC: IRQ 0-7 on
 * the master, IRQ 8-15 on the slave behind the master's IR2. Follows the Intel
 * 8259A datasheet (initialization command words ICW1-ICW4, operation command
 * words OCW1-OCW3). */
#pragma once
#include <stdint.h>

namespace pic8259 {

constexpr unsigned IRQ_COUNT = 16;
/* Remapped above the 32 exception vectors: master at 0x20, slave at 0x28. */
constexpr uint8_t MASTER_VECTOR_BASE = 0x20;
constexpr uint8_t SLAVE_VECTOR_BASE = 0x28;
constexpr unsigned CASCADE_IRQ = 2;

/* Initializes both chips with the vector bases above, all lines masked except the
 * cascade. Interrupts must be off. */
void init();

void mask(unsigned irq);
void unmask(unsigned irq);
/* The interrupt mask registers, master in bits 0-7, slave in bits 8-15 (OCW1). */
uint16_t read_mask();
/* The in-service registers, master in bits 0-7, slave in bits 8-15 (OCW3). */
uint16_t read_in_service();
/* The interrupt request registers (lines asking, not yet acknowledged), same layout (OCW3). */
uint16_t read_requests();

/* The vector range the PIC delivers on, and the IRQ behind a vector. */
inline bool is_irq_vector(uint64_t vector) { return vector >= MASTER_VECTOR_BASE && vector < MASTER_VECTOR_BASE + IRQ_COUNT; }
inline unsigned irq_of_vector(uint64_t vector) { return unsigned(vector - MASTER_VECTOR_BASE); }

/* What to do with an interrupt the PIC delivered. A spurious IRQ 7 (or 15) is
 * signalled when a request goes away before the CPU's acknowledge: the chip then
 * delivers its lowest-priority line without setting its in-service bit. */
enum class IrqKind {
    genuine,              /* handle it, then end it with EOI */
    spurious,             /* a spurious IRQ 7: no EOI at all */
    spurious_from_slave,  /* a spurious IRQ 15: EOI to the master only, which did
                             take the cascade request as genuine */
};

/* Pure logic: classifies `irq` given the in-service register of the chip that
 * delivered it (master for IRQ 0-7, slave for IRQ 8-15). Only each chip's
 * lowest-priority line, IR7, can be spurious. */
constexpr IrqKind classify(unsigned irq, uint8_t chip_in_service)
{
    bool lowest_priority_line = irq % 8 == 7;
    if (!lowest_priority_line || (chip_in_service & 0x80))
        return IrqKind::genuine;
    return irq < 8 ? IrqKind::spurious : IrqKind::spurious_from_slave;
}

/* Reads the in-service register when needed and classifies `irq`. */
IrqKind classify(unsigned irq);

/* Ends an interrupt (non-specific EOI): to the slave and the master for IRQ 8-15,
 * to the master only for IRQ 0-7. */
void end_of_interrupt(unsigned irq);
void end_of_interrupt_master_only();

} // namespace pic8259
