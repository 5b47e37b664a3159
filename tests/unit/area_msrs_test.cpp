/* hypervisor/nested/area_msrs.h: VMCS12's MSR areas reach L1's CPU model as
 * WRMSR/RDMSR would, beyond the five swapped MSRs: a backend MSR (SYSENTER_ESP)
 * and a model MSR (MTRR_DEF_TYPE) load and store; what the model would #GP on
 * fails the entry at its number; EFER, PAT, the TSC and APIC_BASE go through
 * with WRMSR's checks; the SDM's own refusals stay. */
#include "hypervisor/nested/area_msrs.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/msr.h"
#include "msr_area_ram.h"
#include "unit_test.h"

#include <map>

using namespace nested;
using cpu_model::CpuidRegisters;

namespace {

/* A host with every feature bit: the guest sees what the model's table allows. */
CpuidRegisters every_feature(uint32_t leaf, uint32_t)
{
    if (leaf == 0)
        return {0x1F, 0x756E6547, 0x6C65746E, 0x49656E69};
    if (leaf == 0x80000000)
        return {0x80000020, 0, 0, 0};
    if (leaf == 0x80000008)
        return {0x3027, 0, 0, 0};
    return {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
}

/* The level's backend registers (VMCS fields, swapped slots), in a map. */
struct MapBackend final : cpu_model::MsrBackend {
    std::map<uint32_t, uint64_t> values;
    uint64_t read_backend_msr(Msr msr) override { return values[uint32_t(msr)]; }
    void write_backend_msr(Msr msr, uint64_t value) override { values[uint32_t(msr)] = value; }
};

class L1Ram final : public MsrAreaRam {
public:
    L1Ram() : MsrAreaRam(0x1000) {}
};

struct Level {
    explicit Level(bool paging = false) : msrs(cpu, backend, paging) {}
    cpu_model::GuestCpu cpu{cpu_model::GuestCpuConfig{.local_apic = true}, every_feature};
    MapBackend backend;
    AreaMsrs msrs;
};

} // namespace

UNIT_TEST(area_msrs_load_backend_and_model_msrs_beyond_the_swapped_five)
{
    L1Ram l1;
    Level level;
    l1.put_entry(0x100, uint32_t(Msr::sysenter_esp), 0xFFFFFFFF80001000);
    l1.put_entry(0x110, uint32_t(Msr::mtrr_def_type), 0x806); /* enabled, default write-back */
    l1.put_entry(0x120, uint32_t(Msr::lstar), 0xFFFFFFFF81000000);
    CHECK_EQ(load_msr_area(l1, 0x100, 3, level.msrs), 0u);
    CHECK_EQ(level.backend.values[uint32_t(Msr::sysenter_esp)], 0xFFFFFFFF80001000ull);
    CHECK_EQ(level.backend.values[uint32_t(Msr::lstar)], 0xFFFFFFFF81000000ull);
    uint64_t def_type = 0;
    CHECK(level.cpu.read_msr(uint32_t(Msr::mtrr_def_type), def_type, level.backend));
    CHECK_EQ(def_type, 0x806ull);
}

UNIT_TEST(area_msrs_store_reads_through_the_model)
{
    L1Ram l1;
    Level level;
    level.backend.values[uint32_t(Msr::sysenter_esp)] = 0x1234000;
    CHECK(level.cpu.write_msr(uint32_t(Msr::mtrr_def_type), 0xC06, level.backend));
    l1.put_entry(0x200, uint32_t(Msr::sysenter_esp), 0);
    l1.put_entry(0x210, uint32_t(Msr::mtrr_def_type), 0);
    CHECK_EQ(store_msr_area(l1, 0x200, 2, level.msrs), 0u);
    CHECK_EQ(l1.value_at(0x208), 0x1234000ull);
    CHECK_EQ(l1.value_at(0x218), 0xC06ull);
    l1.put_entry(0x210, 0x9999, 0); /* no such MSR: RDMSR would #GP */
    CHECK_EQ(store_msr_area(l1, 0x200, 2, level.msrs), 2u);
}

/* What WRMSR would #GP on fails the load at that entry, and nothing after it
 * is loaded. */
UNIT_TEST(area_msrs_load_fails_where_wrmsr_would_fault)
{
    struct Case {
        uint32_t msr;
        uint64_t value;
    };
    const Case faulting[] = {
        {uint32_t(Msr::sysenter_esp), 0x0000800000000000}, /* not canonical */
        {uint32_t(Msr::mtrr_def_type), 0x802},             /* memory type 2 is reserved */
        {uint32_t(Msr::fmask), 1ull << 32},                /* reserved high half */
        {0x480, 0},                                        /* IA32_VMX_BASIC: not offered, no such MSR */
        {0x9999, 0},                                       /* no such MSR */
    };
    for (const Case& c : faulting) {
        L1Ram l1;
        Level level;
        l1.put_entry(0x100, uint32_t(Msr::sysenter_cs), 0x10);
        l1.put_entry(0x110, c.msr, c.value);
        l1.put_entry(0x120, uint32_t(Msr::sysenter_eip), 0x2000);
        CHECK_EQ(load_msr_area(l1, 0x100, 3, level.msrs), 2u);
        CHECK_EQ(level.backend.values[uint32_t(Msr::sysenter_cs)], 0x10ull);
        CHECK(level.backend.values.count(uint32_t(Msr::sysenter_eip)) == 0);
    }
}

UNIT_TEST(area_msrs_refuse_the_sdms_list)
{
    const uint32_t refused[] = {uint32_t(Msr::fs_base), uint32_t(Msr::gs_base), 0x808, 0x9B};
    for (uint32_t msr : refused) {
        L1Ram l1;
        Level level;
        l1.put_entry(0x100, msr, 0);
        CHECK_EQ(load_msr_area(l1, 0x100, 1, level.msrs), 1u);
        CHECK(level.backend.values.empty());
    }
}

/* IA32_EFER, IA32_PAT, IA32_TIME_STAMP_COUNTER and IA32_APIC_BASE load and
 * store like any other MSR ("Loading MSRs": only the SDM's list and WRMSR's
 * faults fail an entry); the level's backend gives each its side effect. */
UNIT_TEST(area_msrs_load_and_store_efer_pat_tsc_and_apic_base)
{
    constexpr uint64_t PAT = 0x0606060606060606ull, TSC = 0x20000000000ull, APIC_BASE = 0xFEC00000ull;
    L1Ram l1;
    Level level;
    l1.put_entry(0x100, uint32_t(Msr::efer), EFER_NXE | EFER_SCE);
    l1.put_entry(0x110, uint32_t(Msr::pat), PAT);
    l1.put_entry(0x120, uint32_t(Msr::time_stamp_counter), TSC);
    l1.put_entry(0x130, uint32_t(Msr::apic_base), APIC_BASE | cpu_model::APIC_BASE_ENABLE);
    CHECK_EQ(load_msr_area(l1, 0x100, 4, level.msrs), 0u);
    CHECK_EQ(level.backend.values[uint32_t(Msr::efer)], EFER_NXE | EFER_SCE);
    CHECK_EQ(level.backend.values[uint32_t(Msr::pat)], PAT);
    CHECK_EQ(level.backend.values[uint32_t(Msr::time_stamp_counter)], TSC);
    CHECK_EQ(level.cpu.apic_base() & ~0xFFFull, APIC_BASE);
    l1.put_entry(0x200, uint32_t(Msr::pat), 0);
    l1.put_entry(0x210, uint32_t(Msr::time_stamp_counter), 0);
    CHECK_EQ(store_msr_area(l1, 0x200, 2, level.msrs), 0u);
    CHECK_EQ(l1.value_at(0x208), PAT);
    CHECK_EQ(l1.value_at(0x218), TSC);
}

/* WRMSR's #GP cases for these: a reserved PAT memory type (2), an EFER bit the
 * CPU lacks, EFER.LME changing while the level has CR0.PG set ("IA32_EFER MSR":
 * #GP), which the same value without paging may do. */
UNIT_TEST(area_msrs_load_fails_where_wrmsr_of_efer_or_pat_would_fault)
{
    L1Ram l1;
    Level level;
    l1.put_entry(0x100, uint32_t(Msr::pat), 0x0202020202020202ull);
    CHECK_EQ(load_msr_area(l1, 0x100, 1, level.msrs), 1u);
    l1.put_entry(0x100, uint32_t(Msr::efer), 1ull << 1);
    CHECK_EQ(load_msr_area(l1, 0x100, 1, level.msrs), 1u);
    CHECK(level.backend.values.count(uint32_t(Msr::efer)) == 0);

    Level paged(true);
    l1.put_entry(0x100, uint32_t(Msr::efer), EFER_LME);
    CHECK_EQ(load_msr_area(l1, 0x100, 1, paged.msrs), 1u);
    paged.backend.values[uint32_t(Msr::efer)] = EFER_LME | EFER_LMA;
    l1.put_entry(0x100, uint32_t(Msr::efer), EFER_LME | EFER_NXE); /* LME kept: fine */
    CHECK_EQ(load_msr_area(l1, 0x100, 1, paged.msrs), 0u);
    l1.put_entry(0x100, uint32_t(Msr::efer), EFER_NXE); /* LME cleared under paging */
    CHECK_EQ(load_msr_area(l1, 0x100, 1, paged.msrs), 1u);
    CHECK_EQ(load_msr_area(l1, 0x100, 1, level.msrs), 0u); /* without paging it may */
}

/* Regression (moved here with the check, which the CPU model makes now): our
 * kernel as L1 loads STAR (selectors in bits 63:32, no canonical address)
 * through its VM-entry MSR-load area; refusing it failed L1's first VM exit
 * with a VMX abort. LSTAR, CSTAR and KERNEL_GS_BASE hold addresses: WRMSR's
 * #GP for a non-canonical one fails the entry. */
UNIT_TEST(area_msrs_load_star_and_fmask_with_any_value_but_addresses_must_be_canonical)
{
    constexpr uint64_t KERNEL_STAR = 0x0023001000000000ull, NOT_CANONICAL = 0x0000800000000000ull;
    L1Ram l1;
    Level level;
    l1.put_entry(0x100, uint32_t(Msr::star), KERNEL_STAR);
    l1.put_entry(0x110, uint32_t(Msr::fmask), 0xFFFFFFFF);
    l1.put_entry(0x120, uint32_t(Msr::lstar), 0xFFFF800000001000ull);
    CHECK_EQ(load_msr_area(l1, 0x100, 3, level.msrs), 0u);
    CHECK_EQ(level.backend.values[uint32_t(Msr::star)], KERNEL_STAR);
    for (Msr address : {Msr::lstar, Msr::cstar, Msr::kernel_gs_base}) {
        l1.put_entry(0x100, uint32_t(address), NOT_CANONICAL);
        CHECK_EQ(load_msr_area(l1, 0x100, 1, level.msrs), 1u);
        l1.put_entry(0x100, uint32_t(address), 0x00007FFFFFFFF000ull);
        CHECK_EQ(load_msr_area(l1, 0x100, 1, level.msrs), 0u);
    }
}
