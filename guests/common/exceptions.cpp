/* Exceptions in a test guest (see exceptions.h). Follows the Intel SDM (revision
 * 084), Vol. 3A, "IDT Descriptors" and "Exception and Interrupt Reference". */
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/idt.h"
#include "common/text.h"

extern "C" {
volatile uint32_t guest_fault_resume = 0;
}
extern "C" const uint32_t exception_stubs[32];

namespace guest {
namespace {

alignas(8) IdtGate idt[32];
FaultLog log;

const char* const EXCEPTION_NAMES[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS", "#NP", "#SS", "#GP", "#PF",
    "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "vector 22", "vector 23", "vector 24", "vector 25",
    "vector 26", "vector 27", "#HV", "#VC", "#SX", "vector 31",
};

[[noreturn]] void stop_on_unexpected(const ExceptionFrame& frame)
{
    Text reason;
    reason.add(exception_name(frame.vector)).add(" (error code ").add_hex(frame.error_code).add(") at eip ")
        .add_hex(frame.eip);
    check("no_unexpected_exception", false, reason.c_str());
    finish();
}

} // namespace

const char* exception_name(uint32_t vector) { return vector < 32 ? EXCEPTION_NAMES[vector] : "vector >= 32"; }

void install_exception_handlers()
{
    for (uint32_t vector = 0; vector < 32; ++vector) {
        uint32_t stub = exception_stubs[vector];
        idt[vector] = interrupt_gate(stub);
    }
    IdtPointer pointer{sizeof(idt) - 1, uint32_t(uintptr_t(idt))};
    asm volatile("lidt %0" : : "m"(pointer));
}

void reset_fault_log() { log = {}; }
FaultLog fault_log() { return log; }

} // namespace guest

/* Called by exceptions.S with interrupts off. */
extern "C" void guest_exception(guest::ExceptionFrame* frame)
{
    if (guest_fault_resume == 0)
        guest::stop_on_unexpected(*frame);
    guest::log.count++;
    guest::log.vector = frame->vector;
    guest::log.error_code = frame->error_code;
    guest::log.eax = frame->eax;
    guest::log.edx = frame->edx;
    frame->eip = guest_fault_resume;
    guest_fault_resume = 0;
}
