/* The vmx_l2 guest's cases for the exits L0 handles for L1 while L2 runs
 * (Intel SDM revision 084, Vol. 3C, "Instructions That Cause VM Exits
 * Conditionally", "External-Interrupt Exiting"). */
#include "common/port_io.h"
#include "vmx_l2/vmx_l2.h"

namespace guest::l2 {

namespace {

/* L1's EPT for L2 at 6 MiB, in 4 KiB pages: L1's local APIC and a page of L1's
 * that L2 sees at another address. */
alignas(4096) uint64_t ept_pt[512];
alignas(4096) uint8_t string_page[4096];
alignas(4096) uint8_t writable_page[4096];
alignas(4096) uint8_t read_only_page[4096];
constexpr uint32_t L2_APIC = 0x600000, L2_STRING_PAGE = 0x601000, L1_APIC = 0xFEE00000;
constexpr uint32_t APIC_VERSION = 0x30, APIC_TPR = 0x80;

/* L2's code at l2_code + 0x800 (L2_PROGRAM stays as it is):
 *   MOV EAX, [600030H]; HLT                                   (MMIO read)
 *   MOV DWORD [600080H], 20H; HLT                             (MMIO write)
 *   MOV EDX, 21H; MOV EDI, 601000H; MOV ECX, 3; CLD; REP INSB; HLT
 *   MOV EDX, 21H; MOV ESI, 601010H; MOV ECX, 2; CLD; REP OUTSB; HLT
 *   MOV EDX, 21H; MOV EDI, 602FFEH; MOV ECX, 4; CLD; REP INSB; HLT  (into a read-only page) */
const uint8_t DEVICE_PROGRAM[] = {
    0xA1, 0x30, 0x00, 0x60, 0x00, 0xF4,
    0xC7, 0x05, 0x80, 0x00, 0x60, 0x00, 0x20, 0x00, 0x00, 0x00, 0xF4,
    0xBA, 0x21, 0x00, 0x00, 0x00, 0xBF, 0x00, 0x10, 0x60, 0x00, 0xB9, 0x03, 0x00, 0x00, 0x00, 0xFC, 0xF3, 0x6C, 0xF4,
    0xBA, 0x21, 0x00, 0x00, 0x00, 0xBE, 0x10, 0x10, 0x60, 0x00, 0xB9, 0x02, 0x00, 0x00, 0x00, 0xFC, 0xF3, 0x6E, 0xF4,
    0xBA, 0x21, 0x00, 0x00, 0x00, 0xBF, 0xFE, 0x2F, 0x60, 0x00, 0xB9, 0x04, 0x00, 0x00, 0x00, 0xFC, 0xF3, 0x6C, 0xF4};
constexpr uint32_t DEVICE_OFFSET = 0x800, MMIO_READ = 0, MMIO_READ_HLT = 5, MMIO_WRITE = 6, MMIO_WRITE_HLT = 16,
                   INS = 17, INS_HLT = 35, OUTS = 36, OUTS_HLT = 54, INS_REFUSED = 55, INS_REFUSED_REP = 71;
static_assert(sizeof(DEVICE_PROGRAM) == INS_REFUSED_REP + 3);
constexpr uint32_t L2_WRITABLE_PAGE = 0x602000, L2_READ_ONLY_PAGE = 0x603000;

/* L2's code at l2_code + 0x900: MOV ECX, 10H; RDMSR; MOV [tsc_high], EDX;
 * RDTSC; MOV [tsc_high + 4], EDX; HLT (the two high halves of L2's TSC);
 * then MOV ECX, 10H; MOV EDX, 500H; XOR EAX, EAX; WRMSR; RDTSC;
 * MOV [tsc_high + 8], EDX; HLT (L2's GPRs are not kept across L1's entries). */
constexpr uint32_t TSC_OFFSET_IN_CODE = 0x900, TSC_HLT = 21, TSC_WRITE = 22, TSC_WRITE_HLT = 44,
                   TSC_OFFSET_FIELD = 0x2010;

uint32_t read_l1_apic(uint32_t offset) { return *reinterpret_cast<volatile uint32_t*>(L1_APIC + offset); }

/* REP INSB of 4 bytes from 2 bytes below a page L1's EPT maps read-only: the
 * first two elements land, the third is an EPT violation to L1 as the CPU
 * delivers it (Intel SDM, "Exit Qualification for EPT Violations": a data
 * write, L1's rights read-only, the guest-linear address valid and translated),
 * with L2 at the REP INSB, ECX 2 and EDI at the refused byte. */
void check_string_io_refused_by_l1s_ept(uint32_t code)
{
    ept_pt[2] = uint32_t(uintptr_t(writable_page)) | 3 | (6 << 3); /* read, write; write-back */
    ept_pt[3] = uint32_t(uintptr_t(read_only_page)) | 1 | (6 << 3); /* read only */
    writable_page[0xFFE] = writable_page[0xFFF] = read_only_page[0] = 0;
    out8(0x21, 0x5C);
    vmwrite(GUEST_RIP, code + INS_REFUSED);
    bool exited = enter_l2(false);
    check("l2_rep_insb_into_a_page_l1s_ept_maps_read_only_exits_to_l1", exited, "no exit");
    expect_value("l2_rep_insb_refused_by_l1s_ept_is_an_ept_violation", vmread(EXIT_REASON), 48);
    /* Bits 1 (write), 3 (readable), 7 (linear address valid), 8 (its translation). */
    expect_value("l2_rep_insb_ept_violation_qualification", vmread(EXIT_QUALIFICATION), 0x18A);
    expect_value("l2_rep_insb_ept_violation_guest_physical", vmread(GUEST_PHYSICAL_ADDRESS), L2_READ_ONLY_PAGE);
    expect_value("l2_rep_insb_ept_violation_guest_linear", vmread(GUEST_LINEAR_ADDRESS), L2_READ_ONLY_PAGE);
    expect_value("l2_rep_insb_ept_violation_leaves_l2_at_the_instruction", vmread(GUEST_RIP), code + INS_REFUSED_REP);
    expect_value("l2_rep_insb_ept_violation_leaves_the_undone_count", vmx_l2_ecx, 2);
    expect_value("l2_rep_insb_ept_violation_leaves_edi_at_the_refused_byte", vmx_l2_edi, L2_READ_ONLY_PAGE);
    Text landed;
    landed.add("L1's pages hold ").add_hex(writable_page[0xFFE]).add(" ").add_hex(writable_page[0xFFF]).add(" ")
        .add_hex(read_only_page[0]);
    check("l2_rep_insb_elements_before_the_refused_one_landed",
          writable_page[0xFFE] == 0x5C && writable_page[0xFFF] == 0x5C && read_only_page[0] == 0, landed.c_str());
    ept_pt[2] = ept_pt[3] = 0;
}

} // namespace

/* L2 reaching L1's devices through L1's EPT, which L0 emulates for L1 with L2's
 * registers and memory: a page L1's EPT maps onto L1's local APIC (L2 reads the
 * version register L1 reads, and its write of the TPR is L1's), and REP INSB and
 * REP OUTSB to a port L1 lets through (the master PIC's mask) on a page L1's EPT
 * puts elsewhere than L2's address of it. */
void check_l2_reaches_l1_devices(uint32_t base)
{
    ept_pt[0] = L1_APIC | 3;                                      /* read, write; uncacheable */
    ept_pt[1] = uint32_t(uintptr_t(string_page)) | 3 | (6 << 3); /* read, write; write-back */
    ept_pd[3] = uint32_t(uintptr_t(ept_pt)) | 7;
    for (uint32_t i = 0; i < sizeof(DEVICE_PROGRAM); ++i)
        l2_code[DEVICE_OFFSET + i] = DEVICE_PROGRAM[i];
    uint32_t primary = vmread(PRIMARY);
    for (uint32_t i = 0; i < 4096; ++i)
        io_bitmaps[0][i] = io_bitmaps[1][i] = 0xFF;
    io_bitmaps[0][0x21 / 8] &= uint8_t(~(1u << (0x21 % 8)));
    vmwrite64(IO_BITMAP_A, uint32_t(uintptr_t(io_bitmaps[0])));
    vmwrite64(IO_BITMAP_B, uint32_t(uintptr_t(io_bitmaps[1])));
    vmwrite(PRIMARY, (primary & ~(1u << 24)) | (1u << 25) | (1u << 7)); /* I/O bitmaps, HLT exiting */
    uint32_t code = base + DEVICE_OFFSET;

    vmwrite(GUEST_RIP, code + MMIO_READ);
    bool exited = enter_l2(false);
    expect_hlt_exit_at("l2_read_of_l1s_local_apic_through_l1s_ept_runs_to_its_hlt", exited, code + MMIO_READ_HLT);
    expect_value("l2_reads_l1s_local_apic_version_as_l1_does", vmx_l2_eax, read_l1_apic(APIC_VERSION));

    uint32_t tpr = read_l1_apic(APIC_TPR);
    vmwrite(GUEST_RIP, code + MMIO_WRITE);
    exited = enter_l2(false);
    expect_hlt_exit_at("l2_write_to_l1s_local_apic_through_l1s_ept_runs_to_its_hlt", exited, code + MMIO_WRITE_HLT);
    expect_value("l1_sees_the_tpr_l2_wrote_through_l1s_ept", read_l1_apic(APIC_TPR), 0x20);
    *reinterpret_cast<volatile uint32_t*>(L1_APIC + APIC_TPR) = tpr;

    program_pics(0xFFFF);
    out8(0x21, 0xA5);
    for (uint32_t i = 0; i < 4; ++i)
        string_page[i] = 0;
    vmwrite(GUEST_RIP, code + INS);
    exited = enter_l2(false);
    expect_hlt_exit_at("l2_rep_insb_under_l1s_ept_runs_to_its_hlt", exited, code + INS_HLT);
    Text ins;
    ins.add("L1's page holds ").add_hex(string_page[0]).add(" ").add_hex(string_page[1]).add(" ")
        .add_hex(string_page[2]).add(" ").add_hex(string_page[3]);
    check("l2_rep_insb_lands_in_the_page_l1s_ept_maps", string_page[0] == 0xA5 && string_page[1] == 0xA5 &&
          string_page[2] == 0xA5 && string_page[3] == 0, ins.c_str());

    string_page[0x10] = 0x5A;
    string_page[0x11] = 0xC3;
    vmwrite(GUEST_RIP, code + OUTS);
    exited = enter_l2(false);
    expect_hlt_exit_at("l2_rep_outsb_under_l1s_ept_runs_to_its_hlt", exited, code + OUTS_HLT);
    expect_value("l2_rep_outsb_sends_the_page_l1s_ept_maps", in8(0x21), 0xC3);

    check_string_io_refused_by_l1s_ept(code);
    program_pics(0xFFFF);
    ept_pd[3] = 0;
    vmwrite(PRIMARY, primary);
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
    /* The shadow VMCS takes L1's VMWRITEs only of the fields a hypervisor writes
     * for most entries (RIP, ...; docs/nested-l2.md): GUEST_SYSENTER_CS is not
     * one, so its VMWRITE exits to L0's emulation. L1 sees that only in time
     * (Bochs' TSC counts L0's instructions too): VMREAD through the shadow
     * gives the value back at once, and L2 runs with it (its RDMSR below). */
    uint32_t start = rdtsc_low();
    vmwrite(GUEST_SYSENTER_CS, 0x1234);
    uint32_t emulated = rdtsc_low() - start;
    expect_value("vmread_through_the_shadow_gives_an_emulated_vmwrite_back", vmread(GUEST_SYSENTER_CS), 0x1234);
    start = rdtsc_low();
    vmwrite(GUEST_RIP, base + PASS_OFFSET);
    uint32_t shadowed = rdtsc_low() - start;
    Text cycles;
    cycles.add("VMWRITE of GUEST_SYSENTER_CS ").add_decimal(int32_t(emulated)).add(" cycles, of GUEST_RIP ")
        .add_decimal(int32_t(shadowed));
    /* An exit to L0 and back is several hundred instructions (~800 for an
     * emulated VMWRITE, make bench row 9d), the shadow's VMWRITE one. */
    check("vmwrite_of_guest_sysenter_cs_exits_and_of_guest_rip_does_not", emulated > 300 && shadowed < 200,
          cycles.c_str());
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

/* L2's RDMSR of IA32_TIME_STAMP_COUNTER that L1's MSR bitmap lets through reads
 * L2's TSC (L1's plus VMCS12's TSC offset), as L2's RDTSC does ("Changes to
 * Instruction Behavior in VMX Non-Root Operation"). The offset is 100H in the
 * high half, so L2's high halves lie 100H above L1's around the entry. L2's
 * WRMSR of it writes the TSC itself, which L1 then reads. */
void check_l2_reads_its_tsc(uint32_t base)
{
    if (!((read_msr(TRUE_PROCBASED) >> 32) & (1u << 3))) {
        check("l2_tsc_needs_tsc_offsetting", false, "not offered");
        return;
    }
    volatile uint32_t* tsc_high = reinterpret_cast<volatile uint32_t*>(l2_stack + 0x100);
    const uint8_t program[] = {0xB9, 0x10, 0x00, 0x00, 0x00, 0x0F, 0x32, 0x89, 0x15, 0, 0, 0, 0,
                               0x0F, 0x31, 0x89, 0x15, 0, 0, 0, 0, 0xF4,
                               0xB9, 0x10, 0x00, 0x00, 0x00, 0xBA, 0x00, 0x05, 0x00, 0x00, 0x31, 0xC0, 0x0F, 0x30,
                               0x0F, 0x31, 0x89, 0x15, 0, 0, 0, 0, 0xF4};
    static_assert(sizeof(program) == TSC_WRITE_HLT + 1);
    for (uint32_t i = 0; i < sizeof(program); ++i)
        l2_code[TSC_OFFSET_IN_CODE + i] = program[i];
    for (uint32_t i = 0; i < 4; ++i) {
        l2_code[TSC_OFFSET_IN_CODE + 9 + i] = uint8_t(uint32_t(uintptr_t(tsc_high)) >> (8 * i));
        l2_code[TSC_OFFSET_IN_CODE + 17 + i] = uint8_t(uint32_t(uintptr_t(tsc_high + 1)) >> (8 * i));
        l2_code[TSC_OFFSET_IN_CODE + 40 + i] = uint8_t(uint32_t(uintptr_t(tsc_high + 2)) >> (8 * i));
    }
    for (uint32_t i = 0; i < 4096; ++i)
        msr_bitmap[i] = 0xFF;
    msr_bitmap[0x10 / 8] &= uint8_t(~(1u << (0x10 % 8)));          /* RDMSR IA32_TIME_STAMP_COUNTER */
    msr_bitmap[2048 + 0x10 / 8] &= uint8_t(~(1u << (0x10 % 8))); /* WRMSR of it */
    vmwrite64(MSR_BITMAP, uint32_t(uintptr_t(msr_bitmap)));
    uint32_t primary = vmread(PRIMARY);
    vmwrite(PRIMARY, primary | (1u << 3) | (1u << 28)); /* TSC offsetting, MSR bitmaps */
    vmwrite64(TSC_OFFSET_FIELD, 0x100ull << 32);
    tsc_high[0] = 0;
    tsc_high[1] = 0;
    tsc_high[2] = 0;
    uint32_t before = rdtsc_high();
    vmwrite(GUEST_RIP, base + TSC_OFFSET_IN_CODE);
    bool exited = enter_l2(false);
    uint32_t after = rdtsc_high();
    /* Before the next entry overwrites the exit fields. */
    expect_hlt_exit_at("l2_rdmsr_and_rdtsc_of_its_tsc_run_to_its_hlt", exited, base + TSC_OFFSET_IN_CODE + TSC_HLT);
    vmwrite(GUEST_RIP, base + TSC_OFFSET_IN_CODE + TSC_WRITE);
    bool wrote = enter_l2(false);
    uint32_t l1_after_write = rdtsc_high();
    vmwrite64(TSC_OFFSET_FIELD, 0);
    vmwrite(PRIMARY, primary);
    Text reason;
    reason.add("L1's high half ").add_hex(before).add("..").add_hex(after).add(", L2's RDMSR ").add_hex(tsc_high[0])
        .add(", RDTSC ").add_hex(tsc_high[1]);
    check("l2_rdmsr_of_the_tsc_l1_lets_through_reads_l2s_offset_tsc",
          tsc_high[0] >= before + 0x100 && tsc_high[0] <= after + 0x100, reason.c_str());
    check("l2_rdtsc_reads_l2s_offset_tsc", tsc_high[1] >= before + 0x100 && tsc_high[1] <= after + 0x100,
          reason.c_str());
    /* WRMSR writes the TSC itself: L1's TSC becomes 500H:0, L2 reads it plus
     * VMCS12's offset. */
    expect_hlt_exit_at("l2_wrmsr_of_the_tsc_runs_to_its_hlt", wrote, base + TSC_OFFSET_IN_CODE + TSC_WRITE_HLT);
    Text written;
    written.add("L2's RDTSC after its WRMSR ").add_hex(tsc_high[2]).add(", L1's ").add_hex(l1_after_write);
    check("l2_wrmsr_of_the_tsc_l1_lets_through_sets_the_tsc_l1_reads", l1_after_write == 0x500, written.c_str());
    check("l2_reads_the_tsc_it_wrote_plus_l1s_offset", tsc_high[2] == 0x600, written.c_str());
}

} // namespace guest::l2
