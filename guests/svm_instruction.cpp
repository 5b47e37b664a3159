/* Test guest "svm_instruction": the guest cannot reach AMD SVM on either backend.
 * CPUID hides it (Fn8000_0001 ECX.SVM is 0); VMRUN, VMLOAD, VMSAVE, STGI, CLGI,
 * SKINIT and INVLPGA raise #UD (on SVM they are intercepted and the hypervisor
 * injects #UD; on VMX the CPU raises it and the hypervisor reflects it);
 * setting EFER.SVME and writing VM_CR raise #GP as on a machine whose firmware
 * disabled SVM; VM_HSAVE_PA cannot be read. Follows the AMD64 APM Vol. 2,
 * "Enabling SVM" and "SVM Instruction Reference" in Vol. 3. */
#include "kernel/arch/x86_64/msr.h"
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "svm_instruction";

namespace {

constexpr uint32_t EFER = uint32_t(Msr::efer), VM_CR = uint32_t(Msr::vm_cr), VM_HSAVE_PA = uint32_t(Msr::vm_hsave_pa);
using msr::VM_CR_SVMDIS;

/* A page for the instructions' memory operand (EAX); no instruction may read it. */
alignas(4096) uint8_t region[4096];

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

void check_one(const char* name, uint32_t vector)
{
    FaultLog log = fault_log();
    Text reason;
    reason.add_decimal(int32_t(log.count)).add(" exceptions, last ").add(exception_name(log.vector));
    check(name, log.count == 1 && log.vector == vector, reason.c_str());
    reset_fault_log();
}

void check_instructions()
{
    uint32_t address = uint32_t(uintptr_t(region));
    asm volatile(EXPECT_FAULT("vmrun") : : "a"(address) : "memory");
    check_one("vmrun_raises_ud", VECTOR_INVALID_OPCODE);
    asm volatile(EXPECT_FAULT("vmload") : : "a"(address) : "memory");
    check_one("vmload_raises_ud", VECTOR_INVALID_OPCODE);
    asm volatile(EXPECT_FAULT("vmsave") : : "a"(address) : "memory");
    check_one("vmsave_raises_ud", VECTOR_INVALID_OPCODE);
    asm volatile(EXPECT_FAULT("stgi") : : : "memory");
    check_one("stgi_raises_ud", VECTOR_INVALID_OPCODE);
    asm volatile(EXPECT_FAULT("clgi") : : : "memory");
    check_one("clgi_raises_ud", VECTOR_INVALID_OPCODE);
    asm volatile(EXPECT_FAULT("skinit") : : "a"(address) : "memory");
    check_one("skinit_raises_ud", VECTOR_INVALID_OPCODE);
    asm volatile(EXPECT_FAULT("invlpga") : : "a"(address), "c"(0u) : "memory");
    check_one("invlpga_raises_ud", VECTOR_INVALID_OPCODE);
}

void check_msrs()
{
    uint64_t efer = read_msr(EFER);
    check("efer_reads", fault_log().count == 0, "RDMSR of EFER faulted");
    reset_fault_log();
    check("efer_hides_svme", !(efer & EFER_SVME), "EFER.SVME reads as 1");
    write_msr(EFER, efer | EFER_SVME);
    check_one("efer_svme_write_raises_gp", VECTOR_GENERAL_PROTECTION);
    check("efer_svme_stays_clear", !(read_msr(EFER) & EFER_SVME), "EFER.SVME became 1");
    reset_fault_log();
    /* VM_CR reads as disabled (SVM) or not at all (VMX: no such MSR). */
    uint64_t vm_cr = read_msr(VM_CR);
    FaultLog log = fault_log();
    check("vm_cr_reads_disabled_or_faults",
          (log.count == 1 && log.vector == VECTOR_GENERAL_PROTECTION) || (log.count == 0 && (vm_cr & VM_CR_SVMDIS)),
          "VM_CR read gave SVMDIS clear");
    reset_fault_log();
    write_msr(VM_CR, 0);
    check_one("vm_cr_write_raises_gp", VECTOR_GENERAL_PROTECTION);
    (void)read_msr(VM_HSAVE_PA);
    check_one("vm_hsave_pa_read_raises_gp", VECTOR_GENERAL_PROTECTION);
}

} // namespace

void guest_main()
{
    reset_fault_log();
    check("cpuid_hides_svm", !(cpuid(0x80000001).ecx & (1u << 2)), "CPUID Fn8000_0001 ECX.SVM is 1");
    check_instructions();
    check_msrs();
}

} // namespace guest
