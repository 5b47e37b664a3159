/* The CPU a guest sees, independent of the backend (VMX today, SVM later): one
 * table of CPUID features, each with the MSRs that come with it, and the MSRs
 * themselves with their reset values, reserved bits and who keeps them. Follows
 * the Intel SDM (revision 084), Vol. 2A "CPUID" (tables "Feature Information
 * Returned in the ECX Register" and "... in the EDX Register", "Structured
 * Extended Feature Flags Enumeration Leaf"), Vol. 4 "Model-Specific Registers
 * (MSRs)", table "IA32 Architectural MSRs", and Vol. 3A "Memory Cache Control"
 * (MTRRs, PAT).
 *
 * The rule: a feature bit reaches the guest only if the host has it AND the
 * table shows it; everything the table does not list is hidden. Pure logic: the
 * host's CPUID comes in through a function, the backend's registers through
 * MsrBackend, so the unit tests run it on the build machine. */
#pragma once
#include "arch/x86_64/msr.h"

#include <stddef.h>
#include <stdint.h>

namespace cpu_model {

struct CpuidRegisters {
    uint32_t eax, ebx, ecx, edx;
};

enum class CpuidRegister : uint8_t { eax, ebx, ecx, edx };

/* Where an MSR's value lives. */
enum class MsrHome : uint8_t {
    model,   /* kept by GuestCpu itself (APIC base, MTRRs, PAT, MCG, ...) */
    backend, /* a register of the backend (VMCS guest-state field or MSR area) */
};

/* One MSR the guest may use. Writes that set a reserved bit raise #GP, as on
 * hardware; read-only MSRs raise #GP on any write. */
struct MsrInfo {
    Msr msr;
    const char* name;
    MsrHome home;
    bool writable;
    uint64_t reserved; /* bits a write must leave 0 (before any check of the value) */
};

/* When the guest sees a feature bit. */
enum class Visibility : uint8_t {
    host,       /* when the host CPU has it (the guest runs those instructions natively) */
    local_apic, /* when the VM has an emulated local APIC, whatever the host has */
    nested_vmx, /* when the VM offers nested VMX (hypervisor/nested), whatever the table says */
    hidden,     /* never: `why_hidden` says what is missing */
};

/* One CPUID feature bit. `msrs` lists what the guest may then use (and needs
 * working); a hidden feature says why it is hidden. */
struct Feature {
    const char* name;
    uint32_t leaf;
    uint32_t subleaf;
    CpuidRegister reg;
    uint8_t bit;
    Visibility visibility;
    const char* why_hidden; /* nullptr unless hidden */
    Msr msrs[4];
    uint8_t msr_count;
};

/* The tables, for the consistency tests and the docs. */
const Feature* features(size_t& count);
const MsrInfo* msrs(size_t& count);
/* The entry for `index`, or nullptr when the model has no such MSR (#GP). The
 * variable MTRRs PHYSBASE0-7/PHYSMASK0-7 and the fixed ones are one entry each. */
const MsrInfo* find_msr(uint32_t index);
/* The feature that an MSR comes with, or nullptr (architectural for every CPU
 * this model describes, e.g. IA32_PLATFORM_ID). */
const Feature* feature_of(Msr msr);

/* Variable MTRR pairs the guest sees (IA32_MTRRCAP.VCNT), fixed MTRRs supported,
 * write-combining supported, no SMRR. */
constexpr unsigned VARIABLE_MTRRS = 8;
constexpr uint64_t MTRRCAP = VARIABLE_MTRRS | (1u << 8) /* FIX */ | (1u << 10) /* WC */;
constexpr uint64_t PAT_POWER_ON = 0x0007040600070406ull;
constexpr uint64_t APIC_BASE_DEFAULT = 0xFEE00000ull;
constexpr uint64_t APIC_BASE_BSP = 1ull << 8, APIC_BASE_ENABLE = 1ull << 11;
/* IA32_MISC_ENABLE: fast strings (0), automatic thermal control (3; read as set
 * by most firmware), BTS unavailable (11), PEBS unavailable (12). */
constexpr uint64_t MISC_ENABLE_RESET = (1u << 0) | (1u << 11) | (1u << 12);

/* The IA32_VMX_* capability MSRs 0x480-0x490 of a guest that is offered VMX
 * (hypervisor/nested/capabilities.h computes them from the host's). */
struct VmxCapabilityMsrs {
    static constexpr uint32_t FIRST = 0x480, LAST = 0x490;
    uint64_t values[LAST - FIRST + 1] = {};

    static constexpr bool has(uint32_t index) { return index >= FIRST && index <= LAST; }
    uint64_t value(uint32_t index) const { return values[index - FIRST]; }
    void set(uint32_t index, uint64_t value) { values[index - FIRST] = value; }
};

/* What the guest's CPU has besides what the host offers. */
struct GuestCpuConfig {
    bool local_apic = false;      /* an emulated xAPIC: CPUID.1:EDX.APIC and IA32_APIC_BASE */
    uint8_t apic_id = 0;          /* CPUID.1:EBX[31:24] and the APIC's ID register */
    /* For the reserved bits of MTRRs and the APIC base; 0: the host's (CPUID 0x80000008). */
    uint32_t physical_address_bits = 0;
    /* VMX for the guest: CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL locked with VMX
     * outside SMX enabled, and the capability MSRs below (read-only). */
    bool nested_vmx = false;
    VmxCapabilityMsrs vmx_capabilities = {};
};

/* The backend's registers for MSRs with MsrHome::backend (VMCS fields on VMX). */
class MsrBackend {
public:
    virtual uint64_t read_backend_msr(Msr msr) = 0;
    virtual void write_backend_msr(Msr msr, uint64_t value) = 0;

protected:
    ~MsrBackend() = default;
};

using HostCpuid = CpuidRegisters (*)(uint32_t leaf, uint32_t subleaf);

/* One VM's CPU: its CPUID answers and its MSRs. */
class GuestCpu {
public:
    GuestCpu(const GuestCpuConfig& config, HostCpuid host);

    /* What CPUID returns to the guest for a leaf outside the hypervisor's range.
     * The last answer is kept until an MSR write (IA32_MISC_ENABLE and
     * IA32_APIC_BASE change answers; nothing else that cpuid() reads ever
     * changes): a guest asks the same leaf again and again, and a fresh answer
     * walks the whole feature table, several hundred instructions per exit. */
    CpuidRegisters cpuid(uint32_t leaf, uint32_t subleaf) const
    {
        const CpuidRegisters* kept = kept_cpuid(leaf, subleaf);
        return kept ? *kept : cpuid_uncached(leaf, subleaf);
    }
    /* The kept answer for exactly this leaf and subleaf, or nullptr. */
    const CpuidRegisters* kept_cpuid(uint32_t leaf, uint32_t subleaf) const
    {
        bool kept = last_cpuid_.valid && last_cpuid_.leaf == leaf && last_cpuid_.subleaf == subleaf;
        return kept ? &last_cpuid_.answer : nullptr;
    }
    /* Whether the guest's CPUID shows `feature` (the host has it and the table allows it). */
    bool shows(const Feature& feature) const;

    /* RDMSR/WRMSR: false means #GP(0). An unknown MSR is also counted. */
    [[nodiscard]] bool read_msr(uint32_t index, uint64_t& value, MsrBackend& backend);
    [[nodiscard]] bool write_msr(uint32_t index, uint64_t value, MsrBackend& backend);

    uint64_t unknown_msr_accesses() const { return unknown_msr_accesses_; }
    uint64_t pat() const { return pat_; }
    uint64_t apic_base() const { return apic_base_; }
    const GuestCpuConfig& config() const { return config_; }

private:
    /* cpuid() without the kept answer; keeps this one. */
    CpuidRegisters cpuid_uncached(uint32_t leaf, uint32_t subleaf) const;
    /* Whether `feature` shows, given the host's answer for its leaf. */
    bool visible(const Feature& feature, const CpuidRegisters& host_leaf) const;
    bool model_read(Msr msr, uint32_t index, uint64_t& value) const;
    bool model_write(Msr msr, uint32_t index, uint64_t value);
    bool msr_available(const MsrInfo& info) const;
    /* msr_available() without the kept answers. */
    bool msr_available_uncached(const MsrInfo& info) const;
    uint64_t physical_mask() const { return ((1ull << config_.physical_address_bits) - 1) & ~0xFFFull; }

    GuestCpuConfig config_;
    HostCpuid host_;
    uint32_t host_max_basic_ = 0, host_max_extended_ = 0; /* read once: CPUID leaves 0 and 0x80000000 */
    uint64_t apic_base_;
    uint64_t pat_ = PAT_POWER_ON;
    uint64_t mtrr_def_type_ = 0;
    uint64_t mtrr_fixed_[11] = {};
    uint64_t mtrr_variable_[2 * VARIABLE_MTRRS] = {};
    uint64_t misc_enable_ = MISC_ENABLE_RESET;
    uint64_t mcg_status_ = 0;
    uint64_t tsc_aux_ = 0;
    uint64_t unknown_msr_accesses_ = 0;
    struct LastCpuid {
        bool valid = false;
        uint32_t leaf = 0, subleaf = 0;
        CpuidRegisters answer = {0, 0, 0, 0};
    };
    mutable LastCpuid last_cpuid_;
    /* msr_available()'s answers by msr_table entry (bit n: entry n), kept until
     * IA32_APIC_BASE or IA32_MISC_ENABLE changes, the only state besides the
     * fixed configuration and host that a feature's visibility reads: each
     * answer asks the host's CPUID (an exit when this kernel is itself a
     * guest), and the nested MSR areas pass the same MSRs through the model at
     * every L2 round trip. */
    mutable uint64_t msr_available_known_ = 0;
    mutable uint64_t msr_available_ = 0;
};

/* Checks a PAT value: each of the 8 entries one of the memory types 0, 1, 4, 5,
 * 6, 7, bits 7:3 of each entry zero (SDM "IA32_PAT MSR": else #GP). */
bool pat_valid(uint64_t value);
/* A memory type for MTRRs: UC 0, WC 1, WT 4, WP 5, WB 6. */
bool mtrr_type_valid(uint64_t type);
/* Whether a 64-bit address is canonical for 48-bit linear addresses. */
bool canonical(uint64_t address);

} // namespace cpu_model
