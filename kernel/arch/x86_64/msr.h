/* Every model-specific register this tree names, written once, as one scoped enum
 * grouped and named after the Intel SDM (revision 084), Vol. 4, chapter "Model-
 * Specific Registers (MSRs)", table "IA32 Architectural MSRs". The VMX capability
 * MSRs (0x480-0x493) are generated from hypervisor/vmx/vmx_data.py instead
 * (vmx::CapabilityMsr). Freestanding, with no other include than <stdint.h> and
 * control_registers.h, so the 32-bit test guests include it too
 * (docs/conventions.md, "Hardware constants"); boot.S, being assembly, keeps its
 * one literal (IA32_EFER). */
#pragma once
#include "control_registers.h" /* IA32_EFER's bits (EFER_*) live there, with CR0 and CR4 */

#include <stdint.h>

enum class Msr : uint32_t {
    /* Processor identification and control. */
    platform_id = 0x17,       /* IA32_PLATFORM_ID (read-only) */
    apic_base = 0x1B,         /* IA32_APIC_BASE: the local APIC's page, BSP flag, enable */
    feature_control = 0x3A,   /* IA32_FEATURE_CONTROL: lock, VMX inside/outside SMX */
    tsc_adjust = 0x3B,        /* IA32_TSC_ADJUST */
    bios_updt_trig = 0x79,    /* IA32_BIOS_UPDT_TRIG (write-only) */
    bios_sign_id = 0x8B,      /* IA32_BIOS_SIGN_ID: microcode revision in bits 63:32 */
    misc_enable = 0x1A0,      /* IA32_MISC_ENABLE */

    /* Time-stamp counter. */
    time_stamp_counter = 0x10, /* IA32_TIME_STAMP_COUNTER */
    tsc_deadline = 0x6E0,      /* IA32_TSC_DEADLINE (the local APIC's TSC-deadline mode) */
    tsc_aux = 0xC0000103,      /* IA32_TSC_AUX: what RDTSCP returns in ECX */

    /* SYSENTER/SYSEXIT. */
    sysenter_cs = 0x174,  /* IA32_SYSENTER_CS */
    sysenter_esp = 0x175, /* IA32_SYSENTER_ESP */
    sysenter_eip = 0x176, /* IA32_SYSENTER_EIP */

    /* Machine check architecture (global registers only: no banks). */
    mcg_cap = 0x179,    /* IA32_MCG_CAP (read-only) */
    mcg_status = 0x17A, /* IA32_MCG_STATUS */

    /* Memory type range registers and the page attribute table. */
    mtrrcap = 0xFE,                /* IA32_MTRRCAP (read-only) */
    mtrr_physbase0 = 0x200,        /* IA32_MTRR_PHYSBASE0; PHYSBASEn = 0x200 + 2n */
    mtrr_physmask0 = 0x201,        /* IA32_MTRR_PHYSMASK0; PHYSMASKn = 0x201 + 2n */
    mtrr_fix64k_00000 = 0x250,     /* IA32_MTRR_FIX64K_00000 */
    mtrr_fix16k_80000 = 0x258,     /* IA32_MTRR_FIX16K_80000 */
    mtrr_fix16k_a0000 = 0x259,     /* IA32_MTRR_FIX16K_A0000 */
    mtrr_fix4k_c0000 = 0x268,      /* IA32_MTRR_FIX4K_C0000 ... */
    mtrr_fix4k_f8000 = 0x26F,      /* ... IA32_MTRR_FIX4K_F8000 */
    pat = 0x277,                   /* IA32_PAT */
    mtrr_def_type = 0x2FF,         /* IA32_MTRR_DEF_TYPE */

    /* Debug and performance monitoring (hidden from guests). */
    debugctl = 0x1D9,         /* IA32_DEBUGCTL */
    perf_capabilities = 0x345, /* IA32_PERF_CAPABILITIES (only with CPUID.1:ECX.PDCM) */

    /* Long mode and fast system calls. */
    efer = 0xC0000080,           /* IA32_EFER */
    star = 0xC0000081,           /* IA32_STAR */
    lstar = 0xC0000082,          /* IA32_LSTAR */
    cstar = 0xC0000083,          /* IA32_CSTAR */
    fmask = 0xC0000084,          /* IA32_FMASK (AMD calls it SFMASK) */
    fs_base = 0xC0000100,        /* IA32_FS_BASE */
    gs_base = 0xC0000101,        /* IA32_GS_BASE */
    kernel_gs_base = 0xC0000102, /* IA32_KERNEL_GS_BASE */

    /* AMD's Secure Virtual Machine (AMD64 APM Vol. 2, "SVM Related MSRs"). */
    vm_cr = 0xC0010114,       /* VM_CR: SVMDIS and its LOCK */
    vm_hsave_pa = 0xC0010117, /* VM_HSAVE_PA: the host state-save area */
};

/* Bits of MSRs other than IA32_EFER. */
namespace msr {

/* Bits of VM_CR: bit 3 LOCK (SVMDIS is read-only), bit 4 SVMDIS (EFER.SVME cannot be set). */
constexpr uint64_t VM_CR_LOCK = 1ull << 3;
constexpr uint64_t VM_CR_SVMDIS = 1ull << 4;

/* Bits of IA32_FEATURE_CONTROL. */
constexpr uint64_t FEATURE_CONTROL_LOCKED = 1ull << 0;
constexpr uint64_t FEATURE_CONTROL_VMX_OUTSIDE_SMX = 1ull << 2;

} // namespace msr
