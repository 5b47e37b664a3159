/* Test guest "msr": MSRs a guest may not touch raise #GP in the guest (injected
 * by the hypervisor), harmless ones read fine. Follows the Intel SDM (revision
 * 084), Vol. 2, "RDMSR" and "WRMSR" (#GP(0) for a reserved or unimplemented MSR
 * address), and Vol. 4, "Model-Specific Registers (MSRs)". */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/text.h"
#include "kernel/arch/x86_64/msr.h"

namespace guest {

const char GUEST_NAME[] = "msr";

namespace {

constexpr uint32_t IA32_TIME_STAMP_COUNTER = uint32_t(Msr::time_stamp_counter);
constexpr uint32_t IA32_FEATURE_CONTROL = uint32_t(Msr::feature_control);
constexpr uint32_t IA32_VMX_BASIC = 0x480; /* only with VMX shown */
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
    /* IA32_VMX_BASIC exists exactly when CPUID shows VMX (vm_nested=). */
    (void)read_msr(IA32_VMX_BASIC);
    if (cpuid(1).ecx & CPUID_1_ECX_VMX) {
        check("rdmsr_vmx_basic_reads_with_vmx_shown", fault_log().count == 0, "RDMSR 480H faulted");
        reset_fault_log();
    } else {
        check_one_gp("rdmsr_vmx_basic_raises_gp");
    }
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

/* Each MSR of the CPU model's list written and read back (SDM Vol. 4, "IA32
 * Architectural MSRs"); the values keep this 32-bit guest running as it was. */
void check_read_back()
{
    struct Case {
        const char* name;
        uint32_t msr;
        uint64_t value;
    } cases[] = {
        {"apic_base", uint32_t(Msr::apic_base), 0xFEE00900},
        {"mtrr_def_type", uint32_t(Msr::mtrr_def_type), 0xC06},
        {"mtrr_physbase0", uint32_t(Msr::mtrr_physbase0), 0x80000000 | 6},
        {"mtrr_physmask0", uint32_t(Msr::mtrr_physmask0), 0xF0000800},
        {"mtrr_physbase7", uint32_t(Msr::mtrr_physbase0) + 14, 0x1},
        {"mtrr_fix64k_00000", uint32_t(Msr::mtrr_fix64k_00000), 0x0606060606060606ull},
        {"mtrr_fix16k_a0000", uint32_t(Msr::mtrr_fix16k_a0000), 0x0000000001010101ull},
        {"mtrr_fix4k_f8000", uint32_t(Msr::mtrr_fix4k_f8000), 0x0505050505050505ull},
        {"pat", uint32_t(Msr::pat), 0x0007040600070106ull},
        {"sysenter_cs", uint32_t(Msr::sysenter_cs), 0x10},
        {"sysenter_esp", uint32_t(Msr::sysenter_esp), 0x9000},
        {"sysenter_eip", uint32_t(Msr::sysenter_eip), 0x100000},
        {"star", uint32_t(Msr::star), 0x0023001000000000ull},
        {"lstar", uint32_t(Msr::lstar), 0xFFFFFFFF80001000ull},
        {"cstar", uint32_t(Msr::cstar), 0xFFFFFFFF80002000ull},
        {"fmask", uint32_t(Msr::fmask), 0x4700},
        {"kernel_gs_base", uint32_t(Msr::kernel_gs_base), 0xFFFF800000001000ull},
        {"fs_base", uint32_t(Msr::fs_base), 0x1000},
        {"gs_base", uint32_t(Msr::gs_base), 0x2000},
        {"mcg_status", uint32_t(Msr::mcg_status), 0},
        {"misc_enable", uint32_t(Msr::misc_enable), 0x1801},
    };
    bool has_apic = cpuid(1).edx & (1u << 9);
    for (const Case& c : cases) {
        reset_fault_log();
        write_msr(c.msr, c.value);
        uint64_t back = read_msr(c.msr);
        if (c.msr == uint32_t(Msr::apic_base) && !has_apic) {
            /* A CPU whose CPUID shows no local APIC (the SVM backend's today) has no
             * IA32_APIC_BASE either: both accesses fault. */
            check("apic_base_faults_without_the_apic", fault_log().count == 2, "IA32_APIC_BASE did not fault twice");
            continue;
        }
        Text name, reason;
        name.add(c.name).add("_reads_back");
        reason.add_decimal(int32_t(fault_log().count)).add(" faults, read ").add_hex(uint32_t(back >> 32)).add(":")
            .add_hex(uint32_t(back)).add(" after writing ").add_hex(uint32_t(c.value >> 32)).add(":")
            .add_hex(uint32_t(c.value));
        check(name.c_str(), fault_log().count == 0 && back == c.value, reason.c_str());
    }
    /* Put back what the guest runs with: the power-on PAT, FS and GS based at 0. */
    write_msr(uint32_t(Msr::pat), 0x0007040600070406ull);
    write_msr(uint32_t(Msr::fs_base), 0);
    write_msr(uint32_t(Msr::gs_base), 0);
}

/* Writes hardware refuses with #GP(0): reserved bits, read-only MSRs, bad types. */
void check_reserved_bits_fault()
{
    struct Case {
        const char* name;
        uint32_t msr;
        uint64_t value;
    } cases[] = {
        {"apic_base_reserved_bit", uint32_t(Msr::apic_base), 0xFEE00901},
        {"apic_base_x2apic_enable", uint32_t(Msr::apic_base), 0xFEE00D00},
        {"mtrrcap_read_only", uint32_t(Msr::mtrrcap), 0},
        {"mcg_cap_read_only", uint32_t(Msr::mcg_cap), 0},
        {"mtrr_def_type_reserved_type", uint32_t(Msr::mtrr_def_type), 2},
        {"mtrr_physbase_reserved_bits", uint32_t(Msr::mtrr_physbase0), 0x106},
        {"pat_reserved_type", uint32_t(Msr::pat), 0x0007040600070402ull},
        {"efer_reserved_bit", uint32_t(Msr::efer), 1ull << 1},
        {"lstar_not_canonical", uint32_t(Msr::lstar), 0x0000800000000000ull},
        {"mtrr_past_vcnt", uint32_t(Msr::mtrr_physbase0) + 16, 0},
    };
    for (const Case& c : cases) {
        reset_fault_log();
        write_msr(c.msr, c.value);
        Text name;
        name.add(c.name).add("_raises_gp");
        check_one_gp(name.c_str());
    }
    uint64_t cap = read_msr(uint32_t(Msr::mtrrcap));
    Text vcnt;
    vcnt.add("IA32_MTRRCAP = ").add_hex(uint32_t(cap));
    check("mtrrcap_has_variable_and_fixed_ranges", (cap & 0xFF) >= 1 && (cap & (1u << 8)), vcnt.c_str());
    uint64_t feature_control = read_msr(uint32_t(Msr::feature_control));
    check("feature_control_reads_locked", feature_control & 1, "IA32_FEATURE_CONTROL is not locked");
}

/* Every feature CPUID shows comes with the MSRs the SDM ties to it (this list
 * is the SDM's, written independently of the hypervisor's table), and the MSRs
 * of features it hides fault. */
void check_cpuid_sweep()
{
    struct Tie {
        const char* name;
        uint32_t leaf;
        uint8_t reg; /* 2 ECX, 3 EDX, 1 EBX */
        uint8_t bit;
        uint32_t msr;
    } ties[] = {
        {"tsc", 1, 3, 4, uint32_t(Msr::time_stamp_counter)},
        {"apic", 1, 3, 9, uint32_t(Msr::apic_base)},
        {"sep", 1, 3, 11, uint32_t(Msr::sysenter_cs)},
        {"mtrr", 1, 3, 12, uint32_t(Msr::mtrrcap)},
        {"mtrr_def", 1, 3, 12, uint32_t(Msr::mtrr_def_type)},
        {"mca", 1, 3, 14, uint32_t(Msr::mcg_cap)},
        {"mca_status", 1, 3, 14, uint32_t(Msr::mcg_status)},
        {"pat", 1, 3, 16, uint32_t(Msr::pat)},
        {"pdcm", 1, 2, 15, uint32_t(Msr::perf_capabilities)},
        {"tsc_deadline", 1, 2, 24, uint32_t(Msr::tsc_deadline)},
        {"vmx", 1, 2, 5, 0x480},
        {"tsc_adjust", 7, 1, 1, uint32_t(Msr::tsc_adjust)},
        {"syscall", 0x80000001, 3, 11, uint32_t(Msr::star)},
        {"nx", 0x80000001, 3, 20, uint32_t(Msr::efer)},
        {"rdtscp", 0x80000001, 3, 27, uint32_t(Msr::tsc_aux)},
        {"lm", 0x80000001, 3, 29, uint32_t(Msr::kernel_gs_base)},
    };
    uint32_t max_extended = cpuid(0x80000000).eax;
    for (const Tie& tie : ties) {
        if (tie.leaf >= 0x80000000 && tie.leaf > max_extended)
            continue;
        CpuidResult r = cpuid(tie.leaf);
        uint32_t word = tie.reg == 1 ? r.ebx : tie.reg == 2 ? r.ecx : r.edx;
        bool shown = word & (1u << tie.bit);
        reset_fault_log();
        (void)read_msr(tie.msr);
        bool faulted = fault_log().count != 0;
        Text name, reason;
        name.add("cpuid_").add(tie.name).add(shown ? "_shown_and_its_msr_reads" : "_hidden_and_its_msr_faults");
        reason.add("MSR ").add_hex(tie.msr).add(faulted ? " faulted" : " read");
        check(name.c_str(), shown != faulted, reason.c_str());
    }
    check("cpuid_performance_monitoring_hidden", cpuid(0).eax < 0xA || cpuid(0xA).eax == 0, "CPUID.0AH:EAX != 0");
}

} // namespace

void guest_main()
{
    check_refused();
    check_time_stamp_counter();
    check_read_back();
    check_reserved_bits_fault();
    check_cpuid_sweep();
}

} // namespace guest
