/* The CPU exceptions, vectors 0-31: their names and what the kernel does with
 * each. Follows the Intel SDM (revision 084), Vol. 3A, "Exception and Interrupt
 * Reference". */
#pragma once
#include "arch/x86_64/trap_frame.h"

#include <stdint.h>

namespace exceptions {

enum Vector : uint8_t {
    DIVIDE_ERROR = 0,
    DEBUG = 1,
    NMI = 2,
    BREAKPOINT = 3,
    OVERFLOW = 4,
    BOUND_RANGE_EXCEEDED = 5,
    INVALID_OPCODE = 6,
    DEVICE_NOT_AVAILABLE = 7,
    DOUBLE_FAULT = 8,
    COPROCESSOR_SEGMENT_OVERRUN = 9,
    INVALID_TSS = 10,
    SEGMENT_NOT_PRESENT = 11,
    STACK_FAULT = 12,
    GENERAL_PROTECTION = 13,
    PAGE_FAULT = 14,
    X87_FLOATING_POINT = 16,
    ALIGNMENT_CHECK = 17,
    MACHINE_CHECK = 18,
    SIMD_FLOATING_POINT = 19,
    VIRTUALIZATION = 20,
    CONTROL_PROTECTION = 21,
    HYPERVISOR_INJECTION = 28,
    VMM_COMMUNICATION = 29,
    SECURITY = 30,
};

/* Vectors below this are exceptions; the rest are free for interrupts. */
constexpr unsigned COUNT = 32;

/* "page fault", "general protection"; "reserved" for unassigned vectors. */
const char* name(unsigned vector);
/* "#PF", "#GP"; "-" for unassigned vectors. */
const char* mnemonic(unsigned vector);

/* Handles exception `frame.vector`. An NMI (in any mode) is counted and logged:
 * it is an event, not a fault of the interrupted code. In kernel mode every other
 * exception but the breakpoint panics with the frame; a breakpoint is counted and
 * execution goes on after the int3. In user mode the user exception hook decides. */
void handle(TrapFrame& frame);

/* How many NMIs the host handled since boot (including those the hypervisor
 * passed on from a guest's time slice). */
uint64_t nmi_count();

/* How many kernel-mode breakpoints (int3) were handled since boot. */
uint64_t breakpoint_count();

/* Called for an exception raised in ring 3; must not return if the interrupted
 * code cannot go on. */
using UserExceptionHook = void (*)(TrapFrame& frame);
void set_user_exception_hook(UserExceptionHook hook);

} // namespace exceptions
