/* Device interrupts in a test guest: the two 8259A PICs remapped to vectors
 * 0x20-0x2F, an IDT that adds a gate per IRQ to the exception gates, handlers
 * that only count and acknowledge, and the 8254 PIT's channel 0 programmed at
 * any rate. Follows the Intel 8259A and 8254 datasheets ("Initialization Command
 * Words", "Control Word Format") and the Intel SDM (revision 084), Vol. 3A,
 * "IDT Descriptors". */
#pragma once
#include <stdint.h>

namespace guest {

constexpr uint8_t IRQ_BASE_VECTOR = 0x20;

/* Remaps the PICs to IRQ_BASE_VECTOR and masks every IRQ but those whose bit is
 * clear in `mask` (bit n = IRQ n). */
void program_pics(uint16_t mask);
/* Copies the exception gates into a 48-entry IDT whose IRQ gates count into
 * irq_counts and send the end of interrupt, and loads it. */
void install_irq_handlers();
/* Channel 0 in `mode` (2 rate generator, 3 square wave) with `divisor` (1-65536,
 * 0 means 65536 as on the chip). */
void program_pit(uint8_t mode, uint16_t divisor);

} // namespace guest

/* Interrupts taken per IRQ since install_irq_handlers(). */
extern "C" volatile uint32_t irq_counts[16];
/* When irq_counts[0] reaches this (non-zero), the handler masks every IRQ: a
 * storm a guest cannot outrun is still ended from inside the handler. */
extern "C" volatile uint32_t irq0_limit;
