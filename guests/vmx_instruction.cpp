/* Test guest "vmx_instruction": every VMX instruction raises #UD in the guest,
 * which sees no VMX in CPUID; in VMX non-root operation each of them causes a VM
 * exit, and the hypervisor must inject #UD rather than run it or stop the VM.
 * GETSEC and MONITOR/MWAIT, hidden from the guest too, must raise #UD as well.
 * Follows the Intel SDM (revision 084), Vol. 3C, "Instructions That Cause VM
 * Exits Unconditionally", and Vol. 3C, "VMX Instruction Reference". */
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "vmx_instruction";

namespace {

/* A VMXON region, VMCS and INVEPT/INVVPID descriptor for the memory operands;
 * their contents do not matter, as no instruction may get as far as reading them. */
alignas(4096) uint8_t region[4096];
uint64_t region_address = 0;
uint64_t descriptor[2] = {};
uint32_t field_value = 0;

void check_one_ud(const char* name)
{
    FaultLog log = fault_log();
    Text reason;
    reason.add_decimal(int32_t(log.count)).add(" exceptions, last ").add(exception_name(log.vector));
    check(name, log.count == 1 && log.vector == VECTOR_INVALID_OPCODE, reason.c_str());
    reset_fault_log();
}

} // namespace

void guest_main()
{
    region_address = uint32_t(uintptr_t(region));
    reset_fault_log();
    asm volatile(EXPECT_FAULT("vmxon %0") : : "m"(region_address) : "memory");
    check_one_ud("vmxon_raises_ud");
    asm volatile(EXPECT_FAULT("vmxoff") : : : "memory");
    check_one_ud("vmxoff_raises_ud");
    asm volatile(EXPECT_FAULT("vmclear %0") : : "m"(region_address) : "memory");
    check_one_ud("vmclear_raises_ud");
    asm volatile(EXPECT_FAULT("vmptrld %0") : : "m"(region_address) : "memory");
    check_one_ud("vmptrld_raises_ud");
    asm volatile(EXPECT_FAULT("vmptrst %0") : "=m"(region_address) : : "memory");
    check_one_ud("vmptrst_raises_ud");
    asm volatile(EXPECT_FAULT("vmread %1, %0") : "=r"(field_value) : "r"(uint32_t(0x6C00)) : "memory");
    check_one_ud("vmread_raises_ud");
    asm volatile(EXPECT_FAULT("vmwrite %1, %0") : : "r"(uint32_t(0x6C00)), "r"(field_value) : "memory");
    check_one_ud("vmwrite_raises_ud");
    asm volatile(EXPECT_FAULT("vmlaunch") : : : "memory");
    check_one_ud("vmlaunch_raises_ud");
    asm volatile(EXPECT_FAULT("vmresume") : : : "memory");
    check_one_ud("vmresume_raises_ud");
    asm volatile(EXPECT_FAULT("invept %0, %1") : : "m"(descriptor), "r"(uint32_t(1)) : "memory");
    check_one_ud("invept_raises_ud");
    asm volatile(EXPECT_FAULT("invvpid %0, %1") : : "m"(descriptor), "r"(uint32_t(1)) : "memory");
    check_one_ud("invvpid_raises_ud");
    /* Not VMX, but hidden as well (CPUID shows no SMX and no MONITOR): GETSEC
     * (CR4.SMXE is 0) and MONITOR/MWAIT (which exit, "MONITOR exiting" and
     * "MWAIT exiting") must raise #UD too, never wait or reach the host. */
    asm volatile(EXPECT_FAULT("getsec") : : "a"(0u) : "memory");
    check_one_ud("getsec_raises_ud");
    asm volatile(EXPECT_FAULT("monitor") : : "a"(uint32_t(uintptr_t(region))), "c"(0u), "d"(0u) : "memory");
    check_one_ud("monitor_raises_ud");
    asm volatile(EXPECT_FAULT("mwait") : : "a"(0u), "c"(0u) : "memory");
    check_one_ud("mwait_raises_ud");
}

} // namespace guest
