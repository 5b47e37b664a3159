/* The vmx_l2 test guest's harness (vmx_l2.h): L1's pages for L2, the VMX
 * instructions, entering L2 so that an exit comes back to L1's host RIP, and
 * VMCS12 as every case starts from (Intel SDM revision 084, Vol. 3C, "VM
 * Entries", "Checks on VMX Controls and Host-State Area"). */
#include "vmx_l2/vmx_l2.h"

extern "C" {
volatile uint32_t vmx_l2_launch = 0;     /* VMLAUNCH (1) or VMRESUME (0) */
volatile uint32_t vmx_l2_flags = 0;      /* RFLAGS after a failed VMLAUNCH/VMRESUME */
volatile uint32_t vmx_l2_exited = 0;     /* 1 when L1 came back at its host RIP */
volatile uint32_t vmx_l2_eax = 0;        /* L2's EAX at the exit */
volatile uint32_t vmx_l2_ecx = 0;
volatile uint32_t vmx_l2_edi = 0;
volatile uint32_t vmx_l2_host_esp = 0;   /* the ESP written as host RSP */
volatile uint32_t vmx_l2_exit_esp = 0;   /* the ESP found at the host RIP */
}

namespace guest::l2 {

alignas(4096) uint32_t page_directory[1024];
alignas(4096) uint8_t vmxon_region[4096];
alignas(4096) uint8_t vmcs[4096];
alignas(4096) uint64_t ept_pml4[512];
alignas(4096) uint64_t ept_pdpt[512];
alignas(4096) uint64_t ept_pd[512];
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

const uint8_t L2_PROGRAM[48] = {0xB8, 0x34, 0x12, 0x00, 0x00, 0x0F, 0xA2, 0xE6, 0x80, 0xA1, 0x00, 0x00, 0x50,
                              0x00, 0xF4, 0x0F, 0x0B, 0xEB, 0xFE, 0xA1, 0x00, 0x00, 0x40, 0x00, 0xF4,
                              0xE6, 0x80, 0xB9, 0x74, 0x01, 0x00, 0x00, 0x0F, 0x32, 0xF4,
                              0x0F, 0x20, 0xC0, 0x83, 0xE0, 0xDF, 0x0F, 0x22, 0xC0, 0x0F, 0x20, 0xC0, 0xF4};
static_assert(sizeof(L2_PROGRAM) == CR0_HLT_OFFSET + 1);

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
                 "movl %%ecx, vmx_l2_ecx\n\t"
                 "movl %%edi, vmx_l2_edi\n\t"
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

void put_msr_entry(uint32_t (&area)[4], uint32_t msr, uint64_t value)
{
    area[0] = msr;
    area[1] = 0;
    area[2] = uint32_t(value);
    area[3] = uint32_t(value >> 32);
}

void expect_hlt_exit_at(const char* name, bool exited, uint32_t rip)
{
    Text reason;
    reason.add("exited ").add_decimal(exited).add(" reason ").add_decimal(int32_t(vmread(EXIT_REASON))).add(" RIP ")
        .add_hex(vmread(GUEST_RIP)).add(", expected HLT at ").add_hex(rip);
    check(name, exited && vmread(EXIT_REASON) == 12 && vmread(GUEST_RIP) == rip, reason.c_str());
}

} // namespace guest::l2
