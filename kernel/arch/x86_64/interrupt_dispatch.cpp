/* interrupt_dispatch: where every interrupt stub of interrupt_entry.S arrives,
 * with the interrupted context saved in a TrapFrame. Sends exceptions, PIC
 * interrupts and the rest each their own way. */
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/trap_frame.h"
#include "debug/panic.h"
#include "drivers/pic8259.h"
#include "interrupts/irq.h"

extern "C" void interrupt_dispatch(TrapFrame* frame)
{
    if (frame->vector < exceptions::COUNT)
        exceptions::handle(*frame);
    else if (pic8259::is_irq_vector(frame->vector))
        interrupts::handle_irq(pic8259::irq_of_vector(frame->vector), *frame);
    else
        panic_with_frame(*frame, "unexpected interrupt vector %lu", frame->vector);
}
