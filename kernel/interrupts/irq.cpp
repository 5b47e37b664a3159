/* IRQ handler table and the common IRQ path; see irq.h. */
#include "irq.h"

#include "debug/panic.h"
#include "drivers/pic8259.h"
#include "sched/scheduler.h"

namespace interrupts {

namespace {

IrqHandler handlers[pic8259::IRQ_COUNT];
uint64_t counts[pic8259::IRQ_COUNT];
uint64_t spurious = 0;
uint64_t unhandled = 0;

} // namespace

void register_irq_handler(unsigned irq, IrqHandler handler)
{
    KERNEL_ASSERT(irq < pic8259::IRQ_COUNT && handler);
    if (handlers[irq])
        panic("IRQ %u already has a handler", irq);
    handlers[irq] = handler;
    pic8259::unmask(irq);
}

void handle_irq(unsigned irq, TrapFrame& frame)
{
    switch (pic8259::classify(irq)) {
    case pic8259::IrqKind::spurious:
        ++spurious;
        return;
    case pic8259::IrqKind::spurious_from_slave:
        ++spurious;
        pic8259::end_of_interrupt_master_only();
        return;
    case pic8259::IrqKind::genuine:
        break;
    }
    ++counts[irq];
    /* The EOI goes out before the handler runs: a handler may switch to another
     * thread (the timer tick will) and come back much later, and the line must
     * not stay in service meanwhile. Interrupts stay off until iretq, so the
     * next request on the line waits in the PIC. */
    pic8259::end_of_interrupt(irq);
    if (handlers[irq])
        handlers[irq](frame);
    else
        ++unhandled;
    /* The end of every interrupt is where a thread whose time slice ran out (or
     * a thread just woken while the CPU idled) gives way. */
    Scheduler::instance().preempt_if_needed();
}

uint64_t irq_count(unsigned irq) { return irq < pic8259::IRQ_COUNT ? counts[irq] : 0; }
uint64_t spurious_count() { return spurious; }
uint64_t unhandled_count() { return unhandled; }

} // namespace interrupts
