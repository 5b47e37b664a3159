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

namespace guest::l2 {

namespace {

constexpr uint32_t IA32_LSTAR = 0xC0000082, IA32_KERNEL_GS_BASE = 0xC0000102;
constexpr uint64_t L1_LSTAR = 0xFFFFFFFF81234000ull, L1_KERNEL_GS_BASE = 0xFFFF888000001000ull,
                   L2_LSTAR = 0xFFFFFFFF82345000ull, ENTRY_LSTAR = 0xFFFFFFFF83456000ull,
                   EXIT_LSTAR = 0xFFFFFFFF84567000ull;
constexpr uint32_t SYSCALL_MSRS_OFFSET = 0xA00;

/* What L2's program below read: LSTAR's low and high halves, KERNEL_GS_BASE's. */
volatile uint32_t* l2_read() { return reinterpret_cast<volatile uint32_t*>(l2_stack + 0x200); }
uint64_t l2_read_value(unsigned which) { return (uint64_t(l2_read()[2 * which + 1]) << 32) | l2_read()[2 * which]; }

class Emitter {
public:
    explicit Emitter(uint8_t* at) : at_(at) {}
    Emitter& byte(uint8_t value)
    {
        at_[length_++] = value;
        return *this;
    }
    Emitter& word(uint32_t value)
    {
        for (unsigned i = 0; i < 4; ++i)
            byte(uint8_t(value >> (8 * i)));
        return *this;
    }
    uint32_t length() const { return length_; }

private:
    uint8_t* at_;
    uint32_t length_ = 0;
};

/* L2's program at l2_code + SYSCALL_MSRS_OFFSET: MOV ECX, C0000082H; RDMSR;
 * MOV [read], EAX; MOV [read + 4], EDX; the same for C0000102H; then
 * MOV ECX, C0000082H; MOV EAX/EDX, L2_LSTAR; WRMSR; HLT. Returns the HLT's offset. */
uint32_t write_syscall_msr_program()
{
    Emitter code(l2_code + SYSCALL_MSRS_OFFSET);
    auto slot = [](unsigned index) { return uint32_t(uintptr_t(l2_read() + index)); };
    for (unsigned which = 0; which < 2; ++which) {
        code.byte(0xB9).word(which == 0 ? IA32_LSTAR : IA32_KERNEL_GS_BASE).byte(0x0F).byte(0x32);
        code.byte(0xA3).word(slot(2 * which)).byte(0x89).byte(0x15).word(slot(2 * which + 1));
    }
    code.byte(0xB9).word(IA32_LSTAR).byte(0xB8).word(uint32_t(L2_LSTAR)).byte(0xBA).word(uint32_t(L2_LSTAR >> 32));
    code.byte(0x0F).byte(0x30);
    uint32_t hlt = code.length();
    code.byte(0xF4);
    return hlt;
}

void expect_msr(const char* name, uint64_t got, uint64_t wanted)
{
    Text reason;
    reason.add("got ").add_hex(uint32_t(got >> 32)).add(":").add_hex(uint32_t(got)).add(", wanted ")
        .add_hex(uint32_t(wanted >> 32)).add(":").add_hex(uint32_t(wanted));
    check(name, got == wanted, reason.c_str());
}

} // namespace

/* The syscall MSRs (IA32_LSTAR, IA32_KERNEL_GS_BASE), which L0 switches with
 * its own lazily and keeps in the CPU while L1 and L2 run: without MSR areas
 * L1 and L2 share one processor's values ("VM Entries" and "VM Exits" switch
 * only what the areas and the controls name), so L2 reads L1's and L1 then
 * reads what L2 wrote; with them, L2 runs with the VM-entry MSR-load area's
 * LSTAR, the VM-exit MSR-store area gives L1 what L2 wrote, the VM-exit
 * MSR-load area gives L1 its own back, and KERNEL_GS_BASE, in no area, stays
 * L1's. L1's MSR bitmap lets L2's RDMSR and WRMSR of them through. */
void check_syscall_msrs(uint32_t base)
{
    uint32_t hlt = write_syscall_msr_program();
    for (uint32_t i = 0; i < 4096; ++i)
        msr_bitmap[i] = 0xFF;
    const uint32_t passed[] = {IA32_LSTAR, IA32_KERNEL_GS_BASE};
    for (uint32_t msr : passed) {
        uint32_t bit = msr - 0xC0000000;
        msr_bitmap[1024 + bit / 8] &= uint8_t(~(1u << (bit % 8))); /* read-high */
        msr_bitmap[3072 + bit / 8] &= uint8_t(~(1u << (bit % 8))); /* write-high */
    }
    vmwrite64(MSR_BITMAP, uint32_t(uintptr_t(msr_bitmap)));
    uint32_t primary = vmread(PRIMARY);
    vmwrite(PRIMARY, primary | (1u << 28)); /* use MSR bitmaps */

    write_msr(IA32_LSTAR, L1_LSTAR);
    write_msr(IA32_KERNEL_GS_BASE, L1_KERNEL_GS_BASE);
    use_areas(0, 0, 0);
    vmwrite(GUEST_RIP, base + SYSCALL_MSRS_OFFSET);
    bool exited = enter_l2(false);
    expect_hlt_exit_at("l2_reads_and_writes_syscall_msrs_without_msr_areas", exited, base + SYSCALL_MSRS_OFFSET + hlt);
    expect_msr("l2_without_msr_areas_reads_l1s_lstar", l2_read_value(0), L1_LSTAR);
    expect_msr("l2_without_msr_areas_reads_l1s_kernel_gs_base", l2_read_value(1), L1_KERNEL_GS_BASE);
    expect_msr("l1_without_msr_areas_reads_the_lstar_l2_wrote", read_msr(IA32_LSTAR), L2_LSTAR);

    write_msr(IA32_LSTAR, L1_LSTAR);
    put_msr_entry(entry_area[0], IA32_LSTAR, ENTRY_LSTAR);
    put_msr_entry(store_area[0], IA32_LSTAR, 0);
    put_msr_entry(load_area[0], IA32_LSTAR, EXIT_LSTAR);
    use_areas(1, 1, 1);
    vmwrite(GUEST_RIP, base + SYSCALL_MSRS_OFFSET);
    exited = enter_l2(false);
    use_areas(0, 0, 0);
    expect_hlt_exit_at("l2_reads_and_writes_syscall_msrs_with_msr_areas", exited, base + SYSCALL_MSRS_OFFSET + hlt);
    expect_msr("entry_msr_load_gives_l2_its_lstar", l2_read_value(0), ENTRY_LSTAR);
    expect_msr("l2_keeps_l1s_kernel_gs_base_in_no_area", l2_read_value(1), L1_KERNEL_GS_BASE);
    expect_msr("exit_msr_store_gives_l1_the_lstar_l2_wrote", entry_value(store_area[0]), L2_LSTAR);
    expect_msr("exit_msr_load_gives_l1_its_lstar_back", read_msr(IA32_LSTAR), EXIT_LSTAR);
    vmwrite(PRIMARY, primary);
}

} // namespace guest::l2
