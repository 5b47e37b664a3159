/* The feature and MSR tables of the guest CPU and the rules that read them; see
 * cpu_model.h. Bit positions: Intel SDM (revision 084), Vol. 2A, "CPUID". */
#include "hypervisor/cpu_model/cpu_model.h"

namespace cpu_model {

namespace {

using R = CpuidRegister;
using V = Visibility;

constexpr uint32_t LEAF_EXTENDED = 0x80000000;
constexpr uint32_t MAX_BASIC_LEAF = 0xD;
constexpr uint32_t MAX_EXTENDED_LEAF = 0x80000008;
constexpr uint32_t CPUID1_ECX_HYPERVISOR = 1u << 31;
/* IA32_MISC_ENABLE bits a guest may change, and those it reads but cannot. */
constexpr uint64_t MISC_ENABLE_LIMIT_CPUID = 1ull << 22;
constexpr uint64_t MISC_ENABLE_XD_DISABLE = 1ull << 34;
constexpr uint64_t MISC_ENABLE_WRITABLE = (1ull << 0) | (1ull << 3) | (1ull << 16) | (1ull << 18) |
                                          MISC_ENABLE_LIMIT_CPUID | (1ull << 23) | MISC_ENABLE_XD_DISABLE;
constexpr uint64_t MISC_ENABLE_READ_ONLY = (1ull << 7) | (1ull << 11) | (1ull << 12);

template <typename... Msrs>
constexpr Feature feature(const char* name, uint32_t leaf, uint32_t subleaf, R reg, uint8_t bit, V visibility,
                          const char* why_hidden, Msrs... msrs)
{
    static_assert(sizeof...(Msrs) <= 4);
    return {name, leaf, subleaf, reg, bit, visibility, why_hidden, {msrs...}, uint8_t(sizeof...(Msrs))};
}
#define SHOWN(name, leaf, sub, reg, bit, ...) feature(name, leaf, sub, reg, bit, V::host, nullptr __VA_OPT__(, ) __VA_ARGS__)
#define HIDDEN(name, leaf, sub, reg, bit, why, ...) feature(name, leaf, sub, reg, bit, V::hidden, why __VA_OPT__(, ) __VA_ARGS__)

/* Every feature bit a guest may see, and the notable ones it may not; bits not
 * listed are hidden too. */
constexpr Feature feature_table[] = {
    /* CPUID.1:EDX */
    SHOWN("fpu", 1, 0, R::edx, 0),
    SHOWN("vme", 1, 0, R::edx, 1),
    SHOWN("de", 1, 0, R::edx, 2),
    SHOWN("pse", 1, 0, R::edx, 3),
    SHOWN("tsc", 1, 0, R::edx, 4, Msr::time_stamp_counter),
    SHOWN("msr", 1, 0, R::edx, 5),
    SHOWN("pae", 1, 0, R::edx, 6),
    SHOWN("mce", 1, 0, R::edx, 7),
    SHOWN("cx8", 1, 0, R::edx, 8),
    feature("apic", 1, 0, R::edx, 9, V::local_apic, nullptr, Msr::apic_base),
    SHOWN("sep", 1, 0, R::edx, 11, Msr::sysenter_cs, Msr::sysenter_esp, Msr::sysenter_eip),
    SHOWN("mtrr", 1, 0, R::edx, 12, Msr::mtrrcap, Msr::mtrr_def_type, Msr::mtrr_physbase0, Msr::mtrr_fix64k_00000),
    SHOWN("pge", 1, 0, R::edx, 13),
    SHOWN("mca", 1, 0, R::edx, 14, Msr::mcg_cap, Msr::mcg_status),
    SHOWN("cmov", 1, 0, R::edx, 15),
    SHOWN("pat", 1, 0, R::edx, 16, Msr::pat),
    SHOWN("pse36", 1, 0, R::edx, 17),
    HIDDEN("psn", 1, 0, R::edx, 18, "no processor serial number"),
    SHOWN("clfsh", 1, 0, R::edx, 19),
    HIDDEN("ds", 1, 0, R::edx, 21, "the debug store (IA32_DS_AREA) is not modelled"),
    HIDDEN("acpi", 1, 0, R::edx, 22, "thermal monitor MSRs are not modelled"),
    SHOWN("mmx", 1, 0, R::edx, 23),
    SHOWN("fxsr", 1, 0, R::edx, 24),
    SHOWN("sse", 1, 0, R::edx, 25),
    SHOWN("sse2", 1, 0, R::edx, 26),
    SHOWN("ss", 1, 0, R::edx, 27),
    HIDDEN("htt", 1, 0, R::edx, 28, "one logical processor"),
    HIDDEN("tm", 1, 0, R::edx, 29, "thermal monitor MSRs are not modelled"),
    HIDDEN("pbe", 1, 0, R::edx, 31, "no pending break enable"),
    /* CPUID.1:ECX (bit 31, "hypervisor present", is always set) */
    SHOWN("sse3", 1, 0, R::ecx, 0),
    SHOWN("pclmulqdq", 1, 0, R::ecx, 1),
    HIDDEN("dtes64", 1, 0, R::ecx, 2, "the debug store is not modelled"),
    HIDDEN("monitor", 1, 0, R::ecx, 3, "MONITOR/MWAIT raise #UD in a guest"),
    HIDDEN("ds_cpl", 1, 0, R::ecx, 4, "the debug store is not modelled"),
    feature("vmx", 1, 0, R::ecx, 5, V::nested_vmx, nullptr),
    HIDDEN("smx", 1, 0, R::ecx, 6, "no safer mode extensions"),
    HIDDEN("eist", 1, 0, R::ecx, 7, "IA32_PERF_CTL is not modelled"),
    HIDDEN("tm2", 1, 0, R::ecx, 8, "thermal monitor MSRs are not modelled"),
    SHOWN("ssse3", 1, 0, R::ecx, 9),
    HIDDEN("cnxt_id", 1, 0, R::ecx, 10, "no L1 context ID"),
    HIDDEN("sdbg", 1, 0, R::ecx, 11, "IA32_DEBUG_INTERFACE is not modelled"),
    HIDDEN("fma", 1, 0, R::ecx, 12, "VEX-encoded: needs AVX, which needs XSAVE"),
    SHOWN("cx16", 1, 0, R::ecx, 13),
    HIDDEN("xtpr", 1, 0, R::ecx, 14, "no xTPR update control"),
    HIDDEN("pdcm", 1, 0, R::ecx, 15, "IA32_PERF_CAPABILITIES is not modelled", Msr::perf_capabilities),
    SHOWN("pcid", 1, 0, R::ecx, 17),
    HIDDEN("dca", 1, 0, R::ecx, 18, "no direct cache access"),
    SHOWN("sse4_1", 1, 0, R::ecx, 19),
    SHOWN("sse4_2", 1, 0, R::ecx, 20),
    HIDDEN("x2apic", 1, 0, R::ecx, 21, "only the xAPIC (MMIO) interface is emulated"),
    SHOWN("movbe", 1, 0, R::ecx, 22),
    SHOWN("popcnt", 1, 0, R::ecx, 23),
    HIDDEN("tsc_deadline", 1, 0, R::ecx, 24, "the local APIC's TSC-deadline mode is not emulated", Msr::tsc_deadline),
    SHOWN("aes", 1, 0, R::ecx, 25),
    HIDDEN("xsave", 1, 0, R::ecx, 26, "XSAVE state is not switched per VM"),
    HIDDEN("osxsave", 1, 0, R::ecx, 27, "XSAVE state is not switched per VM"),
    HIDDEN("avx", 1, 0, R::ecx, 28, "needs XSAVE"),
    HIDDEN("f16c", 1, 0, R::ecx, 29, "VEX-encoded: needs AVX"),
    SHOWN("rdrand", 1, 0, R::ecx, 30),
    /* CPUID.(EAX=7,ECX=0):EBX */
    SHOWN("fsgsbase", 7, 0, R::ebx, 0),
    HIDDEN("tsc_adjust", 7, 0, R::ebx, 1, "IA32_TSC_ADJUST is not modelled", Msr::tsc_adjust),
    HIDDEN("sgx", 7, 0, R::ebx, 2, "no SGX"),
    SHOWN("bmi1", 7, 0, R::ebx, 3),
    HIDDEN("hle", 7, 0, R::ebx, 4, "no TSX"),
    HIDDEN("avx2", 7, 0, R::ebx, 5, "needs XSAVE"),
    SHOWN("smep", 7, 0, R::ebx, 7),
    SHOWN("bmi2", 7, 0, R::ebx, 8),
    SHOWN("erms", 7, 0, R::ebx, 9),
    HIDDEN("invpcid", 7, 0, R::ebx, 10, "the backend may not enable INVPCID for guests"),
    HIDDEN("rtm", 7, 0, R::ebx, 11, "no TSX"),
    HIDDEN("mpx", 7, 0, R::ebx, 14, "needs XSAVE"),
    HIDDEN("avx512f", 7, 0, R::ebx, 16, "needs XSAVE"),
    SHOWN("rdseed", 7, 0, R::ebx, 18),
    SHOWN("adx", 7, 0, R::ebx, 19),
    SHOWN("smap", 7, 0, R::ebx, 20),
    SHOWN("clflushopt", 7, 0, R::ebx, 23),
    SHOWN("clwb", 7, 0, R::ebx, 24),
    HIDDEN("pt", 7, 0, R::ebx, 25, "no processor trace"),
    SHOWN("sha", 7, 0, R::ebx, 29),
    /* CPUID.0x80000001:ECX and EDX */
    SHOWN("lahf_lm", 0x80000001, 0, R::ecx, 0),
    SHOWN("abm", 0x80000001, 0, R::ecx, 5),
    SHOWN("prefetchw", 0x80000001, 0, R::ecx, 8),
    SHOWN("syscall", 0x80000001, 0, R::edx, 11, Msr::star, Msr::lstar, Msr::cstar, Msr::fmask),
    SHOWN("nx", 0x80000001, 0, R::edx, 20, Msr::efer),
    SHOWN("pdpe1gb", 0x80000001, 0, R::edx, 26),
    HIDDEN("rdtscp", 0x80000001, 0, R::edx, 27, "IA32_TSC_AUX is not switched per VM", Msr::tsc_aux),
    SHOWN("lm", 0x80000001, 0, R::edx, 29, Msr::efer, Msr::fs_base, Msr::gs_base, Msr::kernel_gs_base),
    /* CPUID.0x80000007:EDX: the guest reads the host's TSC, so it is as invariant. */
    SHOWN("invariant_tsc", 0x80000007, 0, R::edx, 8),
};

#undef SHOWN
#undef HIDDEN

constexpr uint64_t HIGH32 = 0xFFFFFFFF00000000ull;

/* Every MSR the guest CPU has. Reserved masks are the fixed ones; bits that
 * depend on the physical-address width or on shown features are checked in
 * GuestCpu::write_msr. */
constexpr MsrInfo msr_table[] = {
    {Msr::time_stamp_counter, "IA32_TIME_STAMP_COUNTER", MsrHome::backend, true, 0},
    {Msr::platform_id, "IA32_PLATFORM_ID", MsrHome::model, false, 0},
    {Msr::apic_base, "IA32_APIC_BASE", MsrHome::model, true, 0x6FF}, /* 7:0, 9, 10 (x2APIC enable) */
    {Msr::feature_control, "IA32_FEATURE_CONTROL", MsrHome::model, false, 0}, /* locked */
    {Msr::bios_sign_id, "IA32_BIOS_SIGN_ID", MsrHome::model, true, 0},
    {Msr::mtrrcap, "IA32_MTRRCAP", MsrHome::model, false, 0},
    {Msr::sysenter_cs, "IA32_SYSENTER_CS", MsrHome::backend, true, 0},
    {Msr::sysenter_esp, "IA32_SYSENTER_ESP", MsrHome::backend, true, 0},
    {Msr::sysenter_eip, "IA32_SYSENTER_EIP", MsrHome::backend, true, 0},
    {Msr::mcg_cap, "IA32_MCG_CAP", MsrHome::model, false, 0},
    {Msr::mcg_status, "IA32_MCG_STATUS", MsrHome::model, true, ~0x7ull},
    {Msr::misc_enable, "IA32_MISC_ENABLE", MsrHome::model, true, ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_READ_ONLY)},
    {Msr::mtrr_physbase0, "IA32_MTRR_PHYSBASEn/PHYSMASKn", MsrHome::model, true, 0},
    {Msr::mtrr_fix64k_00000, "IA32_MTRR_FIXn", MsrHome::model, true, 0},
    {Msr::pat, "IA32_PAT", MsrHome::backend, true, 0},
    {Msr::mtrr_def_type, "IA32_MTRR_DEF_TYPE", MsrHome::model, true, ~0xCFFull},
    {Msr::efer, "IA32_EFER", MsrHome::backend, true, ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)},
    {Msr::star, "IA32_STAR", MsrHome::backend, true, 0},
    {Msr::lstar, "IA32_LSTAR", MsrHome::backend, true, 0},
    {Msr::cstar, "IA32_CSTAR", MsrHome::backend, true, 0},
    {Msr::fmask, "IA32_FMASK", MsrHome::backend, true, HIGH32},
    {Msr::fs_base, "IA32_FS_BASE", MsrHome::backend, true, 0},
    {Msr::gs_base, "IA32_GS_BASE", MsrHome::backend, true, 0},
    {Msr::kernel_gs_base, "IA32_KERNEL_GS_BASE", MsrHome::backend, true, 0},
    {Msr::tsc_aux, "IA32_TSC_AUX", MsrHome::backend, true, HIGH32},
};

constexpr size_t FEATURE_COUNT = sizeof(feature_table) / sizeof(feature_table[0]);
constexpr size_t MSR_COUNT = sizeof(msr_table) / sizeof(msr_table[0]);

/* msr_table's entries in the order of their MSR numbers, for find_msr()'s
 * binary search instead of a walk of the table (the nested MSR areas look up
 * 15 MSRs per L2 round trip). */
static_assert(MSR_COUNT <= 256, "an entry's index fits a byte");
constexpr struct MsrOrder {
    uint8_t entry[MSR_COUNT];
} MSR_ORDER = [] {
    MsrOrder order{};
    for (size_t i = 0; i < MSR_COUNT; ++i)
        order.entry[i] = uint8_t(i);
    for (size_t i = 1; i < MSR_COUNT; ++i)
        for (size_t j = i; j > 0 && msr_table[order.entry[j - 1]].msr > msr_table[order.entry[j]].msr; --j) {
            uint8_t swapped = order.entry[j];
            order.entry[j] = order.entry[j - 1];
            order.entry[j - 1] = swapped;
        }
    return order;
}();
static_assert([] {
    for (size_t i = 1; i < MSR_COUNT; ++i)
        if (msr_table[MSR_ORDER.entry[i - 1]].msr == msr_table[MSR_ORDER.entry[i]].msr)
            return false;
    return true;
}(), "one msr_table entry per MSR");

/* The features that list each MSR, by the MSR's entry in msr_table:
 * GuestCpu::msr_available() looks at these instead of walking every feature on
 * each RDMSR and WRMSR (the nested MSR areas pass 15 MSRs through the model per
 * L2 round trip). */
struct MsrListing {
    uint8_t count = 0;
    uint8_t features[8] = {};
};
static_assert(FEATURE_COUNT <= 256, "a feature's index fits a byte");
constexpr struct MsrListings {
    MsrListing of[MSR_COUNT];
} MSR_LISTINGS = [] {
    MsrListings listings{};
    for (size_t m = 0; m < MSR_COUNT; ++m)
        for (size_t f = 0; f < FEATURE_COUNT; ++f)
            for (uint8_t i = 0; i < feature_table[f].msr_count; ++i)
                if (feature_table[f].msrs[i] == msr_table[m].msr) {
                    MsrListing& listing = listings.of[m];
                    /* More than 8 features for one MSR fails the constant evaluation. */
                    listing.features[listing.count] = uint8_t(f);
                    ++listing.count;
                }
    return listings;
}();

uint32_t& select(CpuidRegisters& registers, CpuidRegister reg)
{
    switch (reg) {
    case R::eax: return registers.eax;
    case R::ebx: return registers.ebx;
    case R::ecx: return registers.ecx;
    default: return registers.edx;
    }
}

uint32_t select(const CpuidRegisters& registers, CpuidRegister reg)
{
    CpuidRegisters copy = registers;
    return select(copy, reg);
}

/* The MSR an index stands for: the variable MTRRs share PHYSBASE0's entry, the
 * fixed ones FIX64K_00000's. */
Msr table_key(uint32_t index)
{
    uint32_t variable_end = uint32_t(Msr::mtrr_physbase0) + 2 * VARIABLE_MTRRS;
    if (index >= uint32_t(Msr::mtrr_physbase0) && index < variable_end)
        return Msr::mtrr_physbase0;
    if (index == uint32_t(Msr::mtrr_fix64k_00000) || index == uint32_t(Msr::mtrr_fix16k_80000) ||
        index == uint32_t(Msr::mtrr_fix16k_a0000) ||
        (index >= uint32_t(Msr::mtrr_fix4k_c0000) && index <= uint32_t(Msr::mtrr_fix4k_f8000)))
        return Msr::mtrr_fix64k_00000;
    return Msr(index);
}

/* Slot of a fixed MTRR in GuestCpu::mtrr_fixed_: FIX64K, FIX16K x2, FIX4K x8. */
unsigned fixed_slot(uint32_t index)
{
    if (index == uint32_t(Msr::mtrr_fix64k_00000))
        return 0;
    if (index == uint32_t(Msr::mtrr_fix16k_80000))
        return 1;
    if (index == uint32_t(Msr::mtrr_fix16k_a0000))
        return 2;
    return 3 + (index - uint32_t(Msr::mtrr_fix4k_c0000));
}

} // namespace

const Feature* features(size_t& count)
{
    count = FEATURE_COUNT;
    return feature_table;
}

const MsrInfo* msrs(size_t& count)
{
    count = MSR_COUNT;
    return msr_table;
}

const MsrInfo* find_msr(uint32_t index)
{
    Msr key = table_key(index);
    size_t low = 0, high = MSR_COUNT; /* the entry sought, if any, is in [low, high) of MSR_ORDER */
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (msr_table[MSR_ORDER.entry[middle]].msr < key)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == MSR_COUNT || msr_table[MSR_ORDER.entry[low]].msr != key)
        return nullptr;
    return &msr_table[MSR_ORDER.entry[low]];
}

const Feature* feature_of(Msr msr)
{
    /* The first feature that lists it (EFER comes with NX, long mode and
     * SYSCALL; GuestCpu accepts it when any of them is shown). */
    for (const Feature& feature : feature_table)
        for (uint8_t i = 0; i < feature.msr_count; ++i)
            if (feature.msrs[i] == msr)
                return &feature;
    return nullptr;
}

bool pat_valid(uint64_t value)
{
    for (unsigned entry = 0; entry < 8; ++entry)
        if (!mtrr_type_valid((value >> (8 * entry)) & 0xFF) && ((value >> (8 * entry)) & 0xFF) != 7)
            return false;
    return true;
}

bool mtrr_type_valid(uint64_t type) { return type == 0 || type == 1 || type == 4 || type == 5 || type == 6; }

bool canonical(uint64_t address)
{
    uint64_t top = address >> 47;
    return top == 0 || top == 0x1FFFF;
}

GuestCpu::GuestCpu(const GuestCpuConfig& config, HostCpuid host)
    : config_(config), host_(host), apic_base_(APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_ENABLE)
{
    host_max_basic_ = host_(0, 0).eax;
    host_max_extended_ = host_(LEAF_EXTENDED, 0).eax;
    if (config_.physical_address_bits == 0) {
        bool has_leaf = host_max_extended_ >= 0x80000008;
        config_.physical_address_bits = has_leaf ? host_(0x80000008, 0).eax & 0xFF : 36;
    }
    if (config_.physical_address_bits < 32 || config_.physical_address_bits > 52)
        config_.physical_address_bits = 36;
}

bool GuestCpu::shows(const Feature& feature) const
{
    uint32_t max = feature.leaf >= LEAF_EXTENDED ? host_max_extended_ : host_max_basic_;
    if (feature.visibility == V::host && feature.leaf > max)
        return false;
    return visible(feature, feature.visibility == V::host ? host_(feature.leaf, feature.subleaf)
                                                          : CpuidRegisters{0, 0, 0, 0});
}

bool GuestCpu::visible(const Feature& feature, const CpuidRegisters& host_leaf) const
{
    switch (feature.visibility) {
    case V::hidden: return false;
    case V::local_apic: return config_.local_apic && (apic_base_ & APIC_BASE_ENABLE);
    case V::nested_vmx: return config_.nested_vmx;
    case V::host: break;
    }
    if (feature.leaf == 0x80000001 && feature.reg == R::edx && feature.bit == 20 &&
        (misc_enable_ & MISC_ENABLE_XD_DISABLE))
        return false;
    return select(host_leaf, feature.reg) & (1u << feature.bit);
}

CpuidRegisters GuestCpu::cpuid_uncached(uint32_t leaf, uint32_t subleaf) const
{
    uint32_t asked_leaf = leaf;
    uint32_t max_basic = host_max_basic_ < MAX_BASIC_LEAF ? host_max_basic_ : MAX_BASIC_LEAF;
    if (misc_enable_ & MISC_ENABLE_LIMIT_CPUID)
        max_basic = max_basic < 2 ? max_basic : 2;
    uint32_t max_extended = host_max_extended_ < LEAF_EXTENDED      ? LEAF_EXTENDED
                            : host_max_extended_ < MAX_EXTENDED_LEAF ? host_max_extended_
                                                                     : MAX_EXTENDED_LEAF;
    /* Past the last leaf an Intel CPU answers with the last basic leaf's data
     * (SDM "CPUID": "If a value entered for CPUID.EAX is higher than the maximum
     * input value ..."). Hypervisor leaves are answered by the caller. */
    if ((leaf > max_basic && leaf < LEAF_EXTENDED) || leaf > max_extended)
        leaf = max_basic;
    CpuidRegisters out = {0, 0, 0, 0};
    CpuidRegisters host = host_(leaf, subleaf);
    switch (leaf) {
    case 0: out = {max_basic, host.ebx, host.ecx, host.edx}; break;
    case 1:
        /* EBX: brand index and CLFLUSH size as the host's; one logical
         * processor; bits 31:24 the initial APIC ID. */
        out = {host.eax, (host.ebx & 0xFFFF) | (1u << 16) | (uint32_t(config_.apic_id) << 24), 0, 0};
        break;
    case 2: out = host; break;
    case 4:
        /* Deterministic cache parameters: one core, one thread per cache. */
        out = {host.eax & 0x3FFF, host.ebx, host.ecx, host.edx};
        break;
    case 7: break; /* only subleaf 0's feature bits; EAX (the last subleaf) 0 */
    case LEAF_EXTENDED: out = {max_extended, 0, 0, 0}; break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004:
    case 0x80000006: out = host; break;
    case 0x80000008: out = {host.eax & 0xFFFF, 0, 0, 0}; break; /* address sizes only */
    default: break;
    }
    for (const Feature& feature : feature_table)
        if (feature.leaf == leaf && feature.subleaf == subleaf && visible(feature, host))
            select(out, feature.reg) |= 1u << feature.bit;
    if (leaf == 1)
        out.ecx |= CPUID1_ECX_HYPERVISOR;
    last_cpuid_ = {true, asked_leaf, subleaf, out};
    return out;
}

static_assert(MSR_COUNT <= 64, "msr_available()'s kept answers are one bit per msr_table entry");

bool GuestCpu::msr_available(const MsrInfo& info) const
{
    uint64_t bit = 1ull << (&info - msr_table);
    if (!(msr_available_known_ & bit)) {
        msr_available_known_ |= bit;
        msr_available_ = msr_available_uncached(info) ? msr_available_ | bit : msr_available_ & ~bit;
    }
    return msr_available_ & bit;
}

bool GuestCpu::msr_available_uncached(const MsrInfo& info) const
{
    /* An MSR comes with every feature that lists it; any one shown suffices
     * (EFER: long mode or NX or SYSCALL). */
    /* `info` is find_msr()'s answer: an entry of msr_table. */
    const MsrListing& listing = MSR_LISTINGS.of[&info - msr_table];
    for (uint8_t i = 0; i < listing.count; ++i)
        if (shows(feature_table[listing.features[i]]))
            return true;
    return listing.count == 0;
}

bool GuestCpu::read_msr(uint32_t index, uint64_t& value, MsrBackend& backend)
{
    /* The VMX capability MSRs: read-only, and only with VMX offered. */
    if (config_.nested_vmx && VmxCapabilityMsrs::has(index)) {
        value = config_.vmx_capabilities.value(index);
        return true;
    }
    const MsrInfo* info = find_msr(index);
    if (!info || !msr_available(*info)) {
        ++unknown_msr_accesses_;
        return false;
    }
    if (info->home == MsrHome::backend) {
        value = backend.read_backend_msr(info->msr);
        return true;
    }
    return model_read(info->msr, index, value);
}

bool GuestCpu::model_read(Msr msr, uint32_t index, uint64_t& value) const
{
    switch (msr) {
    case Msr::platform_id: value = 0; return true;
    case Msr::apic_base: value = apic_base_; return true;
    case Msr::feature_control:
        /* Locked by the "firmware"; VMX outside SMX enabled when offered (SDM
         * "Enabling and Entering VMX Operation"). */
        value = msr::FEATURE_CONTROL_LOCKED | (config_.nested_vmx ? msr::FEATURE_CONTROL_VMX_OUTSIDE_SMX : 0);
        return true;
    case Msr::bios_sign_id: value = 0; return true;                            /* no microcode update */
    case Msr::mtrrcap: value = MTRRCAP; return true;
    case Msr::mcg_cap: value = 0; return true; /* no banks, no MCG_CTL */
    case Msr::mcg_status: value = mcg_status_; return true;
    case Msr::misc_enable: value = misc_enable_; return true;
    case Msr::mtrr_def_type: value = mtrr_def_type_; return true;
    case Msr::mtrr_physbase0: value = mtrr_variable_[index - uint32_t(Msr::mtrr_physbase0)]; return true;
    case Msr::mtrr_fix64k_00000: value = mtrr_fixed_[fixed_slot(index)]; return true;
    default: return false;
    }
}

bool GuestCpu::write_msr(uint32_t index, uint64_t value, MsrBackend& backend)
{
    last_cpuid_.valid = false;
    if (config_.nested_vmx && VmxCapabilityMsrs::has(index))
        return false;
    const MsrInfo* info = find_msr(index);
    if (!info || !msr_available(*info)) {
        ++unknown_msr_accesses_;
        return false;
    }
    if (!info->writable || (value & info->reserved))
        return false;
    if (info->home == MsrHome::model)
        return model_write(info->msr, index, value);
    switch (info->msr) {
    case Msr::efer: {
        /* Bits of features the guest cannot see are reserved. */
        size_t count;
        const Feature* table = features(count);
        for (size_t i = 0; i < count; ++i) {
            const Feature& feature = table[i];
            bool is_nx = feature.leaf == 0x80000001 && feature.bit == 20 && feature.reg == R::edx;
            bool is_lm = feature.leaf == 0x80000001 && feature.bit == 29 && feature.reg == R::edx;
            bool is_syscall = feature.leaf == 0x80000001 && feature.bit == 11 && feature.reg == R::edx;
            if (shows(feature))
                continue;
            if ((is_nx && (value & EFER_NXE)) || (is_lm && (value & (EFER_LME | EFER_LMA))) ||
                (is_syscall && (value & EFER_SCE)))
                return false;
        }
        break;
    }
    case Msr::pat:
        if (!pat_valid(value))
            return false;
        break;
    case Msr::sysenter_esp:
    case Msr::sysenter_eip:
    case Msr::lstar:
    case Msr::cstar:
    case Msr::fs_base:
    case Msr::gs_base:
    case Msr::kernel_gs_base:
        if (!canonical(value))
            return false;
        break;
    default: break;
    }
    backend.write_backend_msr(info->msr, value);
    return true;
}

bool GuestCpu::model_write(Msr msr, uint32_t index, uint64_t value)
{
    uint64_t above_physical = ~((1ull << config_.physical_address_bits) - 1);
    switch (msr) {
    case Msr::apic_base:
        if (value & above_physical)
            return false;
        /* The BSP flag is the CPU's, not software's. */
        apic_base_ = (value & ~APIC_BASE_BSP) | (apic_base_ & APIC_BASE_BSP);
        msr_available_known_ = 0; /* the enable bit shows or hides the APIC's MSRs */
        return true;
    case Msr::bios_sign_id: return true; /* a write asks for the revision; it stays 0 */
    case Msr::mcg_status: mcg_status_ = value; return true;
    case Msr::misc_enable:
        misc_enable_ = (value & MISC_ENABLE_WRITABLE) | (misc_enable_ & MISC_ENABLE_READ_ONLY);
        msr_available_known_ = 0; /* XD disable hides NX and so may hide IA32_EFER */
        return true;
    case Msr::mtrr_def_type:
        if (!mtrr_type_valid(value & 0xFF))
            return false;
        mtrr_def_type_ = value;
        return true;
    case Msr::mtrr_physbase0: {
        unsigned slot = index - uint32_t(Msr::mtrr_physbase0);
        bool is_mask = slot & 1;
        /* PHYSBASE: type in 7:0, 11:8 reserved; PHYSMASK: 10:0 reserved, 11 valid. */
        uint64_t reserved = above_physical | (is_mask ? 0x7FFull : 0xF00ull);
        if ((value & reserved) || (!is_mask && !mtrr_type_valid(value & 0xFF)))
            return false;
        mtrr_variable_[slot] = value;
        return true;
    }
    case Msr::mtrr_fix64k_00000:
        for (unsigned byte = 0; byte < 8; ++byte)
            if (!mtrr_type_valid((value >> (8 * byte)) & 0xFF))
                return false;
        mtrr_fixed_[fixed_slot(index)] = value;
        return true;
    default: return false;
    }
}

} // namespace cpu_model
