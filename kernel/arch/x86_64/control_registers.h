/* The architectural bits of RFLAGS, CR0, CR4 and IA32_EFER, written once for the
 * kernel, the hypervisor, the unit tests and the 32-bit test guests (it needs
 * nothing but <stdint.h>). Intel SDM (revision 084), Vol. 1, "EFLAGS Register";
 * Vol. 3A, "Control Registers" and "IA32_EFER MSR" (in "Extended Feature Enable
 * Register"). */
#pragma once
#include <stdint.h>

/* RFLAGS (EFLAGS in 32-bit code). Bit 1 is reserved and always reads 1. */
constexpr uint64_t RFLAGS_CF = 1ull << 0;
constexpr uint64_t RFLAGS_RESERVED_1 = 1ull << 1;
constexpr uint64_t RFLAGS_TF = 1ull << 8;
constexpr uint64_t RFLAGS_IF = 1ull << 9;
constexpr uint64_t RFLAGS_DF = 1ull << 10;
constexpr uint64_t RFLAGS_NT = 1ull << 14;
constexpr uint64_t RFLAGS_VM = 1ull << 17;
constexpr uint64_t RFLAGS_AC = 1ull << 18;

/* CR0. */
constexpr uint64_t CR0_PE = 1ull << 0;
constexpr uint64_t CR0_MP = 1ull << 1;
constexpr uint64_t CR0_EM = 1ull << 2;
constexpr uint64_t CR0_TS = 1ull << 3;
constexpr uint64_t CR0_ET = 1ull << 4;
constexpr uint64_t CR0_NE = 1ull << 5;
constexpr uint64_t CR0_WP = 1ull << 16;
constexpr uint64_t CR0_AM = 1ull << 18;
constexpr uint64_t CR0_NW = 1ull << 29;
constexpr uint64_t CR0_CD = 1ull << 30;
constexpr uint64_t CR0_PG = 1ull << 31;

/* CR4. */
constexpr uint64_t CR4_VME = 1ull << 0;
constexpr uint64_t CR4_PVI = 1ull << 1;
constexpr uint64_t CR4_TSD = 1ull << 2;
constexpr uint64_t CR4_DE = 1ull << 3;
constexpr uint64_t CR4_PSE = 1ull << 4;
constexpr uint64_t CR4_PAE = 1ull << 5;
constexpr uint64_t CR4_MCE = 1ull << 6;
constexpr uint64_t CR4_PGE = 1ull << 7;
constexpr uint64_t CR4_PCE = 1ull << 8;
constexpr uint64_t CR4_OSFXSR = 1ull << 9;
constexpr uint64_t CR4_OSXMMEXCPT = 1ull << 10;
constexpr uint64_t CR4_LA57 = 1ull << 12;
constexpr uint64_t CR4_VMXE = 1ull << 13;
constexpr uint64_t CR4_SMXE = 1ull << 14;
constexpr uint64_t CR4_OSXSAVE = 1ull << 18;
constexpr uint64_t CR4_SMEP = 1ull << 20;
constexpr uint64_t CR4_SMAP = 1ull << 21;

/* IA32_EFER (the MSR number itself lives with the other MSRs). */
constexpr uint64_t EFER_SCE = 1ull << 0;
constexpr uint64_t EFER_LME = 1ull << 8;
constexpr uint64_t EFER_LMA = 1ull << 10;
constexpr uint64_t EFER_NXE = 1ull << 11;
constexpr uint64_t EFER_SVME = 1ull << 12; /* AMD: Secure Virtual Machine enable */
