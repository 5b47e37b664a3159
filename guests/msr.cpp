/* Test guest "msr": MSRs a guest may not touch raise #GP in the guest (injected
 * by the hypervisor), harmless ones read fine. Follows the Intel SDM (revision
 * 084), Vol. 2, "RDMSR" and "WRMSR" (#GP(0) for a reserved or unimplemented MSR
 * address), and Vol. 4, "Model-Specific Registers (MSRs)". */
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/text.h"
#include "kernel/arch/x86_64/msr.h"

namespace guest {

const char GUEST_NAME[] = "msr";

namespace {

constexpr uint32_t IA32_TIME_STAMP_COUNTER = uint32_t(Msr::time_stamp_counter);
constexpr uint32_t IA32_FEATURE_CONTROL = uint32_t(Msr::feature_control);
constexpr uint32_t IA32_VMX_BASIC = 0x480; /* VMX is hidden from the guest */
constexpr uint32_t UNDEFINED_MSR = 0xC0DE0000;

uint64_t read_msr(uint32_t msr)
{
    uint32_t low = 0, high = 0;
    asm volatile(EXPECT_FAULT("rdmsr") : "+a"(low), "+d"(high) : "c"(msr) : "memory");
    return uint64_t(high) << 32 | low;
}

void write_msr(uint32_t msr, uint64_t value)
{
    asm volatile(EXPECT_FAULT("wrmsr") : : "c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)) : "memory");
}

/* Exactly one #GP with error code 0 since the last reset. */
void check_one_gp(const char* name)
{
    FaultLog log = fault_log();
    Text reason;
    reason.add_decimal(int32_t(log.count)).add(" exceptions, last ").add(exception_name(log.vector))
        .add(" error code ").add_hex(log.error_code);
    check(name, log.count == 1 && log.vector == VECTOR_GENERAL_PROTECTION && log.error_code == 0,
          reason.c_str());
    reset_fault_log();
}

void check_refused()
{
    reset_fault_log();
    (void)read_msr(IA32_VMX_BASIC);
    check_one_gp("rdmsr_vmx_basic_raises_gp");
    write_msr(IA32_FEATURE_CONTROL, 0x5); /* lock, VMX outside SMX */
    check_one_gp("wrmsr_feature_control_raises_gp");
    (void)read_msr(UNDEFINED_MSR);
    check_one_gp("rdmsr_undefined_raises_gp");
    write_msr(UNDEFINED_MSR, 0x1234);
    check_one_gp("wrmsr_undefined_raises_gp");
}

void check_time_stamp_counter()
{
    reset_fault_log();
    uint64_t first = read_msr(IA32_TIME_STAMP_COUNTER);
    uint64_t second = read_msr(IA32_TIME_STAMP_COUNTER);
    FaultLog log = fault_log();
    Text reason;
    reason.add(exception_name(log.vector)).add(" raised");
    check("rdmsr_tsc_works", log.count == 0, reason.c_str());
    check("tsc_does_not_go_backwards", second >= first, "the second read is smaller than the first");
}

} // namespace

void guest_main()
{
    check_refused();
    check_time_stamp_counter();
}

} // namespace guest
