/* Hardware interrupt lines (IRQs): drivers register one handler per line; the
 * dispatcher filters spurious interrupts, acknowledges the controller and calls
 * the handler. Today the lines come from the 8259A pair (drivers/pic8259.h). */
#pragma once
#include "arch/x86_64/trap_frame.h"

#include <stdint.h>

namespace interrupts {

using IrqHandler = void (*)(TrapFrame& frame);

/* Installs `handler` for `irq` (0-15) and unmasks the line. A line has at most one
 * handler; registering a second one is a bug and panics. */
void register_irq_handler(unsigned irq, IrqHandler handler);

/* Called by the interrupt dispatcher for a vector the PIC delivered. */
void handle_irq(unsigned irq, TrapFrame& frame);

/* Genuine interrupts handled on `irq` since boot. */
uint64_t irq_count(unsigned irq);
/* Spurious IRQ 7 and IRQ 15 seen since boot. */
uint64_t spurious_count();
/* Interrupts on lines without a handler since boot. */
uint64_t unhandled_count();

} // namespace interrupts
