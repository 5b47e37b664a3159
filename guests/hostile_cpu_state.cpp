/* Hostile guest "hostile_cpu_state" (docs/hostile-guests.md, class e): absurd
 * control registers (CR0 PG without PE, NW without CD, reserved bits; CR4 VMXE,
 * OSXSAVE and reserved bits; CR3 garbage with paging off), descriptor tables
 * loaded with seeded garbage and then used (segment loads through a garbage GDT,
 * INT n through garbage IDT gates) and impossible segment state (null SS, a far
 * jump to a data segment, selectors past the GDT limit). Each attempt either
 * works or raises the fault the SDM names, which the guest's IDT counts; the VM
 * must keep running. Exceptions are still delivered during the garbage phases:
 * the garbage GDT keeps the flat code and data descriptors at 0x08 and 0x10, the
 * garbage IDT keeps the exception gates 0-31. Follows the Intel SDM (revision
 * 084), Vol. 3A, "Control Registers", "Segment Descriptors", "IDT Descriptors",
 * and Vol. 2, "MOV-Move to/from Control Registers", "LGDT/LIDT", "MOV" (segment
 * registers), "INT n". */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/text.h"
#include "kernel/arch/x86_64/control_registers.h"

namespace guest {

const char GUEST_NAME[] = "hostile_cpu_state";

namespace {

/* CR0 bits 6-15 and 19-28 are reserved; CR4 bits 26-31 are reserved. */
constexpr uint32_t CR0_RESERVED = 0x0000FFC0u | 0x1FF80000u;
constexpr uint32_t CR4_RESERVED = 0xFC000000u;
/* Harmless with paging off: PSE, PGE, PCE, OSFXSR, OSXMMEXCPT. */
constexpr uint32_t CR4_HARMLESS = CR4_PSE | CR4_PGE | CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT;
constexpr uint16_t CODE_SELECTOR = 0x08, DATA_SELECTOR = 0x10;
constexpr uint32_t VECTOR_NOT_PRESENT = 11, VECTOR_STACK = 12;
constexpr uint32_t GARBAGE_ROUNDS = 16;

struct [[gnu::packed]] TablePointer {
    uint16_t limit;
    uint32_t base;
};

struct Tally {
    uint32_t cases, accepted, gp, np, ss, other;
};

alignas(16) uint8_t scratch[4096];
alignas(8) uint64_t garbage_gdt[32];
alignas(8) uint64_t garbage_idt[256];
Tally tally;

void count_outcome()
{
    ++tally.cases;
    FaultLog log = fault_log();
    if (log.count == 0)
        ++tally.accepted;
    else if (log.vector == VECTOR_GENERAL_PROTECTION)
        ++tally.gp;
    else if (log.vector == VECTOR_NOT_PRESENT)
        ++tally.np;
    else if (log.vector == VECTOR_STACK)
        ++tally.ss;
    else
        ++tally.other;
}

/* True when the last attempt raised #GP. */
bool raised_gp()
{
    FaultLog log = fault_log();
    return log.count == 1 && log.vector == VECTOR_GENERAL_PROTECTION;
}

uint32_t read_cr0() { uint32_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
uint32_t read_cr3() { uint32_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
uint32_t read_cr4() { uint32_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }

void write_cr0(uint32_t v)
{
    reset_fault_log();
    asm volatile(EXPECT_FAULT("mov %0, %%cr0") : : "r"(v) : "memory");
    count_outcome();
}

void write_cr3(uint32_t v)
{
    reset_fault_log();
    asm volatile(EXPECT_FAULT("mov %0, %%cr3") : : "r"(v) : "memory");
    count_outcome();
}

void write_cr4(uint32_t v)
{
    reset_fault_log();
    asm volatile(EXPECT_FAULT("mov %0, %%cr4") : : "r"(v) : "memory");
    count_outcome();
}

void check_control_registers(Random& random)
{
    const uint32_t cr0 = read_cr0(), cr3 = read_cr3(), cr4 = read_cr4();
    write_cr0((cr0 | CR0_PG) & ~CR0_PE);
    check("cr0_pg_without_pe_raises_gp", raised_gp(), "MOV to CR0 with PG=1, PE=0 did not raise #GP");
    write_cr0((cr0 | CR0_NW) & ~CR0_CD);
    check("cr0_nw_without_cd_raises_gp", raised_gp(), "MOV to CR0 with NW=1, CD=0 did not raise #GP");
    /* CR4.VMXE may be set exactly when CPUID shows VMX (vm_nested=). */
    write_cr4(cr4 | CR4_VMXE);
    if (cpuid(1).ecx & CPUID_1_ECX_VMX) {
        check("cr4_vmxe_sets_with_vmx_shown", !raised_gp() && (read_cr4() & CR4_VMXE), "MOV to CR4.VMXE failed");
        write_cr4(cr4);
        check("cr4_vmxe_clears_outside_vmx_operation", !raised_gp() && !(read_cr4() & CR4_VMXE), "CR4.VMXE stayed");
    } else {
        check("cr4_vmxe_raises_gp", raised_gp(), "the guest could set CR4.VMXE");
        check("cr4_vmxe_stays_clear", !(read_cr4() & CR4_VMXE), "CR4.VMXE reads as set");
    }
    write_cr4(cr4 | CR4_OSXSAVE);
    check("cr4_osxsave_raises_gp", raised_gp(), "the guest could set CR4.OSXSAVE although XSAVE is hidden");
    write_cr4(cr4 & ~CR4_OSXSAVE);
    uint32_t reserved_accepted = 0;
    for (uint32_t round = 0; round < GARBAGE_ROUNDS; ++round) {
        write_cr4(cr4 | (random.next() & CR4_RESERVED) | (1u << (26 + random.below(6))));
        reserved_accepted += raised_gp() ? 0 : 1;
        write_cr0(cr0 | (random.next() & CR0_RESERVED));
        write_cr0(cr0);
        write_cr4(cr4 | (random.next() & CR4_HARMLESS));
        write_cr4(cr4);
        write_cr3(random.next());
    }
    write_cr3(cr3);
    check("cr4_reserved_bits_raise_gp", reserved_accepted == 0, "a reserved CR4 bit was accepted");
    check("control_registers_restored", read_cr0() == cr0 && read_cr4() == cr4, "CR0 or CR4 changed");
}

/* A data/code descriptor with seeded type, limit and flags, its base inside
 * scratch so that any use of it reads guest RAM. */
uint64_t garbage_descriptor(Random& random)
{
    uint64_t d = uint64_t(random.next()) << 32 | random.next();
    uint32_t base = uint32_t(uintptr_t(scratch)) + random.below(256);
    d &= ~0xFF0000FFFFFF0000ull; /* clear the base fields */
    d |= uint64_t(base & 0xFFFF) << 16 | uint64_t((base >> 16) & 0xFF) << 32 | uint64_t(base >> 24) << 56;
    return d;
}

/* Loads `selector` into DS (or SS) and the flat data selector straight back, so
 * that no code runs on the loaded segment. */
void load_ds(uint16_t selector)
{
    reset_fault_log();
    asm volatile("movl $1f, guest_fault_resume\n\t"
                 "movw %w0, %%ds\n\t"
                 "movw %w1, %%ds\n"
                 "1:\n\t"
                 "movw %w1, %%ds\n\t"
                 "movl $0, guest_fault_resume"
                 : : "r"(uint32_t(selector)), "r"(uint32_t(DATA_SELECTOR)) : "memory");
    count_outcome();
}

void load_ss(uint16_t selector)
{
    reset_fault_log();
    asm volatile("movl $1f, guest_fault_resume\n\t"
                 "movw %w0, %%ss\n\t"
                 "movw %w1, %%ss\n"
                 "1:\n\t"
                 "movw %w1, %%ss\n\t"
                 "movl $0, guest_fault_resume"
                 : : "r"(uint32_t(selector)), "r"(uint32_t(DATA_SELECTOR)) : "memory");
    count_outcome();
}

/* Loads `selector` into FS and reads through it: the load or the read may fault. */
void load_and_use_fs(uint16_t selector, uint32_t offset)
{
    reset_fault_log();
    uint32_t value = 0;
    asm volatile(EXPECT_FAULT("movw %w1, %%fs\n\tmovl %%fs:(%2), %0")
                 : "+r"(value) : "r"(uint32_t(selector)), "r"(offset) : "memory");
    asm volatile("movw %w0, %%fs" : : "r"(uint32_t(DATA_SELECTOR)));
    count_outcome();
}

void check_segment_state()
{
    load_ss(0);
    check("null_ss_raises_gp", raised_gp(), "loading SS with the null selector did not raise #GP");
    load_ss(CODE_SELECTOR);
    check("code_segment_in_ss_raises_gp", raised_gp(), "SS took a code segment");
    load_ds(0x80);
    check("selector_past_gdt_limit_raises_gp", raised_gp(), "a selector past the GDT limit loaded");
    load_ds(DATA_SELECTOR | 3);
    check("rpl3_selector_of_a_dpl0_segment_raises_gp", raised_gp(), "DS took RPL 3 for a DPL 0 data segment");
    reset_fault_log();
    asm volatile(EXPECT_FAULT("ljmp $0x10, $2f\n2:") : : : "memory");
    count_outcome();
    check("far_jump_to_data_segment_raises_gp", raised_gp(), "a far jump to a data segment did not fault");
}

void check_garbage_gdt(Random& random)
{
    TablePointer saved;
    asm volatile("sgdt %0" : "=m"(saved));
    const auto* current = reinterpret_cast<const uint64_t*>(uintptr_t(saved.base));
    for (uint32_t round = 0; round < GARBAGE_ROUNDS; ++round) {
        garbage_gdt[0] = 0;
        garbage_gdt[1] = current[1];
        garbage_gdt[2] = current[2];
        for (uint32_t i = 3; i < 32; ++i)
            garbage_gdt[i] = garbage_descriptor(random);
        TablePointer garbage{uint16_t(8 * (3 + random.below(29)) - 1), uint32_t(uintptr_t(garbage_gdt))};
        asm volatile("lgdt %0" : : "m"(garbage) : "memory");
        for (uint32_t i = 0; i < 8; ++i) {
            auto selector = uint16_t((3 + random.below(29)) * 8 | random.below(4));
            load_and_use_fs(selector, random.below(1024) * 4);
            load_ds(selector);
            load_ss(selector);
        }
        asm volatile("lgdt %0" : : "m"(saved) : "memory");
    }
}

/* A gate no delivery can go through: not present, or a type the IDT does not
 * allow, or a task gate to a selector that is no TSS. */
uint64_t garbage_gate(Random& random)
{
    static const uint8_t BAD_TYPES[] = {0x0, 0x1, 0x2, 0x3, 0x4, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD, 0x5};
    uint64_t gate = uint64_t(random.next()) << 32 | random.next();
    uint8_t access = uint8_t(gate >> 40);
    if (random.chance(2))
        access &= 0x7F; /* not present */
    else
        access = uint8_t((access & 0xE0) | 0x80 | BAD_TYPES[random.below(sizeof(BAD_TYPES))]);
    gate = (gate & ~(0xFFull << 40)) | uint64_t(access) << 40;
    if ((access & 0x0F) == 0x5) /* a task gate: its selector names a data segment or none */
        gate = (gate & ~0xFFFF0000ull) | uint64_t(random.chance(2) ? DATA_SELECTOR : 0x78) << 16;
    return gate;
}

void check_garbage_idt(Random& random)
{
    TablePointer saved;
    asm volatile("sidt %0" : "=m"(saved));
    const auto* current = reinterpret_cast<const uint64_t*>(uintptr_t(saved.base));
    for (uint32_t round = 0; round < GARBAGE_ROUNDS; ++round) {
        for (uint32_t i = 0; i < 32; ++i)
            garbage_idt[i] = current[i];
        for (uint32_t i = 32; i < 256; ++i)
            garbage_idt[i] = garbage_gate(random);
        TablePointer garbage{uint16_t(sizeof(garbage_idt) - 1), uint32_t(uintptr_t(garbage_idt))};
        asm volatile("lidt %0" : : "m"(garbage) : "memory");
        reset_fault_log();
        asm volatile(EXPECT_FAULT("int $0x20") : : : "memory");
        count_outcome();
        reset_fault_log();
        asm volatile(EXPECT_FAULT("int $0x80") : : : "memory");
        count_outcome();
        reset_fault_log();
        asm volatile(EXPECT_FAULT("int $0xFF") : : : "memory");
        count_outcome();
        asm volatile("lidt %0" : : "m"(saved) : "memory");
    }
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    for (uint8_t& byte : scratch)
        byte = uint8_t(random.next());
    check_control_registers(random);
    check_segment_state();
    check_garbage_gdt(random);
    uint32_t faults_before_idt = tally.gp + tally.np + tally.ss + tally.other;
    uint32_t cases_before_idt = tally.cases;
    check_garbage_idt(random);
    uint32_t idt_faults = tally.gp + tally.np + tally.ss + tally.other - faults_before_idt;
    check("garbage_idt_gates_always_fault", idt_faults == tally.cases - cases_before_idt,
          "an INT n through a garbage gate did not fault");
    HostileSummary(seed, tally.cases)
        .add("accepted", tally.accepted).add("gp", tally.gp).add("np", tally.np).add("ss", tally.ss)
        .add("other", tally.other).send();
}

} // namespace guest
