/* hypervisor/vmx/exit_interruption.h: decoding the VM-exit interruption
 * information (SDM "Information for VM Exits Due to Vectored Events") and the
 * dispatcher's decision for an exception-or-NMI exit. The bug it pins: a host NMI
 * arriving while a guest ran ended the VM as an unhandled exit. */
#include "hypervisor/vmx/exit_interruption.h"
#include "hypervisor/vmx/vmx_tlb.h"
#include "unit_test.h"

using namespace vmx;

namespace {

constexpr uint32_t VALID = 1u << 31;
constexpr uint32_t information(InterruptionType type, uint8_t vector, uint32_t extra = 0)
{
    return VALID | (uint32_t(type) << 8) | vector | extra;
}

} // namespace

UNIT_TEST(exit_interruption_decodes_every_field)
{
    ExitInterruption decoded = decode_exit_interruption(VALID | (1u << 12) | (1u << 11) | (3u << 8) | 13);
    CHECK(decoded.valid);
    CHECK(decoded.type == InterruptionType::hardware_exception);
    CHECK_EQ(unsigned(decoded.vector), 13u);
    CHECK(decoded.error_code_valid);
    CHECK(decoded.nmi_unblocking_by_iret);
    CHECK(!decode_exit_interruption(0x80000202u & ~VALID).valid);
}

UNIT_TEST(host_nmi_exit_is_passed_to_the_host_and_the_guest_goes_on)
{
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::nmi, 2)) == ExceptionExitAction::pass_nmi_to_host);
    /* What a CPU reports with the unblocking bit set is still the host's NMI. */
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::nmi, 2, 1u << 12)) ==
          ExceptionExitAction::pass_nmi_to_host);
}

UNIT_TEST(exception_exits_and_malformed_nmi_information_end_the_vm)
{
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::hardware_exception, 13, 1u << 11)) ==
          ExceptionExitAction::end_vm_unexpected_exception);
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::software_exception, 3)) ==
          ExceptionExitAction::end_vm_unexpected_exception);
    /* Type NMI with a vector other than 2 is not an NMI the SDM defines. */
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::nmi, 14)) ==
          ExceptionExitAction::end_vm_unexpected_exception);
    CHECK(decide_exception_or_nmi_exit(0x202) == ExceptionExitAction::end_vm_invalid_information);
    CHECK(decide_exception_or_nmi_exit(0) == ExceptionExitAction::end_vm_invalid_information);
}

UNIT_TEST(invept_and_invvpid_types_follow_ept_vpid_capabilities)
{
    namespace cap = ept_vpid_cap;
    CHECK_EQ(invept_type(0), 0u);
    CHECK_EQ(invept_type(cap::INVEPT_SINGLE_CONTEXT), 0u); /* no INVEPT at all */
    CHECK_EQ(invept_type(cap::INVEPT | cap::INVEPT_SINGLE_CONTEXT | cap::INVEPT_ALL_CONTEXTS), 1u);
    CHECK_EQ(invept_type(cap::INVEPT | cap::INVEPT_ALL_CONTEXTS), 2u);
    CHECK_EQ(invept_type(cap::INVEPT), 0u);
    CHECK_EQ(invvpid_type(cap::INVVPID | cap::INVVPID_SINGLE_CONTEXT), 1u);
    CHECK_EQ(invvpid_type(cap::INVVPID | cap::INVVPID_ALL_CONTEXTS), 2u);
    CHECK_EQ(invvpid_type(cap::INVVPID_SINGLE_CONTEXT), 0u);
    CHECK_EQ(invvpid_type(cap::INVEPT | cap::INVEPT_SINGLE_CONTEXT), 0u);
}

UNIT_TEST(invalid_opcode_exit_is_emulated_and_other_exceptions_are_not)
{
    /* #UD (hardware exception 6) exits for VMMCALL's emulation. */
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::hardware_exception, 6)) ==
          ExceptionExitAction::emulate_invalid_opcode);
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::software_exception, 6)) ==
          ExceptionExitAction::end_vm_unexpected_exception);
    CHECK(decide_exception_or_nmi_exit(information(InterruptionType::hardware_exception, 7)) ==
          ExceptionExitAction::end_vm_unexpected_exception);
}
