/* Exceptions in a test guest: an IDT for vectors 0-31, and a way to run one
 * instruction that is expected to fault and go on after it. An exception nobody
 * expected is reported as a failed check and ends the guest.
 * Follows the Intel SDM (revision 084), Vol. 3A, "Interrupt Descriptor Table
 * (IDT)" and "IDT Descriptors". */
#pragma once
#include <stdint.h>

namespace guest {

/* What exceptions.S leaves on the stack: PUSHA's registers, the vector, the error
 * code (0 when the CPU pushes none), then what the CPU pushed. */
struct ExceptionFrame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
};

constexpr uint32_t VECTOR_INVALID_OPCODE = 6;     /* #UD */
constexpr uint32_t VECTOR_GENERAL_PROTECTION = 13; /* #GP */

/* The exceptions taken at instructions wrapped in EXPECT_FAULT since the last reset. */
struct FaultLog {
    uint32_t count;
    uint32_t vector;     /* of the last one */
    uint32_t error_code; /* of the last one */
    uint32_t eax, edx;   /* what the handler found in EAX and EDX at the last one */
};

void install_exception_handlers();
void reset_fault_log();
FaultLog fault_log();
const char* exception_name(uint32_t vector);

} // namespace guest

/* Where the exception handler resumes; 0 when no fault is expected. */
extern "C" volatile uint32_t guest_fault_resume;

/* Inline-assembly text around one instruction that may fault: arms the resume
 * address to just after it, so a fault there is logged and skipped, and disarms it
 * afterwards. Use it once per asm statement (it defines the local label 1). */
#define EXPECT_FAULT(instruction) \
    "movl $1f, guest_fault_resume\n\t" instruction "\n1:\n\tmovl $0, guest_fault_resume\n\t"
