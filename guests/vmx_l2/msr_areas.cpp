/* The vmx_l2 guest's MSR-area cases: VMCS12's VM-entry MSR-load, VM-exit
 * MSR-store and VM-exit MSR-load areas (Intel SDM revision 084, Vol. 3C,
 * "Loading MSRs", "Saving MSRs"). */
#include "vmx_l2/vmx_l2.h"

namespace guest::l2 {

namespace {

/* Three entries each for the EFER/PAT/TSC cases. */
alignas(16) uint32_t entry_area[3][4], store_area[3][4], load_area[1][4];

uint64_t entry_value(const uint32_t (&entry)[4]) { return (uint64_t(entry[3]) << 32) | entry[2]; }

void use_areas(uint32_t entries, uint32_t stores, uint32_t loads)
{
    vmwrite64(ENTRY_MSR_LOAD_ADDRESS, uint32_t(uintptr_t(entry_area)));
    vmwrite64(EXIT_MSR_STORE_ADDRESS, uint32_t(uintptr_t(store_area)));
    vmwrite64(EXIT_MSR_LOAD_ADDRESS, uint32_t(uintptr_t(load_area)));
    vmwrite(ENTRY_MSR_LOAD_COUNT, entries);
    vmwrite(EXIT_MSR_STORE_COUNT, stores);
    vmwrite(EXIT_MSR_LOAD_COUNT, loads);
}

} // namespace

/* "Loading MSRs" and "Saving MSRs" beyond the five syscall MSRs, through L1's
 * CPU model: L2 gets its IA32_SYSENTER_ESP from the VM-entry MSR-load area (over
 * VMCS12's guest field), the VM-exit MSR-store area gives it back to L1, and
 * the VM-exit MSR-load area sets L1's own IA32_SYSENTER_CS, which L1 reads with
 * RDMSR after the exit. */
void check_msr_areas(uint32_t base)
{
    constexpr uint32_t SYSENTER_CS = 0x174, SYSENTER_ESP = 0x175, L2_STACK = 0x12345000, L1_CS = 0x33;
    put_msr_entry(entry_load_area, SYSENTER_ESP, L2_STACK);
    put_msr_entry(exit_store_area, SYSENTER_ESP, 0);
    put_msr_entry(exit_load_area, SYSENTER_CS, L1_CS);
    vmwrite64(ENTRY_MSR_LOAD_ADDRESS, uint32_t(uintptr_t(entry_load_area)));
    vmwrite64(EXIT_MSR_STORE_ADDRESS, uint32_t(uintptr_t(exit_store_area)));
    vmwrite64(EXIT_MSR_LOAD_ADDRESS, uint32_t(uintptr_t(exit_load_area)));
    vmwrite(ENTRY_MSR_LOAD_COUNT, 1);
    vmwrite(EXIT_MSR_STORE_COUNT, 1);
    vmwrite(EXIT_MSR_LOAD_COUNT, 1);
    vmwrite(GUEST_SYSENTER_ESP, 0);
    vmwrite(GUEST_RIP, base + CPUID_OFFSET);
    bool exited = enter_l2(false);
    vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(EXIT_MSR_STORE_COUNT, 0);
    vmwrite(EXIT_MSR_LOAD_COUNT, 0);
    Text reason;
    reason.add("flags ").add_hex(vmx_l2_flags).add(" error ").add_decimal(int32_t(vmread(VM_INSTRUCTION_ERROR)));
    check("vmresume_with_msr_areas_runs_l2_until_its_cpuid", exited, reason.c_str());
    if (!exited)
        return;
    expect_value("msr_areas_l2_cpuid_exit_reason_is_10", vmread(EXIT_REASON), 10);
    expect_value("entry_msr_load_sets_l2_sysenter_esp", vmread(GUEST_SYSENTER_ESP), L2_STACK);
    expect_value("exit_msr_store_gives_l1_l2_sysenter_esp", exit_store_area[2], L2_STACK);
    expect_value("exit_msr_load_sets_l1_sysenter_cs", uint32_t(read_msr(SYSENTER_CS)), L1_CS);
}

/* IA32_EFER, IA32_PAT and IA32_TIME_STAMP_COUNTER in the three areas ("Loading
 * MSRs", "Saving MSRs"): L2 and L1 run on one processor, so what the VM-entry
 * MSR-load area loads is what L2 runs with and, where no VMCS control reloads
 * it at the exit, what L1 finds after it. VMCS12 loads neither EFER nor PAT
 * and L1 uses no TSC offsetting here: the exit MSR-store area reads L2's EFER
 * bit, PAT and TSC (100H... in the high half after the load); L1 keeps that PAT
 * and TSC, and gets its EFER back from the VM-exit MSR-load area. An EFER with
 * a reserved bit fails the entry at its number (exit reason 34, bit 31). */
void check_msr_areas_efer_pat_tsc(uint32_t base)
{
    constexpr uint32_t EFER = 0xC0000080, PAT = 0x277, TSC = 0x10;
    constexpr uint64_t L2_PAT = 0x0606060606060606ull, L2_TSC = 0x200ull << 32;
    uint32_t extended = cpuid(0x80000000).eax >= 0x80000001 ? cpuid(0x80000001).edx : 0;
    uint64_t efer_bit = (extended & (1u << 20)) ? 1u << 11 : (extended & (1u << 11)) ? 1u : 0; /* NXE, SCE */
    if (!efer_bit) {
        check("msr_areas_efer_needs_nx_or_syscall", false, "CPUID shows neither");
        return;
    }
    uint64_t l1_efer = read_msr(EFER), l1_pat = read_msr(PAT);
    put_msr_entry(entry_area[0], EFER, l1_efer | efer_bit);
    put_msr_entry(entry_area[1], PAT, L2_PAT);
    put_msr_entry(entry_area[2], TSC, L2_TSC);
    put_msr_entry(store_area[0], EFER, 0);
    put_msr_entry(store_area[1], PAT, 0);
    put_msr_entry(store_area[2], TSC, 0);
    put_msr_entry(load_area[0], EFER, l1_efer);
    use_areas(3, 3, 1);
    vmwrite(GUEST_RIP, base + CPUID_OFFSET);
    bool exited = enter_l2(false);
    use_areas(0, 0, 0);
    uint32_t l1_tsc_high = rdtsc_high();
    uint64_t l1_pat_after = read_msr(PAT), l1_efer_after = read_msr(EFER);
    write_msr(PAT, l1_pat);
    Text reason;
    reason.add("exited ").add_decimal(exited).add(" reason ").add_hex(vmread(EXIT_REASON)).add(" qualification ")
        .add_decimal(int32_t(vmread(EXIT_QUALIFICATION)));
    check("vmresume_with_efer_pat_and_tsc_in_the_areas_runs_l2_until_its_cpuid",
          exited && vmread(EXIT_REASON) == 10, reason.c_str());
    check("entry_msr_load_of_efer_is_l2s_efer", entry_value(store_area[0]) & efer_bit, "bit not stored");
    Text pat;
    pat.add("stored ").add_hex(store_area[1][3]).add(":").add_hex(store_area[1][2]).add(", L1's after the exit ")
        .add_hex(uint32_t(l1_pat_after >> 32)).add(":").add_hex(uint32_t(l1_pat_after));
    check("entry_msr_load_of_pat_is_l2s_pat", entry_value(store_area[1]) == L2_PAT, pat.c_str());
    check("l1_keeps_the_pat_the_entry_area_loaded_without_exit_load_pat", l1_pat_after == L2_PAT, pat.c_str());
    Text tsc;
    tsc.add("stored high half ").add_hex(store_area[2][3]).add(", L1's after the exit ").add_hex(l1_tsc_high);
    check("entry_msr_load_of_the_tsc_is_l2s_tsc", store_area[2][3] == uint32_t(L2_TSC >> 32), tsc.c_str());
    check("l1_keeps_the_tsc_the_entry_area_loaded", l1_tsc_high == uint32_t(L2_TSC >> 32), tsc.c_str());
    Text efer;
    efer.add("L1's EFER ").add_hex(uint32_t(l1_efer_after)).add(", before ").add_hex(uint32_t(l1_efer));
    check("exit_msr_load_gives_l1_its_efer_back", l1_efer_after == l1_efer, efer.c_str());

    put_msr_entry(entry_area[0], PAT, l1_pat);
    put_msr_entry(entry_area[1], EFER, l1_efer | 2); /* bit 1 is reserved */
    use_areas(2, 0, 0);
    exited = enter_l2(false);
    use_areas(0, 0, 0);
    Text failed;
    failed.add("exited ").add_decimal(exited).add(" reason ").add_hex(vmread(EXIT_REASON)).add(" qualification ")
        .add_decimal(int32_t(vmread(EXIT_QUALIFICATION)));
    check("entry_msr_load_of_a_reserved_efer_bit_fails_at_its_entry", exited && vmread(EXIT_REASON) == 0x80000022 &&
          vmread(EXIT_QUALIFICATION) == 2, failed.c_str());
}

} // namespace guest::l2
