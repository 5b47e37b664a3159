/* The VM-exit interruption-information field and what an "exception or NMI" exit
 * (basic exit reason 0) means for this hypervisor. Follows the Intel SDM (revision
 * 084), Vol. 3C, "Information for VM Exits Due to Vectored Events" (the field's
 * format), "Pin-Based VM-Execution Controls" and "Other Causes of VM Exits" (with
 * NMI exiting, an NMI in VMX non-root operation exits instead of going through
 * the guest's IDT). Pure logic, unit-tested on the build machine (tests/unit). */
#pragma once
#include <stdint.h>

namespace vmx {

/* Bits 10:8 of the interruption information. */
enum class InterruptionType : uint8_t {
    external_interrupt = 0,
    nmi = 2,
    hardware_exception = 3,
    software_interrupt = 4,
    privileged_software_exception = 5,
    software_exception = 6,
    other_event = 7,
};

struct ExitInterruption {
    bool valid;                  /* bit 31 */
    InterruptionType type;       /* bits 10:8 */
    uint8_t vector;              /* bits 7:0 */
    bool error_code_valid;       /* bit 11 */
    bool nmi_unblocking_by_iret; /* bit 12 */
};

constexpr ExitInterruption decode_exit_interruption(uint32_t information)
{
    return {(information >> 31) != 0, InterruptionType((information >> 8) & 7), uint8_t(information & 0xFF),
            ((information >> 11) & 1) != 0, ((information >> 12) & 1) != 0};
}

/* What an exception-or-NMI exit asks of the hypervisor. With NMI exiting on, an
 * NMI that arrives while the guest runs is the host's (a watchdog, a
 * performance counter, another CPU): it goes to the host's own handler and the
 * guest carries on. The exception bitmap holds only #UD (vector 6), for AMD's
 * VMMCALL, which the hypervisor emulates as a hypercall; any other exception
 * exit means the VMCS is not what the hypervisor wrote. */
enum class ExceptionExitAction : uint8_t {
    pass_nmi_to_host,
    emulate_invalid_opcode,
    end_vm_unexpected_exception,
    end_vm_invalid_information,
};

constexpr ExceptionExitAction decide_exception_or_nmi_exit(uint32_t information)
{
    ExitInterruption interruption = decode_exit_interruption(information);
    if (!interruption.valid)
        return ExceptionExitAction::end_vm_invalid_information;
    if (interruption.type == InterruptionType::nmi && interruption.vector == 2)
        return ExceptionExitAction::pass_nmi_to_host;
    if (interruption.type == InterruptionType::hardware_exception && interruption.vector == 6)
        return ExceptionExitAction::emulate_invalid_opcode;
    return ExceptionExitAction::end_vm_unexpected_exception;
}

} // namespace vmx
