/* Exception handling; see exceptions.h. Error code formats: Intel SDM (revision
 * 084), Vol. 3A, "Error Code" and "Interrupt 14-Page-Fault Exception (#PF)". */
#include "exceptions.h"

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "debug/gdb_stub.h"
#include "debug/panic.h"

namespace exceptions {

namespace {

struct Description {
    const char* name;
    const char* mnemonic;
};

constexpr Description descriptions[COUNT] = {
    {"divide error", "#DE"},
    {"debug", "#DB"},
    {"non-maskable interrupt", "NMI"},
    {"breakpoint", "#BP"},
    {"overflow", "#OF"},
    {"bound range exceeded", "#BR"},
    {"invalid opcode", "#UD"},
    {"device not available", "#NM"},
    {"double fault", "#DF"},
    {"coprocessor segment overrun", "-"},
    {"invalid TSS", "#TS"},
    {"segment not present", "#NP"},
    {"stack fault", "#SS"},
    {"general protection", "#GP"},
    {"page fault", "#PF"},
    {"reserved", "-"},
    {"x87 floating-point error", "#MF"},
    {"alignment check", "#AC"},
    {"machine check", "#MC"},
    {"SIMD floating-point exception", "#XM"},
    {"virtualization exception", "#VE"},
    {"control protection", "#CP"},
    {"reserved", "-"},
    {"reserved", "-"},
    {"reserved", "-"},
    {"reserved", "-"},
    {"reserved", "-"},
    {"reserved", "-"},
    {"hypervisor injection", "#HV"},
    {"VMM communication", "#VC"},
    {"security exception", "#SX"},
    {"reserved", "-"},
};

/* Page-fault error code bits (SDM Vol. 3A, "Interrupt 14-Page-Fault Exception"). */
enum PageFaultBit : uint64_t {
    PF_PROTECTION = 1 << 0, /* 0: the page was not present */
    PF_WRITE = 1 << 1,
    PF_USER = 1 << 2,
    PF_RESERVED_BIT = 1 << 3,
    PF_INSTRUCTION_FETCH = 1 << 4,
};

uint64_t breakpoints = 0;
volatile uint64_t nmis = 0;
volatile bool nmi_line_owed = false;

/* Until the ProcessRegistry installs its hook (which ends only the faulting
 * process), nothing runs in ring 3, so an exception there is a kernel bug. */
void panic_on_user_exception(TrapFrame& frame)
{
    panic_with_frame(frame, "%s (%s, vector %lu) in user mode, error code 0x%lx", name(frame.vector),
                     mnemonic(frame.vector), frame.vector, frame.error_code);
}

UserExceptionHook user_exception_hook = panic_on_user_exception;

[[noreturn]] void panic_on_page_fault(const TrapFrame& frame)
{
    uint64_t code = frame.error_code;
    uint64_t address = cpu::read_cr2();
    panic_with_frame(frame, "page fault (#PF, vector 14), error code 0x%lx (%s%s %s in %s mode), cr2=%p",
                     code, code & PF_RESERVED_BIT ? "reserved bit set, " : "",
                     code & PF_PROTECTION ? "protection violation:" : "not-present page:",
                     code & PF_INSTRUCTION_FETCH ? "instruction fetch" : code & PF_WRITE ? "write" : "read",
                     code & PF_USER ? "user" : "kernel", reinterpret_cast<void*>(address));
}

/* An NMI says something happened (a watchdog, a performance counter, another
 * CPU, the hypervisor passing on one that arrived while a guest ran), never that
 * the interrupted code is broken: it is counted and logged and that code goes
 * on. It runs on its own IST stack and may interrupt anything (SDM Vol. 3A,
 * "Nonmaskable Interrupt (NMI)": further NMIs wait until this handler's IRET).
 * Logging is bounded: a log line takes the polled UART milliseconds, so an NMI
 * source faster than that (a timer routed as NMI) would livelock a handler that
 * logs each one. The 1st, 2nd, 4th, 8th ... are logged with the count. And
 * console_write() keeps interrupts off while it writes, so an NMI that finds IF
 * set cannot have cut into a log line; one that finds IF clear might have, so
 * it is only counted, and the next NMI due a line reports the total. */
void handle_nmi(const TrapFrame& frame)
{
    uint64_t count = nmis + 1;
    nmis = count;
    bool due = (count & (count - 1)) == 0 || nmi_line_owed;
    if (!due)
        return;
    if (!(frame.rflags & RFLAGS_IF)) {
        nmi_line_owed = true;
        return;
    }
    nmi_line_owed = false;
    log(LogCategory::interrupt, "NMI %lu handled (this one at RIP 0x%lx in %s mode); not a fault, execution goes on",
        count, frame.rip, frame.from_user() ? "user" : "kernel");
}

} // namespace

const char* name(unsigned vector) { return vector < COUNT ? descriptions[vector].name : "reserved"; }
const char* mnemonic(unsigned vector) { return vector < COUNT ? descriptions[vector].mnemonic : "-"; }

void handle(TrapFrame& frame)
{
    if (frame.vector == NMI) {
        handle_nmi(frame);
        return;
    }
    if (frame.from_user()) {
        user_exception_hook(frame);
        return;
    }
    /* With GDB attached (gdb=com2), its breakpoints and single steps are its. */
    if ((frame.vector == BREAKPOINT || frame.vector == DEBUG) && gdb_stub::handle_trap(frame))
        return;
    /* int3 is a trap: the saved RIP already points past it, so returning goes on
     * with the next instruction. */
    if (frame.vector == BREAKPOINT) {
        ++breakpoints;
        return;
    }
    if (frame.vector == PAGE_FAULT)
        panic_on_page_fault(frame);
    panic_with_frame(frame, "%s (%s, vector %lu) in kernel mode, error code 0x%lx", name(frame.vector),
                     mnemonic(frame.vector), frame.vector, frame.error_code);
}

uint64_t breakpoint_count() { return breakpoints; }
uint64_t nmi_count() { return nmis; }

void set_user_exception_hook(UserExceptionHook hook) { user_exception_hook = hook ? hook : panic_on_user_exception; }

} // namespace exceptions
