/* hypervisor/cpu_model against its own tables and the Intel SDM (revision 084):
 * every shown feature's MSRs exist and work, every MSR the model handles belongs
 * to a shown feature (or to none), hidden features stay hidden whatever the host
 * has, reserved bits fault, and the stored MSRs read back what was written. The
 * host is faked: one that has every feature bit, one that has none. */
#include "hypervisor/cpu_model/cpu_model.h"
#include "unit_test.h"

#include <map>
#include <string>

using namespace cpu_model;

namespace {

/* A host whose every feature bit is set: what the guest sees is then exactly
 * what the table allows. Leaf 0/0x80000000 report large maxima. */
CpuidRegisters everything_host(uint32_t leaf, uint32_t)
{
    if (leaf == 0)
        return {0x1F, 0x756E6547, 0x6C65746E, 0x49656E69}; /* "GenuineIntel" */
    if (leaf == 0x80000000)
        return {0x80000020, 0, 0, 0};
    if (leaf == 0x80000008)
        return {0x3027, 0, 0, 0}; /* 39 physical, 48 linear bits */
    return {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF};
}

CpuidRegisters nothing_host(uint32_t leaf, uint32_t)
{
    if (leaf == 0)
        return {0xD, 0, 0, 0};
    if (leaf == 0x80000000)
        return {0x80000008, 0, 0, 0};
    return {0, 0, 0, 0};
}

/* A host with NX alone of IA32_EFER's two features (long mode absent). */
CpuidRegisters nx_only_host(uint32_t leaf, uint32_t subleaf)
{
    if (leaf == 0x80000001)
        return {0, 0, 0, 1u << 20};
    return nothing_host(leaf, subleaf);
}

/* The backend's registers, kept in a map. */
struct FakeBackend final : MsrBackend {
    std::map<uint32_t, uint64_t> values;
    uint64_t read_backend_msr(Msr msr) override { return values[uint32_t(msr)]; }
    void write_backend_msr(Msr msr, uint64_t value) override { values[uint32_t(msr)] = value; }
};

uint32_t bit_of(const CpuidRegisters& r, CpuidRegister reg, unsigned bit)
{
    uint32_t word = reg == CpuidRegister::eax ? r.eax : reg == CpuidRegister::ebx ? r.ebx
                    : reg == CpuidRegister::ecx                                    ? r.ecx
                                                                                   : r.edx;
    return (word >> bit) & 1;
}

GuestCpuConfig with_apic()
{
    GuestCpuConfig config;
    config.local_apic = true;
    config.apic_id = 0;
    return config;
}

} // namespace

UNIT_TEST(cpu_model_every_shown_feature_has_readable_msrs)
{
    GuestCpu cpu(with_apic(), everything_host);
    FakeBackend backend;
    size_t count;
    const Feature* table = features(count);
    for (size_t i = 0; i < count; ++i) {
        const Feature& feature = table[i];
        if (!cpu.shows(feature))
            continue;
        CHECK(bit_of(cpu.cpuid(feature.leaf, feature.subleaf), feature.reg, feature.bit) == 1);
        for (uint8_t m = 0; m < feature.msr_count; ++m) {
            uint64_t value = 0;
            CHECK(find_msr(uint32_t(feature.msrs[m])) != nullptr);
            CHECK(cpu.read_msr(uint32_t(feature.msrs[m]), value, backend));
        }
    }
    CHECK_EQ(cpu.unknown_msr_accesses(), uint64_t(0));
}

UNIT_TEST(cpu_model_every_handled_msr_belongs_to_a_shown_feature_or_none)
{
    GuestCpu cpu(with_apic(), everything_host);
    size_t count;
    const MsrInfo* table = msrs(count);
    size_t feature_count;
    const Feature* all = features(feature_count);
    for (size_t i = 0; i < count; ++i) {
        const Feature* owner = feature_of(table[i].msr);
        if (!owner)
            continue; /* architectural: IA32_PLATFORM_ID, FEATURE_CONTROL, ... */
        bool some_shown = false;
        for (size_t f = 0; f < feature_count; ++f)
            for (uint8_t m = 0; m < all[f].msr_count; ++m)
                if (all[f].msrs[m] == table[i].msr && cpu.shows(all[f]))
                    some_shown = true;
        /* IA32_TSC_AUX belongs to the hidden RDTSCP: it must then fault. */
        FakeBackend backend;
        uint64_t value;
        CHECK_EQ(cpu.read_msr(uint32_t(table[i].msr), value, backend), some_shown);
    }
}

UNIT_TEST(cpu_model_hidden_features_stay_hidden_on_a_host_with_everything)
{
    GuestCpu cpu(GuestCpuConfig{}, everything_host);
    size_t count;
    const Feature* table = features(count);
    for (size_t i = 0; i < count; ++i) {
        if (table[i].visibility == Visibility::host)
            continue;
        CHECK(!cpu.shows(table[i]));
        CHECK_EQ(bit_of(cpu.cpuid(table[i].leaf, table[i].subleaf), table[i].reg, table[i].bit), 0u);
        if (table[i].visibility == Visibility::hidden)
            CHECK(table[i].why_hidden != nullptr);
    }
    CpuidRegisters leaf1 = cpu.cpuid(1, 0);
    CHECK_EQ(leaf1.edx & (1u << 9), 0u);     /* APIC: this VM has none */
    CHECK_EQ(leaf1.ecx & (1u << 21), 0u);    /* x2APIC */
    CHECK_EQ(leaf1.ecx & (1u << 15), 0u);    /* PDCM */
    CHECK_EQ(leaf1.ecx & (1u << 24), 0u);    /* TSC-deadline */
    CHECK_EQ(leaf1.ecx & (1u << 5), 0u);     /* VMX */
    CHECK_EQ(leaf1.ecx & (3u << 26), 0u);    /* XSAVE, OSXSAVE */
    CHECK_EQ(leaf1.ecx >> 31, 1u);           /* hypervisor present */
    CHECK_EQ(cpu.cpuid(0xA, 0).eax, 0u);     /* no performance monitoring */
    CHECK_EQ(cpu.cpuid(0xD, 0).eax, 0u);     /* no XSAVE components */
    CHECK_EQ(cpu.cpuid(0, 0).eax, 0xDu);     /* the last leaf modelled */
    /* Bits the table does not list at all are hidden too (leaf 7 EDX, AVX-512 ...). */
    CHECK_EQ(cpu.cpuid(7, 0).edx, 0u);
    CHECK_EQ(cpu.cpuid(7, 0).ecx, 0u);
}

UNIT_TEST(cpu_model_apic_shown_only_with_the_emulated_apic_and_its_id_in_ebx)
{
    GuestCpuConfig config = with_apic();
    config.apic_id = 5;
    GuestCpu cpu(config, nothing_host); /* the APIC is emulated: the host's does not matter */
    CpuidRegisters leaf1 = cpu.cpuid(1, 0);
    CHECK_EQ((leaf1.edx >> 9) & 1, 1u);
    CHECK_EQ(leaf1.ebx >> 24, 5u);
    FakeBackend backend;
    uint64_t value = 0;
    CHECK(cpu.read_msr(uint32_t(Msr::apic_base), value, backend));
    CHECK_EQ(value, 0xFEE00900ull); /* default base, BSP, enabled */

    GuestCpu without(GuestCpuConfig{}, everything_host);
    CHECK(!without.read_msr(uint32_t(Msr::apic_base), value, backend));
    CHECK_EQ(without.unknown_msr_accesses(), uint64_t(1));
}

UNIT_TEST(cpu_model_unknown_msr_faults_and_is_counted)
{
    GuestCpu cpu(with_apic(), everything_host);
    FakeBackend backend;
    uint64_t value = 0x1234;
    CHECK(!cpu.read_msr(0xC0DE0000, value, backend));
    CHECK_EQ(value, uint64_t(0x1234)); /* a faulting read changes nothing */
    CHECK(!cpu.write_msr(0x480, 0, backend)); /* IA32_VMX_BASIC: VMX is hidden */
    CHECK(!cpu.read_msr(uint32_t(Msr::perf_capabilities), value, backend));
    CHECK_EQ(cpu.unknown_msr_accesses(), uint64_t(3));
}

UNIT_TEST(cpu_model_stored_msrs_read_back_what_was_written)
{
    GuestCpu cpu(with_apic(), everything_host);
    FakeBackend backend;
    struct Case {
        uint32_t msr;
        uint64_t value;
    } cases[] = {
        {uint32_t(Msr::apic_base), 0xFED00900ull},
        {uint32_t(Msr::mtrr_def_type), 0xC06},
        {0x200, 0x12345006},       /* PHYSBASE0, WB */
        {0x201, 0x7FFFFFF800ull},  /* PHYSMASK0, valid, 32 GiB within 39 bits */
        {0x20F, 0x7FFFFFF800ull},  /* PHYSMASK7 */
        {uint32_t(Msr::mtrr_fix64k_00000), 0x0606060606060606ull},
        {uint32_t(Msr::mtrr_fix4k_f8000), 0x0505050505050505ull},
        {uint32_t(Msr::mtrr_fix16k_a0000), 0x0101010101010101ull},
        {uint32_t(Msr::mcg_status), 0},
        {uint32_t(Msr::misc_enable), 0x1801},
    };
    for (const Case& c : cases) {
        CHECK(cpu.write_msr(c.msr, c.value, backend));
        uint64_t value = 0;
        CHECK(cpu.read_msr(c.msr, value, backend));
        CHECK_EQ(value, c.value);
    }
    /* Backend MSRs go to the backend and come back from it. */
    CHECK(cpu.write_msr(uint32_t(Msr::pat), 0x0007010600070106ull, backend));
    CHECK_EQ(backend.values[uint32_t(Msr::pat)], 0x0007010600070106ull);
    CHECK(cpu.write_msr(uint32_t(Msr::sysenter_eip), 0xFFFFFFFF80001000ull, backend));
    uint64_t value = 0;
    CHECK(cpu.read_msr(uint32_t(Msr::sysenter_eip), value, backend));
    CHECK_EQ(value, 0xFFFFFFFF80001000ull);
}

UNIT_TEST(cpu_model_reserved_bits_and_read_only_msrs_fault_as_on_hardware)
{
    GuestCpu cpu(with_apic(), everything_host);
    FakeBackend backend;
    struct Case {
        uint32_t msr;
        uint64_t value;
    } faults[] = {
        {uint32_t(Msr::apic_base), 0xFEE00900ull | (1u << 10)},  /* x2APIC enable: no x2APIC */
        {uint32_t(Msr::apic_base), 0xFEE00901ull},               /* bit 0 reserved */
        {uint32_t(Msr::apic_base), 1ull << 40},                   /* above 39 physical bits */
        {uint32_t(Msr::mtrrcap), 0},                              /* read-only */
        {uint32_t(Msr::mcg_cap), 0},
        {uint32_t(Msr::platform_id), 0},
        {uint32_t(Msr::feature_control), 5},                      /* locked */
        {uint32_t(Msr::mtrr_def_type), 2},                        /* type 2 is reserved */
        {uint32_t(Msr::mtrr_def_type), 0x1006},                   /* bit 12 reserved */
        {0x200, 0x106},                                           /* PHYSBASE bit 8 reserved */
        {0x201, 0x801},                                           /* PHYSMASK bit 0 reserved */
        {0x200, 3},                                               /* type 3 reserved */
        {uint32_t(Msr::mtrr_fix64k_00000), 0x0606060606060602ull},
        {uint32_t(Msr::pat), 0x0007040600070402ull},              /* PAT type 2 reserved */
        {uint32_t(Msr::pat), 0x0007040600070486ull},              /* bit 7 of an entry */
        {uint32_t(Msr::efer), 1ull << 1},                         /* reserved EFER bit */
        {uint32_t(Msr::lstar), 0x0000800000000000ull},            /* not canonical */
        {uint32_t(Msr::sysenter_esp), 0x8000000000000000ull},
        {uint32_t(Msr::fmask), 1ull << 32},
        {uint32_t(Msr::mcg_status), 1ull << 3},
        {uint32_t(Msr::misc_enable), 1ull << 1},
    };
    for (const Case& c : faults)
        CHECK(!cpu.write_msr(c.msr, c.value, backend));
    CHECK(backend.values.empty()); /* nothing reached the backend */
    uint64_t value = 0;
    CHECK(cpu.read_msr(uint32_t(Msr::feature_control), value, backend));
    CHECK_EQ(value & 1, 1u); /* locked */
    CHECK(cpu.read_msr(uint32_t(Msr::mtrrcap), value, backend));
    CHECK_EQ(value & 0xFF, uint64_t(VARIABLE_MTRRS));
    CHECK(cpu.read_msr(uint32_t(Msr::mcg_cap), value, backend));
    CHECK_EQ(value & 0xFF, 0u); /* no banks */
    /* Nine variable pairs would be 0x210/0x211: past VCNT, no such MSR. */
    CHECK(!cpu.read_msr(0x210, value, backend));
}

UNIT_TEST(cpu_model_efer_bits_follow_the_shown_features)
{
    GuestCpu bare(with_apic(), nothing_host);
    FakeBackend backend;
    /* A host without NX, long mode and SYSCALL: no EFER at all. */
    uint64_t value;
    CHECK(!bare.read_msr(uint32_t(Msr::efer), value, backend));
    GuestCpu full(with_apic(), everything_host);
    CHECK(full.write_msr(uint32_t(Msr::efer), EFER_SCE | EFER_LME | EFER_NXE, backend));
    /* IA32_MISC_ENABLE.XD_DISABLE hides NX: EFER.NXE is then reserved. */
    CHECK(full.write_msr(uint32_t(Msr::misc_enable), 1ull << 34, backend));
    CHECK_EQ((full.cpuid(0x80000001, 0).edx >> 20) & 1, 0u);
    CHECK(!full.write_msr(uint32_t(Msr::efer), EFER_NXE, backend));
    CHECK(full.write_msr(uint32_t(Msr::efer), EFER_LME, backend));
}

UNIT_TEST(cpu_model_leaves_past_the_maximum_answer_as_the_last_basic_leaf)
{
    GuestCpu cpu(with_apic(), everything_host);
    CpuidRegisters last = cpu.cpuid(0xD, 0);
    CpuidRegisters past = cpu.cpuid(0x20, 0);
    CHECK_EQ(past.eax, last.eax);
    CHECK_EQ(past.edx, last.edx);
    CHECK_EQ(cpu.cpuid(0x80000000, 0).eax, 0x80000008u);
    /* IA32_MISC_ENABLE "Limit CPUID Maxval" (bit 22). */
    FakeBackend backend;
    CHECK(cpu.write_msr(uint32_t(Msr::misc_enable), 1ull << 22, backend));
    CHECK_EQ(cpu.cpuid(0, 0).eax, 2u);
}

/* The kept answer (GuestCpu::kept_cpuid, what the VMX fast path returns):
 * exactly the last leaf and subleaf asked, the same as a fresh answer, and
 * dropped by MSR writes that change answers (IA32_APIC_BASE's enable bit,
 * IA32_MISC_ENABLE's CPUID limit and XD disable). */
UNIT_TEST(cpu_model_kept_cpuid_answer_is_the_last_one_and_msr_writes_drop_it)
{
    GuestCpu cpu(with_apic(), everything_host);
    FakeBackend backend;
    CHECK(cpu.kept_cpuid(1, 0) == nullptr);
    CpuidRegisters leaf1 = cpu.cpuid(1, 0);
    const CpuidRegisters* kept = cpu.kept_cpuid(1, 0);
    CHECK(kept != nullptr);
    CHECK(kept && kept->eax == leaf1.eax && kept->ebx == leaf1.ebx && kept->ecx == leaf1.ecx &&
          kept->edx == leaf1.edx);
    CHECK(cpu.kept_cpuid(1, 1) == nullptr);
    CHECK(cpu.kept_cpuid(0, 0) == nullptr);
    CHECK_EQ((leaf1.edx >> 9) & 1, 1u);
    /* Disabling the local APIC hides CPUID.1:EDX.APIC (bit 9). */
    CHECK(cpu.write_msr(uint32_t(Msr::apic_base), 0xFEE00100ull, backend));
    CHECK(cpu.kept_cpuid(1, 0) == nullptr);
    CHECK_EQ((cpu.cpuid(1, 0).edx >> 9) & 1, 0u);
    /* Past the maximum a leaf answers as the last basic one, kept under the leaf asked. */
    CHECK_EQ(cpu.cpuid(0, 0).eax, 0xDu);
    CHECK(cpu.write_msr(uint32_t(Msr::misc_enable), 1ull << 22, backend));
    CHECK_EQ(cpu.cpuid(0, 0).eax, 2u);
    CpuidRegisters past = cpu.cpuid(0x20, 0);
    CHECK(cpu.kept_cpuid(0x20, 0) != nullptr && cpu.kept_cpuid(2, 0) == nullptr);
    CHECK_EQ(past.eax, cpu.cpuid(2, 0).eax);
    /* A refused write (a reserved bit) may drop the answer, never keep a wrong one. */
    CHECK_EQ((cpu.cpuid(0x80000001, 0).edx >> 20) & 1, 1u);
    CHECK(!cpu.write_msr(uint32_t(Msr::apic_base), 0xFEE00901ull, backend));
    CHECK(cpu.write_msr(uint32_t(Msr::misc_enable), 1ull << 34, backend));
    CHECK_EQ((cpu.cpuid(0x80000001, 0).edx >> 20) & 1, 0u);
}

UNIT_TEST(cpu_model_feature_names_are_unique)
{
    size_t count;
    const Feature* table = features(count);
    std::map<std::string, int> seen;
    for (size_t i = 0; i < count; ++i)
        CHECK_EQ(++seen[table[i].name], 1);
}

/* RDMSR succeeds exactly for the MSRs no feature lists or one shown feature
 * lists (GuestCpu keeps, per MSR, the features that list it, built at compile
 * time, instead of walking the feature table per access): checked against a
 * walk of the table on hosts with nothing and with NX alone, where IA32_EFER
 * comes with its one shown feature out of two (NX, long mode) and IA32_FS_BASE
 * (long mode's) faults. */
UNIT_TEST(cpu_model_msr_is_available_when_any_feature_listing_it_shows)
{
    size_t count;
    const MsrInfo* table = msrs(count);
    size_t feature_count;
    const Feature* all = features(feature_count);
    for (HostCpuid host : {HostCpuid(nothing_host), HostCpuid(nx_only_host)}) {
        GuestCpu cpu(with_apic(), host);
        for (size_t i = 0; i < count; ++i) {
            bool listed = false, some_shown = false;
            for (size_t f = 0; f < feature_count; ++f)
                for (uint8_t m = 0; m < all[f].msr_count; ++m)
                    if (all[f].msrs[m] == table[i].msr) {
                        listed = true;
                        some_shown = some_shown || cpu.shows(all[f]);
                    }
            FakeBackend backend;
            uint64_t value;
            CHECK_EQ(cpu.read_msr(uint32_t(table[i].msr), value, backend), !listed || some_shown);
        }
    }
    GuestCpu nx_only(with_apic(), nx_only_host);
    GuestCpu bare(with_apic(), nothing_host);
    FakeBackend backend;
    uint64_t value;
    CHECK(nx_only.read_msr(uint32_t(Msr::efer), value, backend));
    CHECK(!nx_only.read_msr(uint32_t(Msr::fs_base), value, backend));
    CHECK(!bare.read_msr(uint32_t(Msr::efer), value, backend));
}

/* GuestCpu keeps, per MSR, whether it is available (the answer asks the host's
 * CPUID): an MSR read while shown is refused once a write hides it, and comes
 * back when a write shows it again. IA32_APIC_BASE goes with the APIC, which its
 * own enable bit hides; IA32_EFER, on a host with NX alone, goes with NX, which
 * IA32_MISC_ENABLE's XD disable (bit 34) hides. */
UNIT_TEST(cpu_model_kept_msr_availability_follows_apic_base_and_misc_enable_writes)
{
    FakeBackend backend;
    uint64_t value = 0;
    GuestCpu cpu(with_apic(), everything_host);
    CHECK(cpu.read_msr(uint32_t(Msr::apic_base), value, backend));
    CHECK(cpu.read_msr(uint32_t(Msr::apic_base), value, backend));
    CHECK(cpu.write_msr(uint32_t(Msr::apic_base), 0xFEE00100ull, backend)); /* enable bit clear */
    CHECK(!cpu.read_msr(uint32_t(Msr::apic_base), value, backend));
    CHECK(!cpu.write_msr(uint32_t(Msr::apic_base), 0xFEE00900ull, backend)); /* hidden: no way back */
    CHECK_EQ(cpu.unknown_msr_accesses(), uint64_t(2));

    GuestCpu nx_only(with_apic(), nx_only_host);
    CHECK(nx_only.read_msr(uint32_t(Msr::efer), value, backend));
    CHECK(nx_only.read_msr(uint32_t(Msr::efer), value, backend));
    CHECK(nx_only.write_msr(uint32_t(Msr::misc_enable), 1ull << 34, backend));
    CHECK(!nx_only.read_msr(uint32_t(Msr::efer), value, backend));
    CHECK(!nx_only.write_msr(uint32_t(Msr::efer), 0, backend));
    CHECK(nx_only.write_msr(uint32_t(Msr::misc_enable), 0, backend));
    CHECK(nx_only.read_msr(uint32_t(Msr::efer), value, backend));
    /* A refused write (a reserved bit) changes nothing, kept answers included. */
    CHECK(!nx_only.write_msr(uint32_t(Msr::apic_base), 0xFEE00901ull, backend));
    CHECK(nx_only.read_msr(uint32_t(Msr::apic_base), value, backend));
}

/* find_msr() searches msr_table by MSR number: every entry is found by its own
 * number, and every other number in the two ranges the table uses finds what a
 * walk of the table finds (nothing, or for the MTRR ranges the shared entry). */
UNIT_TEST(cpu_model_find_msr_finds_what_a_walk_of_the_table_finds)
{
    size_t count;
    const MsrInfo* table = msrs(count);
    for (size_t i = 0; i < count; ++i)
        CHECK(find_msr(uint32_t(table[i].msr)) == &table[i]);
    for (uint32_t base : {0u, 0xC0000000u}) {
        for (uint32_t index = base; index < base + 0x1000; ++index) {
            const MsrInfo* walked = nullptr;
            for (size_t i = 0; i < count; ++i)
                if (uint32_t(table[i].msr) == index)
                    walked = &table[i];
            const MsrInfo* found = find_msr(index);
            bool mtrr = index >= 0x200 && index < 0x300;
            if (!mtrr || walked)
                CHECK(found == walked);
        }
    }
    /* The variable and fixed MTRRs share their first one's entry. */
    CHECK(find_msr(uint32_t(Msr::mtrr_physbase0) + 3) == find_msr(uint32_t(Msr::mtrr_physbase0)));
    CHECK(find_msr(0x259) == find_msr(uint32_t(Msr::mtrr_fix64k_00000))); /* IA32_MTRR_FIX16K_A0000 */
    CHECK(find_msr(0xFFFFFFFF) == nullptr);
}
