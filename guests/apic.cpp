/* Test guest "apic": the local APIC seen from a kernel, as the Intel SDM
 * (revision 084), Vol. 3A, chapter "Advanced Programmable Interrupt Controller
 * (APIC)" describes it: identity (CPUID.1:EDX.APIC, CPUID.1:EBX[31:24] = the ID
 * register, IA32_APIC_BASE), the 8259 reaching the CPU through LINT0 (the
 * virtual wire) until LINT0 is masked, the timer in one-shot mode firing once and
 * in periodic mode at its programmed rate within 1% over one second of PIT time,
 * and fixed interrupts (self-IPIs) taken by priority class against TPR, with
 * EOI emptying the in-service register, and self-NMIs: taken with interrupts
 * off, once, and a second one sent from the NMI handler held until the handler's
 * IRET (SDM "NMI Handling"; AMD64 APM Vol. 2 "Nonmaskable Interrupt (NMI)",
 * which the SVM backend keeps with the IRET intercept). The registers are reached with the MOV
 * forms GCC emits (the hypervisor decodes them from EPT violations). The APIC
 * timer's input clock is the hypervisor's documented 1 GHz (docs/devices.md). */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/interrupts.h"
#include "common/text.h"
#include "kernel/arch/x86_64/msr.h"

extern "C" {
volatile uint32_t apic_timer_count = 0;
volatile uint8_t apic_log[16] = {};
volatile uint32_t apic_log_length = 0;
volatile uint32_t apic_nmi_count = 0;
/* The NMI handler sends one more self-NMI when this is set, and notes the count
 * it sees after giving the hypervisor several exits to (wrongly) deliver it. */
volatile uint32_t apic_nmi_resend = 0;
volatile uint32_t apic_nmi_count_inside = 0;
void apic_nmi_inner();
void apic_stub_64();
void apic_nmi_stub();
void apic_stub_69();
void apic_stub_98();
}

/* The handlers: the timer's (vector 64) counts, the others log their vector;
 * each writes EOI (offset 0xB0) with the immediate form kernels use. */
asm(R"(
.text
.code32
apic_stub_64:
    incl apic_timer_count
    movl $0, 0xFEE000B0
    iret
.macro apic_log_stub vector
.globl apic_stub_\vector
apic_stub_\vector:
    push %eax
    mov apic_log_length, %eax
    cmp $16, %eax
    jae 1f
    movb $\vector, apic_log(%eax)
    incl apic_log_length
1:  movl $0, 0xFEE000B0
    pop %eax
    iret
.endm
.globl apic_nmi_stub
apic_nmi_stub:
    pushal
    call apic_nmi_inner
    popal
    iret
.globl apic_stub_64
apic_log_stub 69
apic_log_stub 98
)");

namespace guest {

const char GUEST_NAME[] = "apic";

namespace {

constexpr uint32_t APIC_PAGE = 0xFEE00000;
constexpr uint32_t ID = 0x20, VERSION = 0x30, TPR = 0x80, PPR = 0xA0, SVR = 0xF0, ISR0 = 0x100, IRR0 = 0x200,
                   ICR_LOW = 0x300, LVT_TIMER = 0x320, LVT_LINT0 = 0x350, TIMER_INITIAL = 0x380,
                   TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3E0;
constexpr uint32_t LVT_MASKED = 1u << 16, LVT_PERIODIC = 1u << 17, EXTINT = 7u << 8;
constexpr uint32_t ICR_SELF = 1u << 18, ICR_NMI = 4u << 8;
constexpr uint8_t TIMER_VECTOR = 64, LOW_VECTOR = 69, HIGH_VECTOR = 98;
constexpr uint16_t PIT_100_HZ = 11932; /* 1193182 / 100 */
constexpr uint32_t VECTORS = 100;

volatile uint32_t& reg(uint32_t offset) { return *reinterpret_cast<volatile uint32_t*>(APIC_PAGE + offset); }

alignas(8) uint64_t idt[VECTORS];

struct [[gnu::packed]] TablePointer {
    uint16_t limit;
    uint32_t base;
};

void set_gate(uint32_t vector, void (*handler)())
{
    auto address = uint32_t(reinterpret_cast<uintptr_t>(handler));
    idt[vector] = uint64_t(address & 0xFFFF) | uint64_t(0x08) << 16 | uint64_t(0x8E) << 40 | uint64_t(address >> 16) << 48;
}

/* The runtime's exception and IRQ gates (0-0x2F), plus the APIC's. */
void install_idt()
{
    install_irq_handlers();
    TablePointer current;
    asm volatile("sidt %0" : "=m"(current));
    const auto* gates = reinterpret_cast<const uint64_t*>(uintptr_t(current.base));
    for (uint32_t vector = 0; vector < IRQ_BASE_VECTOR + 16; ++vector)
        idt[vector] = gates[vector];
    set_gate(2, apic_nmi_stub);
    set_gate(TIMER_VECTOR, apic_stub_64);
    set_gate(LOW_VECTOR, apic_stub_69);
    set_gate(HIGH_VECTOR, apic_stub_98);
    TablePointer pointer{uint16_t(sizeof(idt) - 1), uint32_t(uintptr_t(idt))};
    asm volatile("lidt %0" : : "m"(pointer) : "memory");
}

uint64_t read_msr(Msr msr)
{
    uint32_t low = 0, high = 0;
    asm volatile(EXPECT_FAULT("rdmsr") : "+a"(low), "+d"(high) : "c"(uint32_t(msr)) : "memory");
    return uint64_t(high) << 32 | low;
}

/* Halts until `count` more PIT interrupts came (interrupts on), at most
 * `limit` halts (a halt may end without an interrupt). */
void wait_pit_ticks(uint32_t count, uint32_t limit = 2000)
{
    uint32_t target = irq_counts[0] + count;
    for (uint32_t i = 0; i < limit && int32_t(irq_counts[0] - target) < 0; ++i)
        asm volatile("sti; hlt; cli" ::: "memory");
}

/* A read of the TPR: a VM exit on either backend, answered on the full path. */
void exit_by_apic_read()
{
    uint32_t tpr = reg(TPR);
    asm volatile("" : : "r"(tpr));
}

bool bit_set(uint32_t base, uint8_t vector) { return reg(base + 0x10 * (vector / 32)) & (1u << (vector % 32)); }

void check_identity()
{
    CpuidResult leaf1 = cpuid(1);
    check("cpuid_shows_the_apic", leaf1.edx & (1u << 9), "CPUID.1:EDX[9] is clear");
    check("cpuid_hides_x2apic", !(leaf1.ecx & (1u << 21)), "CPUID.1:ECX[21] is set");
    reset_fault_log();
    uint64_t base = read_msr(Msr::apic_base);
    Text reason;
    reason.add("IA32_APIC_BASE = ").add_hex(uint32_t(base)).add(", ").add_decimal(int32_t(fault_log().count))
        .add(" faults");
    check("apic_base_msr_is_the_default_enabled_bsp", base == 0xFEE00900 && fault_log().count == 0, reason.c_str());
    uint32_t id = reg(ID) >> 24;
    Text ids;
    ids.add("ID register ").add_hex(id).add(", CPUID.1:EBX[31:24] ").add_hex(leaf1.ebx >> 24);
    check("id_register_matches_cpuid", id == leaf1.ebx >> 24, ids.c_str());
    uint32_t version = reg(VERSION);
    Text versions;
    versions.add("version register ").add_hex(version);
    check("version_is_an_integrated_xapic", (version & 0xFF) == 0x14 && ((version >> 16) & 0xFF) >= 3, versions.c_str());
    check("svr_software_enabled_at_start", reg(SVR) & (1u << 8), "SVR bit 8 is clear");
}

void check_virtual_wire()
{
    Text lint0;
    lint0.add("LVT LINT0 = ").add_hex(reg(LVT_LINT0));
    check("lint0_starts_as_extint", reg(LVT_LINT0) == EXTINT, lint0.c_str());
    program_pics(0xFFFE); /* IRQ 0 only */
    program_pit(2, PIT_100_HZ);
    uint32_t before = irq_counts[0];
    wait_pit_ticks(3, 200);
    Text counts;
    counts.add_decimal(int32_t(irq_counts[0] - before)).add(" PIT interrupts");
    check("pit_reaches_the_cpu_through_lint0", irq_counts[0] - before >= 3, counts.c_str());

    reg(LVT_LINT0) = EXTINT | LVT_MASKED;
    uint32_t masked_start = irq_counts[0];
    /* With the wire cut nothing but the APIC's own timer can end a HLT (on a real
     * CPU as in the VM, which resumes a halted guest only for an interrupt): a
     * 1 ms periodic timer wakes each of these ten, over about one PIT period. */
    reg(TIMER_DIVIDE) = 0xB;                   /* divide by 1 */
    reg(LVT_TIMER) = LVT_PERIODIC | TIMER_VECTOR;
    reg(TIMER_INITIAL) = 1000000;              /* 1 ms */
    for (int i = 0; i < 10; ++i)
        asm volatile("sti; hlt; cli" ::: "memory");
    reg(TIMER_INITIAL) = 0;
    reg(LVT_TIMER) = LVT_MASKED | TIMER_VECTOR;
    Text masked;
    masked.add_decimal(int32_t(irq_counts[0] - masked_start)).add(" PIT interrupts with LINT0 masked");
    check("masked_lint0_cuts_the_wire", irq_counts[0] == masked_start, masked.c_str());
    reg(LVT_LINT0) = EXTINT;
    uint32_t unmasked_start = irq_counts[0];
    wait_pit_ticks(2, 200);
    check("unmasked_lint0_delivers_again", irq_counts[0] - unmasked_start >= 2, "no PIT interrupt after unmasking");
}

void check_one_shot()
{
    reg(TIMER_DIVIDE) = 0x3;                 /* divide by 16 */
    reg(LVT_TIMER) = TIMER_VECTOR;           /* one-shot */
    apic_timer_count = 0;
    reg(TIMER_INITIAL) = 125000;             /* 2 ms at 16 ns a count */
    wait_pit_ticks(4);                       /* 30-40 ms */
    Text fired;
    fired.add("fired ").add_decimal(int32_t(apic_timer_count)).add(" times");
    check("one_shot_fires_once", apic_timer_count == 1, fired.c_str());
    check("one_shot_count_ends_at_zero", reg(TIMER_CURRENT) == 0, "the current count is not 0");
}

void check_periodic()
{
    reg(TIMER_DIVIDE) = 0xB; /* divide by 1 */
    reg(LVT_TIMER) = LVT_PERIODIC | TIMER_VECTOR;
    reg(TIMER_INITIAL) = 5000000; /* 5 ms: 200 per second */
    wait_pit_ticks(1);            /* start at a PIT tick */
    uint32_t start = apic_timer_count;
    wait_pit_ticks(100, 5000);    /* one second of PIT time */
    uint32_t ticks = apic_timer_count - start;
    reg(TIMER_INITIAL) = 0;
    reg(LVT_TIMER) = LVT_MASKED | TIMER_VECTOR;
    Text rate;
    rate.add_decimal(int32_t(ticks)).add(" timer interrupts in 100 PIT periods, expected 200");
    check("periodic_rate_within_one_percent", ticks >= 198 && ticks <= 202, rate.c_str());
}

void check_priorities()
{
    program_pics(0xFFFF);
    apic_log_length = 0;
    reg(TPR) = 0x50;
    reg(ICR_LOW) = ICR_SELF | LOW_VECTOR;
    reg(ICR_LOW) = ICR_SELF | HIGH_VECTOR;
    check("self_ipis_wait_in_irr", bit_set(IRR0, LOW_VECTOR) && bit_set(IRR0, HIGH_VECTOR), "IRR misses a vector");
    Text ppr;
    ppr.add("PPR = ").add_hex(reg(PPR));
    check("ppr_follows_tpr", reg(PPR) == 0x50, ppr.c_str());
    for (int i = 0; i < 20 && apic_log_length < 1; ++i)
        asm volatile("sti; nop; cli" ::: "memory");
    for (int i = 0; i < 20; ++i)
        asm volatile("sti; nop; cli" ::: "memory");
    Text first;
    first.add_decimal(int32_t(apic_log_length)).add(" taken, first ").add_decimal(apic_log[0]);
    check("tpr_holds_back_the_lower_class", apic_log_length == 1 && apic_log[0] == HIGH_VECTOR, first.c_str());
    check("held_vector_stays_in_irr", bit_set(IRR0, LOW_VECTOR), "vector 69 left IRR");
    reg(TPR) = 0;
    for (int i = 0; i < 20 && apic_log_length < 2; ++i)
        asm volatile("sti; nop; cli" ::: "memory");
    Text second;
    second.add_decimal(int32_t(apic_log_length)).add(" taken, second ").add_decimal(apic_log[1]);
    check("lowering_tpr_delivers_it", apic_log_length == 2 && apic_log[1] == LOW_VECTOR, second.c_str());
    bool isr_empty = true;
    for (uint32_t word = 0; word < 8; ++word)
        isr_empty = isr_empty && reg(ISR0 + 0x10 * word) == 0;
    check("eoi_empties_isr", isr_empty && reg(PPR) == 0, "ISR or PPR not clear after the EOIs");
}

} // namespace

extern "C" void apic_nmi_inner()
{
    apic_nmi_count = apic_nmi_count + 1;
    if (!apic_nmi_resend)
        return;
    apic_nmi_resend = 0;
    reg(ICR_LOW) = ICR_SELF | ICR_NMI;
    /* Each APIC read exits: a chance for the hypervisor to inject the NMI. */
    for (int i = 0; i < 5; ++i)
        exit_by_apic_read();
    apic_nmi_count_inside = apic_nmi_count;
}

namespace {

/* SDM Vol. 3A "Interrupt Command Register (ICR)": delivery mode NMI to self
 * (the vector is ignored) reaches vector 2 even with interrupts off, once. */
void check_self_nmi()
{
    uint32_t before = apic_nmi_count;
    asm volatile("cli" ::: "memory");
    reg(ICR_LOW) = ICR_SELF | ICR_NMI;
    for (int i = 0; i < 1000 && apic_nmi_count == before; ++i)
        asm volatile("pause" ::: "memory");
    Text taken;
    taken.add_decimal(int32_t(apic_nmi_count - before)).add(" NMIs taken");
    check("self_nmi_arrives_with_interrupts_off", apic_nmi_count - before == 1, taken.c_str());
    for (int i = 0; i < 1000; ++i)
        asm volatile("pause" ::: "memory");
    check("self_nmi_arrives_once", apic_nmi_count - before == 1, "a second NMI arrived");
}

/* A self-NMI sent while the NMI handler runs is held until its IRET, then taken
 * (once): NMIs never nest. Waiting reads an APIC register, an exit each time. */
void check_nmi_held_until_iret()
{
    uint32_t before = apic_nmi_count;
    apic_nmi_count_inside = 0;
    apic_nmi_resend = 1;
    asm volatile("cli" ::: "memory");
    reg(ICR_LOW) = ICR_SELF | ICR_NMI;
    for (int i = 0; i < 1000 && apic_nmi_count - before < 2; ++i)
        exit_by_apic_read();
    Text inside;
    inside.add("the handler saw ").add_decimal(int32_t(apic_nmi_count_inside - before)).add(" NMIs");
    check("nmi_held_while_its_handler_runs", apic_nmi_count_inside - before == 1, inside.c_str());
    Text taken;
    taken.add_decimal(int32_t(apic_nmi_count - before)).add(" NMIs taken, expected 2");
    check("held_nmi_arrives_after_the_iret", apic_nmi_count - before == 2, taken.c_str());
}

} // namespace

void guest_main()
{
    /* A CPU without a local APIC: CPUID says so, and
     * IA32_APIC_BASE then faults as on such a CPU; nothing else to check. */
    if (!(cpuid(1).edx & (1u << 9))) {
        reset_fault_log();
        (void)read_msr(Msr::apic_base);
        check("no_apic_shown_and_its_msr_faults", fault_log().count == 1, "IA32_APIC_BASE did not fault");
        return;
    }
    install_idt();
    check_identity();
    check_virtual_wire();
    check_one_shot();
    check_periodic();
    check_priorities();
    check_self_nmi();
    check_nmi_held_until_iret();
    program_pics(0xFFFF);
}

} // namespace guest
