/* What the parts of the vmx_l2 test guest share (guests/vmx_l2.cpp and the
 * files in guests/vmx_l2/): the VMCS encodings and capability MSRs it uses
 * (Intel SDM revision 084, Vol. 3C, Appendices A and B), L1's pages for L2,
 * L2's program, and the helpers that write VMCS12 and enter L2. 32-bit
 * protected mode. */
#pragma once
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/hypercall.h"
#include "common/interrupts.h"
#include "common/text.h"
#include "common/vmx.h"
#include "kernel/arch/x86_64/control_registers.h"

#include <stdint.h>

/* The asm of enter_l2() names these: L2's registers are live after an exit, so
 * the results go through memory. */
extern "C" {
extern volatile uint32_t vmx_l2_launch;   /* VMLAUNCH (1) or VMRESUME (0) */
extern volatile uint32_t vmx_l2_flags;    /* RFLAGS after a failed VMLAUNCH/VMRESUME */
extern volatile uint32_t vmx_l2_exited;   /* 1 when L1 came back at its host RIP */
extern volatile uint32_t vmx_l2_eax;      /* L2's EAX at the exit */
extern volatile uint32_t vmx_l2_ecx;      /* L2's ECX at the exit */
extern volatile uint32_t vmx_l2_edi;      /* L2's EDI at the exit */
extern volatile uint32_t vmx_l2_host_esp; /* the ESP written as host RSP */
extern volatile uint32_t vmx_l2_exit_esp; /* the ESP found at the host RIP */
}

namespace guest::l2 {

/* Capability MSRs (Appendix A). */
constexpr uint32_t IA32_VMX_BASIC = 0x480, TRUE_PINBASED = 0x48D, TRUE_PROCBASED = 0x48E, PROCBASED2 = 0x48B,
                   TRUE_EXIT = 0x48F, TRUE_ENTRY = 0x490;
/* VMCS encodings (Appendix B). */
enum Field : uint32_t {
    PIN = 0x4000, PRIMARY = 0x4002, EXCEPTION_BITMAP = 0x4004, CR3_TARGET_COUNT = 0x400A, EXIT_CONTROLS = 0x400C,
    EXIT_MSR_STORE_COUNT = 0x400E, EXIT_MSR_LOAD_COUNT = 0x4010, ENTRY_CONTROLS = 0x4012,
    ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTERRUPTION = 0x4016, SECONDARY = 0x401E,
    ENTRY_MSR_LOAD_ADDRESS = 0x200A, EXIT_MSR_STORE_ADDRESS = 0x2006, EXIT_MSR_LOAD_ADDRESS = 0x2008,
    EPT_POINTER = 0x201A, LINK_POINTER = 0x2800, GUEST_SYSENTER_ESP = 0x6824,
    HOST_ES = 0x0C00, HOST_CS = 0x0C02, HOST_SS = 0x0C04, HOST_DS = 0x0C06, HOST_FS = 0x0C08, HOST_GS = 0x0C0A,
    HOST_TR = 0x0C0C, HOST_SYSENTER_CS = 0x4C00, HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04,
    HOST_FS_BASE = 0x6C06, HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C,
    HOST_IDTR_BASE = 0x6C0E, HOST_SYSENTER_ESP = 0x6C10, HOST_SYSENTER_EIP = 0x6C12,
    GUEST_ES = 0x0800, GUEST_LIMIT = 0x4800, GUEST_RIGHTS = 0x4814, GUEST_BASE = 0x6806,
    GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812, GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818,
    GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826, GUEST_SYSENTER_CS = 0x482A,
    GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_DR7 = 0x681A, GUEST_RSP = 0x681C,
    GUEST_RIP = 0x681E, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DEBUG = 0x6822,
    VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INSTRUCTION_LENGTH = 0x440C,
    EXIT_QUALIFICATION = 0x6400, GUEST_PHYSICAL_ADDRESS = 0x2400, GUEST_LINEAR_ADDRESS = 0x640A, EXIT_INTERRUPTION = 0x4404,
    PREEMPTION_TIMER = 0x482E, IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
};
/* Segment registers in encoding order: ES CS SS DS FS GS LDTR TR. */
constexpr unsigned ES = 0, CS = 1, LDTR = 6, TR = 7;

extern uint32_t page_directory[1024];
extern uint8_t vmxon_region[4096];
extern uint8_t vmcs[4096];
extern uint64_t ept_pml4[512];
extern uint64_t ept_pdpt[512];
extern uint64_t ept_pd[512];
extern uint8_t l2_code[4096];
extern uint8_t l2_stack[4096];
extern uint8_t io_bitmaps[2][4096];
extern uint8_t msr_bitmap[4096];
extern uint32_t msr_area[4];
/* One entry each (index, reserved, value): VM-entry MSR load, VM-exit MSR
 * store, VM-exit MSR load. */
extern uint32_t entry_load_area[4], exit_store_area[4], exit_load_area[4];

/* MOV EAX, 1234H; CPUID; OUT 80H, AL; MOV EAX, [500000H]; HLT; UD2; JMP $;
 * MOV EAX, [400000H]; HLT;
 * OUT 80H, AL; MOV ECX, 174H; RDMSR; HLT (port and MSR L1 lets through);
 * MOV EAX, CR0; AND EAX, ~CR0.NE; MOV CR0, EAX; MOV EAX, CR0; HLT (a bit only L0 owns). */
extern const uint8_t L2_PROGRAM[48];
constexpr uint32_t CPUID_OFFSET = 5, OUT_OFFSET = 7, READ_OFFSET = 9, HLT_OFFSET = 14, UD2_OFFSET = 15,
                   SPIN_OFFSET = 17, READ_4M_OFFSET = 19, PASS_OFFSET = 25, PASS_HLT_OFFSET = 34, CR0_OFFSET = 35,
                   CR0_HLT_OFFSET = 47;

/* Bits 31:0 of the TSC (in Bochs one count per instruction, L0's included). */
inline uint32_t rdtsc_low()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return low;
}

/* Bits 63:32 of the TSC. */
inline uint32_t rdtsc_high()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return high;
}

uint32_t vmread(uint32_t field);
/* Clears all_written when the VMWRITE fails. */
void vmwrite(uint32_t field, uint32_t value);
void vmwrite64(uint32_t field, uint64_t value);
extern bool all_written;
/* VMLAUNCH or VMRESUME with the host RIP and RSP set to the code right after
 * it: a successful entry comes back there at the next exit from L2, with L2's
 * general registers (so everything is saved in memory). Returns true when L1
 * came back by an exit, false when the instruction failed (vmx_l2_flags). */
bool enter_l2(bool launch);
/* A control word settled from its capability MSR (Appendix A). */
uint32_t settle(uint32_t msr, uint32_t wanted);
void expect_value(const char* name, uint32_t got, uint32_t wanted);
/* The HLT exit L1 expects with L2's RIP at `rip`. */
void expect_hlt_exit_at(const char* name, bool exited, uint32_t rip);
/* One entry (index, reserved, value) of an MSR area. */
void put_msr_entry(uint32_t (&area)[4], uint32_t msr, uint64_t value);
bool failed_with_error(uint32_t error);
void load_gdt_with_tss();
void enable_paging_and_vmx();
/* VMCS12 for L2: controls, L1's host state, L2's flat state, L2_PROGRAM in l2_code. */
void write_vmcs12();

/* The parts (one file each). */
void check_msr_areas(uint32_t base);          /* vmx_l2/msr_areas.cpp */
void check_msr_areas_efer_pat_tsc(uint32_t base);
void check_syscall_msrs(uint32_t base);
void check_l0_acts_for_l1(uint32_t base);     /* vmx_l2/l0_exits.cpp */
void check_l2_reaches_l1_devices(uint32_t base);
void check_l2_reads_its_tsc(uint32_t base);
void check_fuzzed_guest_state(uint32_t base); /* vmx_l2/fuzz.cpp */
void run_bench();                             /* vmx_l2/bench.cpp */

} // namespace guest::l2
