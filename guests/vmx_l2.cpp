/* Test guest "vmx_l2": an L1 hypervisor (32-bit protected mode with paging, as
 * vmx_l1) that builds a minimal VMCS12 with EPT and unrestricted guest and runs
 * an L2 of a few instructions: MOV EAX, CPUID, OUT, a read beyond L1's EPT, HLT.
 * It checks the VM-entry failures hardware reports (Intel SDM revision 084, Vol.
 * 3C, "VM Entries": VMfailValid 8 for host state, exits 33 and 34 with bit 31
 * for guest state and MSR loading) and each reflected exit ("VM Exits": reason,
 * qualification, instruction length, guest-physical address, L2's registers
 * kept, L1 resumed at its host RIP and RSP). */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/hypercall.h"
#include "common/interrupts.h"
#include "common/text.h"
#include "kernel/arch/x86_64/control_registers.h"

/* The asm below names these: L2's registers are live after an exit, so the
 * results go through memory. */
extern "C" {
volatile uint32_t vmx_l2_launch = 0;     /* VMLAUNCH (1) or VMRESUME (0) */
volatile uint32_t vmx_l2_flags = 0;      /* RFLAGS after a failed VMLAUNCH/VMRESUME */
volatile uint32_t vmx_l2_exited = 0;     /* 1 when L1 came back at its host RIP */
volatile uint32_t vmx_l2_eax = 0;        /* L2's EAX at the exit */
volatile uint32_t vmx_l2_host_esp = 0;   /* the ESP written as host RSP */
volatile uint32_t vmx_l2_exit_esp = 0;   /* the ESP found at the host RIP */
}

namespace guest {

const char GUEST_NAME[] = "vmx_l2";

namespace {

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
    EXIT_QUALIFICATION = 0x6400, GUEST_PHYSICAL_ADDRESS = 0x2400, EXIT_INTERRUPTION = 0x4404,
    PREEMPTION_TIMER = 0x482E, IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
};
/* Segment registers in encoding order: ES CS SS DS FS GS LDTR TR. */
constexpr unsigned ES = 0, CS = 1, LDTR = 6, TR = 7;

alignas(4096) uint32_t page_directory[1024];
alignas(4096) uint8_t vmxon_region[4096];
alignas(4096) uint8_t vmcs[4096];
alignas(4096) uint64_t ept_pml4[512];
alignas(4096) uint64_t ept_pdpt[512];
alignas(4096) uint64_t ept_pd[512];
alignas(4096) uint64_t fuzz_pml4[512];
alignas(4096) uint64_t fuzz_pdpt[512];
alignas(4096) uint64_t fuzz_pd[512];
alignas(4096) uint64_t fuzz_pt[2][512];
alignas(4096) uint8_t l2_code[4096];
alignas(4096) uint8_t l2_stack[4096];
alignas(4096) uint8_t io_bitmaps[2][4096];
alignas(4096) uint8_t msr_bitmap[4096];
alignas(16) uint32_t msr_area[4];
/* One entry each (index, reserved, value): VM-entry MSR load, VM-exit MSR
 * store, VM-exit MSR load. */
alignas(16) uint32_t entry_load_area[4], exit_store_area[4], exit_load_area[4];
alignas(8) uint64_t gdt[4];
alignas(8) uint8_t tss[104];

/* MOV EAX, 1234H; CPUID; OUT 80H, AL; MOV EAX, [500000H]; HLT; UD2; JMP $;
 * MOV EAX, [400000H]; HLT;
 * OUT 80H, AL; MOV ECX, 174H; RDMSR; HLT (port and MSR L1 lets through);
 * MOV EAX, CR0; AND EAX, ~CR0.NE; MOV CR0, EAX; MOV EAX, CR0; HLT (a bit only L0 owns). */
const uint8_t L2_PROGRAM[] = {0xB8, 0x34, 0x12, 0x00, 0x00, 0x0F, 0xA2, 0xE6, 0x80, 0xA1, 0x00, 0x00, 0x50,
                              0x00, 0xF4, 0x0F, 0x0B, 0xEB, 0xFE, 0xA1, 0x00, 0x00, 0x40, 0x00, 0xF4,
                              0xE6, 0x80, 0xB9, 0x74, 0x01, 0x00, 0x00, 0x0F, 0x32, 0xF4,
                              0x0F, 0x20, 0xC0, 0x83, 0xE0, 0xDF, 0x0F, 0x22, 0xC0, 0x0F, 0x20, 0xC0, 0xF4};
constexpr uint32_t CPUID_OFFSET = 5, OUT_OFFSET = 7, READ_OFFSET = 9, HLT_OFFSET = 14, UD2_OFFSET = 15,
                   SPIN_OFFSET = 17, READ_4M_OFFSET = 19, PASS_OFFSET = 25, PASS_HLT_OFFSET = 34, CR0_OFFSET = 35,
                   CR0_HLT_OFFSET = 47;

uint64_t read_msr(uint32_t msr)
{
    uint32_t low = 0, high = 0;
    asm volatile(EXPECT_FAULT("rdmsr") : "+a"(low), "+d"(high) : "c"(msr) : "memory");
    return (uint64_t(high) << 32) | low;
}

uint32_t read_cr0() { uint32_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
uint32_t read_cr4() { uint32_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }

#define VMX_MEMORY(name, mnemonic)                                                                       \
    uint32_t name(uint64_t pointer)                                                                      \
    {                                                                                                    \
        uint32_t flags;                                                                                  \
        asm volatile(EXPECT_FAULT(mnemonic " %1") "pushfl\n\tpopl %0" : "=r"(flags) : "m"(pointer) : "memory", "cc"); \
        return flags;                                                                                    \
    }
VMX_MEMORY(vmxon, "vmxon")
VMX_MEMORY(vmclear, "vmclear")
VMX_MEMORY(vmptrld, "vmptrld")
#undef VMX_MEMORY

uint32_t vmread(uint32_t field)
{
    uint32_t value = 0;
    asm volatile(EXPECT_FAULT("vmread %1, %0") : "+r"(value) : "r"(field) : "memory", "cc");
    return value;
}

bool all_written = true;
void vmwrite(uint32_t field, uint32_t value)
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmwrite %2, %1") "pushfl\n\tpopl %0" : "=&r"(flags) : "r"(field), "r"(value) : "memory", "cc");
    if (flags & (RFLAGS_CF | (1u << 6)) || fault_log().count)
        all_written = false;
}

void vmwrite64(uint32_t field, uint64_t value)
{
    vmwrite(field, uint32_t(value));
    vmwrite(field + 1, uint32_t(value >> 32));
}

/* VMLAUNCH or VMRESUME with the host RIP and RSP set to the code right after
 * it: a successful entry comes back there at the next exit from L2, with L2's
 * general registers (so everything is saved in memory). Returns true when L1
 * came back by an exit, false when the instruction failed (vmx_l2_flags). */
bool enter_l2(bool launch)
{
    vmx_l2_launch = launch;
    vmx_l2_exited = 0;
    asm volatile("pushl %%ebp\n\t"
                 "movl %%esp, vmx_l2_host_esp\n\t"
                 "movl $0x6C14, %%eax\n\t"
                 "vmwrite %%esp, %%eax\n\t"
                 "movl $0x6C16, %%eax\n\t"
                 "movl $2f, %%edx\n\t"
                 "vmwrite %%edx, %%eax\n\t"
                 "cmpl $0, vmx_l2_launch\n\t"
                 "je 3f\n\t"
                 "vmlaunch\n\t"
                 "jmp 4f\n"
                 "3:\n\t"
                 "vmresume\n"
                 "4:\n\t"
                 "pushfl\n\t"
                 "popl vmx_l2_flags\n\t"
                 "jmp 5f\n"
                 "2:\n\t"
                 "movl %%eax, vmx_l2_eax\n\t"
                 "movl %%esp, vmx_l2_exit_esp\n\t"
                 "movl $1, vmx_l2_exited\n"
                 "5:\n\t"
                 "popl %%ebp\n\t"
                 : : : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    return vmx_l2_exited;
}

uint32_t settle(uint32_t msr, uint32_t wanted)
{
    uint64_t capability = read_msr(msr);
    return (wanted | uint32_t(capability)) & uint32_t(capability >> 32);
}

void expect_value(const char* name, uint32_t got, uint32_t wanted)
{
    Text reason;
    reason.add("read ").add_hex(got).add(", expected ").add_hex(wanted);
    check(name, got == wanted, reason.c_str());
}

uint16_t selector(const char* which)
{
    uint16_t value = 0;
    if (which[0] == 'c')
        asm volatile("mov %%cs, %0" : "=r"(value));
    else
        asm volatile("mov %%ds, %0" : "=r"(value));
    return value;
}

/* A GDT with the runtime's flat code and data and a 32-bit TSS for TR: the host
 * state needs a TR selector other than 0. */
void load_gdt_with_tss()
{
    gdt[0] = 0;
    gdt[1] = 0x00CF9A000000FFFFull;
    gdt[2] = 0x00CF92000000FFFFull;
    uint32_t base = uint32_t(uintptr_t(tss));
    gdt[3] = uint64_t(sizeof(tss) - 1) | (uint64_t(base & 0xFFFFFF) << 16) | (0x89ull << 40) |
             (uint64_t(base >> 24) << 56);
    struct [[gnu::packed]] {
        uint16_t limit;
        uint32_t base;
    } pointer{sizeof(gdt) - 1, uint32_t(uintptr_t(gdt))};
    asm volatile("lgdt %0\n\tltr %w1" : : "m"(pointer), "r"(0x18) : "memory");
}

void enable_paging_and_vmx()
{
    for (uint32_t i = 0; i < 1024; ++i)
        page_directory[i] = (i << 22) | 0x83; /* 4 MiB pages, one to one */
    asm volatile("mov %0, %%cr3" : : "r"(uint32_t(uintptr_t(page_directory))) : "memory");
    asm volatile("mov %0, %%cr4" : : "r"(read_cr4() | uint32_t(CR4_PSE | CR4_VMXE)) : "memory");
    asm volatile("mov %0, %%cr0" : : "r"(read_cr0() | uint32_t(CR0_PG | CR0_NE)) : "memory");
}

/* L1's EPT for L2: guest-physical [0, 4 MiB) one to one in two 2 MiB pages,
 * write-back, all rights; nothing above. */
uint64_t build_ept()
{
    ept_pml4[0] = uint32_t(uintptr_t(ept_pdpt)) | 7;
    ept_pdpt[0] = uint32_t(uintptr_t(ept_pd)) | 7;
    ept_pd[0] = 0x000000 | 7 | (6 << 3) | 0x80;
    ept_pd[1] = 0x200000 | 7 | (6 << 3) | 0x80;
    return uint32_t(uintptr_t(ept_pml4)) | 6 | (3 << 3);
}

void write_vmcs12()
{
    vmwrite(PIN, settle(TRUE_PINBASED, 0));
    vmwrite(PRIMARY, settle(TRUE_PROCBASED, (1u << 7) | (1u << 24) | (1u << 31))); /* HLT, all I/O, secondary */
    vmwrite(SECONDARY, settle(PROCBASED2, (1u << 1) | (1u << 7)));               /* EPT, unrestricted guest */
    vmwrite(EXIT_CONTROLS, settle(TRUE_EXIT, 0));                                 /* a 32-bit host */
    vmwrite(ENTRY_CONTROLS, settle(TRUE_ENTRY, 0));
    vmwrite(EXCEPTION_BITMAP, 0);
    vmwrite(CR3_TARGET_COUNT, 0);
    vmwrite(EXIT_MSR_STORE_COUNT, 0);
    vmwrite(EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(ENTRY_INTERRUPTION, 0);
    vmwrite64(EPT_POINTER, build_ept());
    vmwrite64(LINK_POINTER, ~0ull);

    uint16_t code = selector("cs"), data = selector("ds");
    const uint32_t data_selectors[] = {HOST_ES, HOST_SS, HOST_DS, HOST_FS, HOST_GS};
    for (uint32_t field : data_selectors)
        vmwrite(field, data);
    vmwrite(HOST_CS, code);
    vmwrite(HOST_TR, 0x18);
    vmwrite(HOST_CR0, read_cr0());
    vmwrite(HOST_CR3, uint32_t(uintptr_t(page_directory)));
    vmwrite(HOST_CR4, read_cr4());
    vmwrite(HOST_FS_BASE, 0);
    vmwrite(HOST_GS_BASE, 0);
    vmwrite(HOST_TR_BASE, uint32_t(uintptr_t(tss)));
    vmwrite(HOST_GDTR_BASE, uint32_t(uintptr_t(gdt)));
    struct [[gnu::packed]] {
        uint16_t limit;
        uint32_t base;
    } idtr{};
    asm volatile("sidt %0" : "=m"(idtr));
    vmwrite(HOST_IDTR_BASE, idtr.base);
    vmwrite(HOST_SYSENTER_CS, 0);
    vmwrite(HOST_SYSENTER_ESP, 0);
    vmwrite(HOST_SYSENTER_EIP, 0);

    /* L2: flat 32-bit protected mode without paging (allowed to an unrestricted guest). */
    for (unsigned s = 0; s < 8; ++s) {
        vmwrite(GUEST_ES + 2 * s, s == CS ? 0x08 : s == TR ? 0x18 : s == LDTR ? 0 : 0x10);
        vmwrite(GUEST_LIMIT + 2 * s, s == TR ? 0x67 : s == LDTR ? 0 : 0xFFFFFFFF);
        vmwrite(GUEST_RIGHTS + 2 * s, s == CS ? 0xC09B : s == TR ? 0x8B : s == LDTR ? 0x10000 : 0xC093);
        vmwrite(GUEST_BASE + 2 * s, 0);
    }
    vmwrite(GUEST_GDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_IDTR_LIMIT, 0xFFFF);
    vmwrite(GUEST_GDTR_BASE, 0);
    vmwrite(GUEST_IDTR_BASE, 0);
    vmwrite(GUEST_CR0, uint32_t(CR0_PE | CR0_NE | CR0_ET));
    vmwrite(GUEST_CR3, 0);
    vmwrite(GUEST_CR4, uint32_t(CR4_VMXE));
    vmwrite(GUEST_DR7, 0x400);
    vmwrite(GUEST_RSP, uint32_t(uintptr_t(l2_stack)) + sizeof(l2_stack));
    vmwrite(GUEST_RIP, uint32_t(uintptr_t(l2_code)));
    vmwrite(GUEST_RFLAGS, 2);
    vmwrite(GUEST_PENDING_DEBUG, 0);
    vmwrite(GUEST_INTERRUPTIBILITY, 0);
    vmwrite(GUEST_ACTIVITY, 0);
    vmwrite(GUEST_SYSENTER_CS, 0);
    for (uint32_t i = 0; i < sizeof(L2_PROGRAM); ++i)
        l2_code[i] = L2_PROGRAM[i];
}

bool failed_with_error(uint32_t error)
{
    uint32_t flags = vmx_l2_flags;
    return (flags & (1u << 6)) && !(flags & RFLAGS_CF) && vmread(VM_INSTRUCTION_ERROR) == error;
}

void check_entry_failures()
{
    /* "Checks on Host Segment and Descriptor-Table Registers": TR selector not 0. */
    vmwrite(HOST_TR, 0);
    bool exited = enter_l2(true);
    Text reason;
    reason.add("flags ").add_hex(vmx_l2_flags).add(" error ").add_decimal(int32_t(vmread(VM_INSTRUCTION_ERROR)));
    check("vmlaunch_with_bad_host_state_fails_valid_8", !exited && failed_with_error(8), reason.c_str());
    vmwrite(HOST_TR, 0x18);

    /* "Checks on Guest RIP, RFLAGS, and SSP": RFLAGS bit 1 must be 1. A failed
     * guest-state check is an exit to L1 with reason 33 and bit 31. */
    vmwrite(GUEST_RFLAGS, 0);
    exited = enter_l2(true);
    check("vmlaunch_with_bad_guest_state_exits_to_host_rip", exited, "VMLAUNCH fell through");
    expect_value("bad_guest_state_exit_reason_is_33_with_bit_31", vmread(EXIT_REASON), 0x80000021);
    expect_value("bad_guest_state_exit_restores_host_rsp", vmx_l2_exit_esp, vmx_l2_host_esp);
    vmwrite(GUEST_RFLAGS, 2);

    /* "VM-Entry Failures During or After Loading Guest State": an x2APIC MSR in
     * the MSR-load area fails at its entry number (the qualification). */
    msr_area[0] = 0x808; /* x2APIC TPR */
    msr_area[1] = 0;
    vmwrite64(ENTRY_MSR_LOAD_ADDRESS, uint32_t(uintptr_t(msr_area)));
    vmwrite(ENTRY_MSR_LOAD_COUNT, 1);
    exited = enter_l2(true);
    check("vmlaunch_with_bad_msr_load_exits_to_host_rip", exited, "VMLAUNCH fell through");
    expect_value("bad_msr_load_exit_reason_is_34_with_bit_31", vmread(EXIT_REASON), 0x80000022);
    expect_value("bad_msr_load_exit_qualification_is_the_entry", vmread(EXIT_QUALIFICATION), 1);
    vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
}

uint32_t invept_single(uint64_t eptp)
{
    uint64_t descriptor[2] = {eptp, 0};
    uint32_t flags;
    asm volatile(EXPECT_FAULT("invept %1, %2") "pushfl\n\tpopl %0" : "=r"(flags) : "m"(descriptor), "r"(1u) : "memory", "cc");
    return flags;
}

/* "Save VMX-preemption timer value" (exit control bit 22): an exit that is not
 * the timer's stores what remains of it, neither 0 nor more than it started
 * with; entered again with that value, the timer goes on from there and ends
 * a spinning L2 with 0 saved. (L0 saved 0 at every exit, and our kernel as L1,
 * which writes the field only for a new deadline, took a preemption-timer exit
 * right after each entry.) The L1 timer is active (PIN bit 6) on entry. */
void check_saved_preemption_timer(uint32_t base)
{
    constexpr uint32_t SAVE_PREEMPTION_TIMER = 1u << 22, STARTED = 3000;
    if (!((read_msr(TRUE_EXIT) >> 32) & SAVE_PREEMPTION_TIMER))
        return;
    uint32_t exit_controls = vmread(EXIT_CONTROLS);
    vmwrite(EXIT_CONTROLS, exit_controls | SAVE_PREEMPTION_TIMER);
    vmwrite(PREEMPTION_TIMER, STARTED);
    vmwrite(GUEST_RIP, base + HLT_OFFSET);
    bool exited = enter_l2(false);
    uint32_t saved = vmread(PREEMPTION_TIMER);
    Text reason;
    reason.add("exit reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" saved ").add_decimal(int32_t(saved));
    check("l2_hlt_exit_saves_what_remains_of_l1s_preemption_timer",
          exited && vmread(EXIT_REASON) == 12 && saved > 0 && saved <= STARTED, reason.c_str());
    vmwrite(GUEST_RIP, base + SPIN_OFFSET);
    exited = enter_l2(false);
    saved = vmread(PREEMPTION_TIMER);
    Text spun;
    spun.add("exit reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" saved ").add_decimal(int32_t(saved));
    check("l2_timer_exit_after_a_saved_value_saves_0", exited && vmread(EXIT_REASON) == 52 && saved == 0,
          spun.c_str());
    vmwrite(EXIT_CONTROLS, exit_controls);
}

void check_exceptions_timer_and_invept(uint32_t base)
{
    /* "Exception Bitmap": L2's #UD exits to L1 when L1 asks, with the event in
     * the exit interruption information (valid, hardware exception, vector 6). */
    vmwrite(EXCEPTION_BITMAP, 1u << 6);
    vmwrite(GUEST_RIP, base + UD2_OFFSET);
    bool exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_ud2", exited, "VMRESUME fell through");
    expect_value("l2_ud2_exit_reason_is_0", vmread(EXIT_REASON), 0);
    expect_value("l2_ud2_exit_interruption_information", vmread(EXIT_INTERRUPTION), 0x80000306);
    /* Without it, the #UD is L2's: delivered through L2's IDT, which is all
     * zeros here, so #NP, #DF and a triple fault follow, an exit L1 always gets. */
    vmwrite(EXCEPTION_BITMAP, 0);
    exited = enter_l2(false);
    check("l2_ud2_not_intercepted_is_delivered_in_l2", exited && vmread(EXIT_REASON) == 2, "no triple-fault exit");

    /* The VMX-preemption timer of VMCS12 ends an L2 that spins. */
    if ((read_msr(TRUE_PINBASED) >> 32) & (1u << 6)) {
        uint32_t pin = vmread(PIN);
        vmwrite(PIN, pin | (1u << 6));
        vmwrite(PREEMPTION_TIMER, 200);
        vmwrite(GUEST_RIP, base + SPIN_OFFSET);
        exited = enter_l2(false);
        check("l2_spinning_ends_by_l1s_preemption_timer", exited && vmread(EXIT_REASON) == 52,
              "no preemption-timer exit");
        check_saved_preemption_timer(base);
        vmwrite(PIN, pin);
    }

    /* Nested EPT: L1 maps 4-6 MiB, L2 reads it; L1 unmaps it again and INVEPT
     * drops what the CPU (here: the shadow EPT) cached, so the read faults. */
    uint64_t eptp = uint32_t(uintptr_t(ept_pml4)) | 6 | (3 << 3);
    ept_pd[2] = 0x400000 | 7 | (6 << 3) | 0x80;
    vmwrite(GUEST_RIP, base + READ_4M_OFFSET);
    exited = enter_l2(false);
    check("l2_reads_a_page_l1_mapped_later", exited && vmread(EXIT_REASON) == 12, "did not reach its HLT");
    ept_pd[2] = 0;
    uint32_t flags = invept_single(eptp);
    check("invept_single_context_succeeds", !(flags & (RFLAGS_CF | (1u << 6))) && !fault_log().count, "failed");
    reset_fault_log();
    vmwrite(GUEST_RIP, base + READ_4M_OFFSET);
    exited = enter_l2(false);
    check("l2_read_after_l1_unmaps_and_invepts_faults", exited && vmread(EXIT_REASON) == 48 &&
          vmread(GUEST_PHYSICAL_ADDRESS) == 0x400000, "the stale mapping was used");
}

/* The guest-state fields a hostile L1 may fill with anything (segment state,
 * control registers, RIP, RSP, RFLAGS, interruptibility, activity, pending debug
 * exceptions, descriptor tables): each entry either fails as hardware fails it
 * (VMfailValid, or an exit with bit 31) or runs L2 until an exit reaches L1,
 * never ends the VM or the host. */
const uint32_t FUZZED_FIELDS[] = {
    GUEST_ES, GUEST_ES + 2, GUEST_ES + 4, GUEST_ES + 14, GUEST_LIMIT + 2, GUEST_LIMIT + 4, GUEST_LIMIT + 14,
    GUEST_RIGHTS, GUEST_RIGHTS + 2, GUEST_RIGHTS + 4, GUEST_RIGHTS + 12, GUEST_RIGHTS + 14, GUEST_BASE + 2,
    GUEST_BASE + 14, GUEST_GDTR_LIMIT, GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_DR7, GUEST_RSP, GUEST_RIP,
    GUEST_RFLAGS, GUEST_INTERRUPTIBILITY, GUEST_ACTIVITY, GUEST_PENDING_DEBUG, ENTRY_INTERRUPTION,
};

uint32_t fuzz_state = 0x12345678;
uint32_t next_random()
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 17;
    fuzz_state ^= fuzz_state << 5;
    return fuzz_state;
}

void check_fuzzed_guest_state(uint32_t base)
{
    /* Every way L2 can go ends in an exit L1 asked for: all exceptions, all
     * CR0/CR4 bits, CR8, MWAIT/MONITOR, HLT and I/O, and L1's preemption timer
     * for an L2 that spins. */
    if (!((read_msr(TRUE_PINBASED) >> 32) & (1u << 6))) {
        check("fuzz_needs_the_preemption_timer", false, "not offered");
        return;
    }
    /* A second EPT for these rounds: L2's code page (read, execute) and stack page
     * only, so that whatever L2 runs cannot write L1's memory. */
    uint32_t pages[2] = {uint32_t(uintptr_t(l2_code)), uint32_t(uintptr_t(l2_stack))};
    fuzz_pml4[0] = uint32_t(uintptr_t(fuzz_pdpt)) | 7;
    fuzz_pdpt[0] = uint32_t(uintptr_t(fuzz_pd)) | 7;
    for (uint32_t i = 0; i < 2; ++i) {
        uint32_t table = (pages[i] >> 21) == (pages[0] >> 21) ? 0 : 1;
        fuzz_pd[pages[i] >> 21] = uint32_t(uintptr_t(fuzz_pt[table])) | 7;
        fuzz_pt[table][(pages[i] >> 12) & 511] = pages[i] | (i == 0 ? 5 : 3) | (6 << 3);
    }
    vmwrite64(EPT_POINTER, uint32_t(uintptr_t(fuzz_pml4)) | 6 | (3 << 3));
    uint32_t pin = vmread(PIN), primary = vmread(PRIMARY);
    vmwrite(PIN, pin | (1u << 6));
    vmwrite(PRIMARY, primary | (1u << 19) | (1u << 20) | (1u << 10) | (1u << 29)); /* CR8, MWAIT, MONITOR */
    vmwrite(EXCEPTION_BITMAP, 0xFFFFFFFF);
    vmwrite(0x6000, 0xFFFFFFFF); /* CR0 guest/host mask */
    vmwrite(0x6002, 0xFFFFFFFF); /* CR4 guest/host mask */
    uint32_t counts[4] = {}; /* fail valid, entry failure, L2 exit, other */
    for (uint32_t round = 0; round < 48; ++round) {
        uint32_t saved[sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0])];
        for (uint32_t i = 0; i < sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0]); ++i)
            saved[i] = vmread(FUZZED_FIELDS[i]);
        for (uint32_t changes = 1 + next_random() % 3; changes > 0; --changes) {
            uint32_t field = FUZZED_FIELDS[next_random() % (sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0]))];
            uint32_t value = next_random() & 1 ? next_random() : vmread(field) ^ (1u << (next_random() % 32));
            vmwrite(field, value);
        }
        reset_fault_log();
        vmwrite(PREEMPTION_TIMER, 500);
        vmwrite(GUEST_RIP, next_random() & 1 ? base + CPUID_OFFSET : vmread(GUEST_RIP));
        bool exited = enter_l2(true);
        uint32_t reason = exited ? vmread(EXIT_REASON) : 0;
        if (!exited && (vmx_l2_flags & (1u << 6)))
            ++counts[0];
        else if (exited && (reason & 0x80000000u))
            ++counts[1];
        else if (exited)
            ++counts[2];
        else
            ++counts[3];
        /* A launched VMCS12 needs VMCLEAR before the next VMLAUNCH. */
        (void)vmclear(uint32_t(uintptr_t(vmcs)));
        (void)vmptrld(uint32_t(uintptr_t(vmcs)));
        for (uint32_t i = 0; i < sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0]); ++i)
            vmwrite(FUZZED_FIELDS[i], saved[i]);
    }
    Text reason;
    reason.add_decimal(int32_t(counts[0])).add(" VMfailValid, ").add_decimal(int32_t(counts[1]))
        .add(" entry failures, ").add_decimal(int32_t(counts[2])).add(" L2 exits, ").add_decimal(int32_t(counts[3]))
        .add(" other");
    check("fuzzed_guest_state_always_comes_back_to_l1", counts[3] == 0 && counts[2] > 0 && counts[1] > 0,
          reason.c_str());
    vmwrite(PIN, pin);
    vmwrite(PRIMARY, primary);
    vmwrite(EXCEPTION_BITMAP, 0);
    vmwrite(0x6000, 0);
    vmwrite(0x6002, 0);
    vmwrite64(EPT_POINTER, uint32_t(uintptr_t(ept_pml4)) | 6 | (3 << 3));
}

void put_msr_entry(uint32_t (&area)[4], uint32_t msr, uint32_t value)
{
    area[0] = msr;
    area[1] = 0;
    area[2] = value;
    area[3] = 0;
}

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

void expect_hlt_exit_at(const char* name, bool exited, uint32_t rip)
{
    Text reason;
    reason.add("exited ").add_decimal(exited).add(" reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" RIP ")
        .add_hex(vmread(GUEST_RIP)).add(", expected HLT at ").add_hex(rip);
    check(name, exited && vmread(EXIT_REASON) == 12 && vmread(GUEST_RIP) == rip, reason.c_str());
}

/* The exits L1 does not ask for, which L0 handles for L1 while L2 runs as the
 * CPU would ("Instructions That Cause VM Exits Conditionally"): a port and an
 * MSR L1's bitmaps let through reach L1's own devices and CPU model; a MOV to
 * CR0 changing a bit only L0 owns (NE) takes effect as L2 wrote it; HLT without
 * HLT exiting sleeps until L1's interrupt, which exits with external-interrupt
 * exiting after the HLT, and goes through L2's IDT without. */
void check_l0_acts_for_l1(uint32_t base)
{
    uint32_t primary = vmread(PRIMARY), pin = vmread(PIN);
    for (uint32_t i = 0; i < 4096; ++i)
        io_bitmaps[0][i] = io_bitmaps[1][i] = msr_bitmap[i] = 0xFF;
    io_bitmaps[0][0x80 / 8] &= uint8_t(~(1u << (0x80 % 8)));
    msr_bitmap[0x174 / 8] &= uint8_t(~(1u << (0x174 % 8))); /* RDMSR IA32_SYSENTER_CS (read-low bitmap) */
    vmwrite64(IO_BITMAP_A, uint32_t(uintptr_t(io_bitmaps[0])));
    vmwrite64(IO_BITMAP_B, uint32_t(uintptr_t(io_bitmaps[1])));
    vmwrite64(MSR_BITMAP, uint32_t(uintptr_t(msr_bitmap)));
    vmwrite(PRIMARY, (primary & ~(1u << 24)) | (1u << 25) | (1u << 28)); /* I/O and MSR bitmaps */
    vmwrite(GUEST_SYSENTER_CS, 0x1234);
    vmwrite(GUEST_RIP, base + PASS_OFFSET);
    bool exited = enter_l2(false);
    expect_hlt_exit_at("l2_out_and_rdmsr_l1_lets_through_run_without_exits_to_l1", exited, base + PASS_HLT_OFFSET);
    expect_value("l2_rdmsr_l1_lets_through_reads_l2s_sysenter_cs", vmx_l2_eax, 0x1234);

    vmwrite(GUEST_RIP, base + CR0_OFFSET);
    exited = enter_l2(false);
    expect_hlt_exit_at("l2_mov_to_cr0_changing_only_l0s_ne_runs_without_exit_to_l1", exited, base + CR0_HLT_OFFSET);
    Text cr0;
    cr0.add("L2 read ").add_hex(vmx_l2_eax).add(", VMCS12 guest CR0 ").add_hex(vmread(GUEST_CR0));
    check("l2_reads_back_cr0_ne_as_it_wrote_it", (vmx_l2_eax & (CR0_NE | CR0_PE)) == CR0_PE, cr0.c_str());
    check("l1_sees_l2_cr0_ne_as_l2_wrote_it", !(vmread(GUEST_CR0) & CR0_NE), cr0.c_str());
    vmwrite(GUEST_CR0, uint32_t(CR0_PE | CR0_NE | CR0_ET));

    /* HLT exiting off, external-interrupt exiting on; IRQ 0 of L1's PIT in 10 ms. */
    vmwrite(PRIMARY, primary & ~(1u << 7));
    vmwrite(PIN, pin | 1u);
    program_pics(0xFFFE);
    program_pit(2, 11932);
    vmwrite(GUEST_RIP, base + HLT_OFFSET);
    exited = enter_l2(false);
    program_pics(0xFFFF);
    Text halt;
    halt.add("reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" RIP ").add_hex(vmread(GUEST_RIP));
    check("l2_hlt_without_hlt_exiting_sleeps_until_l1s_interrupt_exits",
          exited && vmread(EXIT_REASON) == 1 && vmread(GUEST_RIP) == base + UD2_OFFSET, halt.c_str());

    /* Without external-interrupt exiting L1's interrupt is delivered through
     * L2's IDT when L2 has RFLAGS.IF ("External-Interrupt Exiting"): all zeros
     * here, so #GP, #DF and a triple fault follow, which L1 always gets. An L2
     * that spins with nothing else to end it shows the delivery. */
    vmwrite(PIN, pin & ~1u);
    vmwrite(GUEST_RFLAGS, uint32_t(2 | RFLAGS_IF));
    vmwrite(GUEST_RIP, base + SPIN_OFFSET);
    program_pics(0xFFFE);
    exited = enter_l2(false);
    program_pics(0xFFFF);
    Text delivered;
    delivered.add("reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" RIP ").add_hex(vmread(GUEST_RIP));
    check("l2_gets_l1s_interrupt_through_its_idt_without_interrupt_exiting", exited && vmread(EXIT_REASON) == 2,
          delivered.c_str());
    vmwrite(GUEST_RFLAGS, 2);
    vmwrite(PIN, pin);
    vmwrite(PRIMARY, primary);
}

void check_l2_runs()
{
    uint32_t base = uint32_t(uintptr_t(l2_code));
    bool exited = enter_l2(true);
    Text reason;
    reason.add("flags ").add_hex(vmx_l2_flags).add(" error ").add_decimal(int32_t(vmread(VM_INSTRUCTION_ERROR)));
    check("vmlaunch_runs_l2_until_its_cpuid", exited, reason.c_str());
    if (!exited)
        return;
    expect_value("l2_cpuid_exit_reason_is_10", vmread(EXIT_REASON), 10);
    expect_value("l2_cpuid_exit_instruction_length_is_2", vmread(EXIT_INSTRUCTION_LENGTH), 2);
    expect_value("l2_cpuid_exit_guest_rip", vmread(GUEST_RIP), base + CPUID_OFFSET);
    expect_value("l2_registers_reach_l1_at_the_exit", vmx_l2_eax, 0x1234);
    expect_value("l2_exit_restores_host_rsp", vmx_l2_exit_esp, vmx_l2_host_esp);

    vmwrite(GUEST_RIP, base + OUT_OFFSET);
    exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_out", exited, "VMRESUME fell through");
    expect_value("l2_out_exit_reason_is_30", vmread(EXIT_REASON), 30);
    /* "Exit Qualification for I/O Instructions": size 1 (0), OUT (bit 3 clear), an
     * immediate port (bit 6), port 80H in 31:16. */
    expect_value("l2_out_exit_qualification", vmread(EXIT_QUALIFICATION), 0x800040);

    vmwrite(GUEST_RIP, base + READ_OFFSET);
    exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_ept_violation", exited, "VMRESUME fell through");
    expect_value("l2_read_outside_l1_ept_exit_reason_is_48", vmread(EXIT_REASON), 48);
    expect_value("l2_ept_violation_guest_physical_address", vmread(GUEST_PHYSICAL_ADDRESS), 0x500000);
    /* A data read (bit 0), not readable/writable/executable in L1's EPT (bits 5:3 clear). */
    expect_value("l2_ept_violation_qualification_access_and_rights", vmread(EXIT_QUALIFICATION) & 0x3F, 1);

    vmwrite(GUEST_RIP, base + HLT_OFFSET);
    exited = enter_l2(false);
    check("vmresume_runs_l2_until_its_hlt", exited, "VMRESUME fell through");
    expect_value("l2_hlt_exit_reason_is_12", vmread(EXIT_REASON), 12);
    check_msr_areas(base);
    check_exceptions_timer_and_invept(base);
    check_l0_acts_for_l1(base);
}

/* make bench (tools/bench/run_all.py, vm_cmdline=bench): an L2 that loops CPUID
 * and times the loop with its own RDTSC (L2's view of each round trip through
 * L0 and this L1), and L1's own VMREAD and VMWRITE of GUEST_RIP (exits to L0
 * or answered by the shadow VMCS, vm_nested_shadow=on|off). */
constexpr int32_t BENCH_COUNT = 1000;
/* L1's code between L2's exits runs on L2's general registers (a VM exit
 * keeps them) and changes them, so the loop keeps its count and start time in
 * memory (the first 8 bytes of L2's stack page, mapped by L1's EPT):
 *   MOV DWORD [count], 1000; RDTSC; MOV [start], EAX;
 *   1: XOR EAX, EAX; CPUID; DEC DWORD [count]; JNZ 1b;
 *   RDTSC; SUB EAX, [start]; HLT
 * The loop's cycles are in EAX at the HLT exit. */
void write_l2_cpuid_loop()
{
    uint32_t count = uint32_t(uintptr_t(l2_stack)), start = count + 4;
    uint8_t program[] = {0xC7, 0x05, 0, 0, 0, 0, 0xE8, 0x03, 0x00, 0x00, /* MOV DWORD [count], 1000 */
                         0x0F, 0x31, 0xA3, 0, 0, 0, 0,                   /* RDTSC; MOV [start], EAX */
                         0x31, 0xC0, 0x0F, 0xA2, 0xFF, 0x0D, 0, 0, 0, 0, /* XOR; CPUID; DEC DWORD [count] */
                         0x75, 0xF4,                                     /* JNZ back to the XOR */
                         0x0F, 0x31, 0x2B, 0x05, 0, 0, 0, 0, 0xF4};      /* RDTSC; SUB EAX, [start]; HLT */
    auto put = [&](uint32_t at, uint32_t value) {
        for (uint32_t i = 0; i < 4; ++i)
            program[at + i] = uint8_t(value >> (8 * i));
    };
    put(2, count);
    put(13, start);
    put(23, count);
    put(33, start);
    for (uint32_t i = 0; i < sizeof(program); ++i)
        l2_code[i] = program[i];
}

uint64_t rdtsc()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t(high) << 32) | low;
}

void report_bench(const char* what, uint32_t cycles)
{
    Text line;
    line.add("bench nested ").add(what).add("_cycles=").add_decimal(int32_t(cycles)).add(" count=")
        .add_decimal(BENCH_COUNT);
    print(line.c_str(), uint32_t(line.length()));
}

void run_bench()
{
    uint64_t start = rdtsc();
    for (int32_t i = 0; i < BENCH_COUNT; ++i)
        (void)vmread(GUEST_RIP);
    report_bench("vmread", uint32_t(rdtsc() - start));
    uint32_t rip = vmread(GUEST_RIP);
    start = rdtsc();
    for (int32_t i = 0; i < BENCH_COUNT; ++i)
        vmwrite(GUEST_RIP, rip);
    report_bench("vmwrite", uint32_t(rdtsc() - start));

    write_l2_cpuid_loop();
    vmwrite(GUEST_RIP, uint32_t(uintptr_t(l2_code)));
    /* Each CPUID exit: L2's RIP past it, VMRESUME; other exits (a host
     * interrupt L0 reflects) resume as they are; the HLT ends the loop. */
    bool exited = enter_l2(true);
    uint32_t cpuid_exits = 0;
    while (exited && vmread(EXIT_REASON) != 12 && cpuid_exits <= uint32_t(BENCH_COUNT)) {
        if (vmread(EXIT_REASON) == 10) {
            ++cpuid_exits;
            vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSTRUCTION_LENGTH));
        }
        exited = enter_l2(false);
    }
    Text reason;
    reason.add_decimal(int32_t(cpuid_exits)).add(" CPUID exits, last exit reason ")
        .add_decimal(int32_t(vmread(EXIT_REASON)));
    check("bench_l2_cpuid_loop_ends_in_its_hlt", exited && vmread(EXIT_REASON) == 12 &&
          cpuid_exits == uint32_t(BENCH_COUNT), reason.c_str());
    report_bench("l2_cpuid", vmx_l2_eax);
}

} // namespace

void guest_main()
{
    reset_fault_log();
    if (!(cpuid(1).ecx & CPUID_1_ECX_VMX)) {
        check("cpuid_shows_vmx", false, "CPUID.1:ECX[5] is clear: is vm_nested=off?");
        return;
    }
    load_gdt_with_tss();
    enable_paging_and_vmx();
    uint32_t revision = uint32_t(read_msr(IA32_VMX_BASIC)) & 0x7FFFFFFF;
    *reinterpret_cast<volatile uint32_t*>(vmxon_region) = revision;
    *reinterpret_cast<volatile uint32_t*>(vmcs) = revision;
    uint32_t flags = vmxon(uint32_t(uintptr_t(vmxon_region)));
    flags |= vmclear(uint32_t(uintptr_t(vmcs)));
    flags |= vmptrld(uint32_t(uintptr_t(vmcs)));
    check("vmxon_vmclear_vmptrld_succeed", !(flags & (RFLAGS_CF | (1u << 6))) && !fault_log().count, "failed");
    reset_fault_log();
    write_vmcs12();
    check("vmcs12_fields_written", all_written, "a VMWRITE failed");
    reset_fault_log();
    if (command_line_has("bench")) {
        run_bench();
        return;
    }
    check_entry_failures();
    check_l2_runs();
    check_fuzzed_guest_state(uint32_t(uintptr_t(l2_code)));
}

} // namespace guest
