/* Test guest "vmx_l1": a guest offered VMX (hypervisor/nested, docs/nested.md)
 * acting as a hypervisor (L1) checks each VMX instruction's success and failure
 * cases against the Intel SDM (revision 084), Vol. 3C, chapter "VMX Instruction
 * Reference" (the operation pseudocode of each instruction and "VM Instruction
 * Error Numbers"), and the capability MSRs of Vol. 3D, Appendix A. It runs in
 * 32-bit protected mode: with paging turned on for VMXON (CR0 fixed bits),
 * its operands are 32 bits wide. */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/text.h"
#include "common/vmx.h"
#include "kernel/arch/x86_64/control_registers.h"

namespace guest {

const char GUEST_NAME[] = "vmx_l1";

namespace {

constexpr uint32_t IA32_FEATURE_CONTROL = 0x3A;
constexpr uint32_t IA32_VMX_BASIC = 0x480, IA32_VMX_CR0_FIXED0 = 0x486, IA32_VMX_EPT_VPID_CAP = 0x48C;
constexpr uint32_t VECTOR_PAGE_FAULT = 14;
/* VMCS encodings (Appendix B). */
constexpr uint32_t GUEST_CS_SELECTOR = 0x0802, TSC_OFFSET = 0x2010, PML_ADDRESS = 0x200E;
constexpr uint32_t VM_INSTRUCTION_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_QUALIFICATION = 0x6400;
constexpr uint32_t GUEST_RIP = 0x681E;
constexpr uint64_t NO_VMCS = ~0ull;
/* A linear address whose page directory entry this guest leaves not present. */
constexpr uint32_t UNMAPPED = 0xC0000000;

alignas(4096) uint32_t page_directory[1024];
alignas(4096) uint8_t vmxon_region[4096];
alignas(4096) uint8_t vmcs_a[4096];
alignas(4096) uint8_t vmcs_b[4096];
alignas(4096) uint8_t wrong_revision[4096];
alignas(4096) uint8_t ept_root[4096];

uint32_t revision = 0;

uint64_t address_of(const void* p) { return uint32_t(uintptr_t(p)); }

/* Checks one instruction's outcome; VMfailValid also its error number, a fault
 * its vector. Resets the fault log for the next one. */
void expect(const char* name, uint32_t flags, Outcome wanted, uint32_t error_or_vector = 0)
{
    Outcome got = outcome_of(flags);
    FaultLog log = fault_log();
    reset_fault_log();
    uint32_t error = 0;
    if (got == Outcome::fail_valid)
        (void)vmread(VM_INSTRUCTION_ERROR, error);
    reset_fault_log();
    Text reason;
    reason.add(outcome_name(got));
    if (got == Outcome::fault)
        reason.add(" ").add(exception_name(log.vector)).add(" error code ").add_hex(log.error_code);
    if (got == Outcome::fail_valid)
        reason.add(" error ").add_decimal(int32_t(error));
    bool passed = got == wanted && (wanted != Outcome::fail_valid || error == error_or_vector) &&
                  (wanted != Outcome::fault || log.vector == error_or_vector);
    check(name, passed, reason.c_str());
}

void expect_value(const char* name, uint32_t got, uint32_t wanted)
{
    Text reason;
    reason.add("read ").add_hex(got).add(", expected ").add_hex(wanted);
    check(name, got == wanted, reason.c_str());
}

void write_revision(uint8_t* region, uint32_t value) { *reinterpret_cast<volatile uint32_t*>(region) = value; }

/* ---- the checks, in the order an L1 hypervisor meets them */

bool check_capabilities()
{
    reset_fault_log();
    bool shown = cpuid(1).ecx & CPUID_1_ECX_VMX;
    check("cpuid_shows_vmx", shown, "CPUID.1:ECX[5] is clear: is vm_nested=off?");
    if (!shown)
        return false;
    expect_value("feature_control_locked_with_vmx_outside_smx", uint32_t(read_msr(IA32_FEATURE_CONTROL)) & 5, 5);
    uint64_t basic = read_msr(IA32_VMX_BASIC);
    revision = uint32_t(basic) & 0x7FFFFFFF;
    check("vmx_basic_reads", fault_log().count == 0 && revision != 0, "RDMSR 480H faulted or revision 0");
    expect_value("vmx_basic_region_size_is_4096", uint32_t(basic >> 32) & 0x1FFF, 4096);
    check("vmx_basic_has_true_controls", (basic >> 55) & 1, "bit 55 clear");
    reset_fault_log();
    write_msr(IA32_VMX_BASIC, basic);
    check("vmx_capability_msrs_are_read_only", fault_log().count == 1 && fault_log().vector == VECTOR_GENERAL_PROTECTION,
          "WRMSR 480H did not raise #GP");
    reset_fault_log();
    (void)read_msr(0x491);
    check("vmx_vmfunc_msr_absent", fault_log().count == 1, "IA32_VMX_VMFUNC read although VM functions are refused");
    reset_fault_log();
    return true;
}

void check_undefined_outside_vmx_operation()
{
    /* "IF (register operand) or (CR0.PE = 0) or (CR4.VMXE = 0) ... THEN #UD". */
    expect("vmxon_with_cr4_vmxe_clear_raises_ud", vmxon(address_of(vmxon_region)), Outcome::fault, VECTOR_INVALID_OPCODE);
    write_cr4(read_cr4() | uint32_t(CR4_VMXE));
    check("cr4_vmxe_can_be_set", fault_log().count == 0 && (read_cr4() & CR4_VMXE), "MOV to CR4.VMXE faulted");
    reset_fault_log();
    /* "IF (not in VMX operation) ... THEN #UD" for all the others. */
    uint64_t pointer = 0;
    uint32_t value = 0;
    expect("vmptrst_outside_vmx_operation_raises_ud", vmptrst(&pointer), Outcome::fault, VECTOR_INVALID_OPCODE);
    expect("vmread_outside_vmx_operation_raises_ud", vmread(GUEST_RIP, value), Outcome::fault, VECTOR_INVALID_OPCODE);
    expect("vmxoff_outside_vmx_operation_raises_ud", vmxoff(), Outcome::fault, VECTOR_INVALID_OPCODE);
    expect("vmlaunch_outside_vmx_operation_raises_ud", vmlaunch(), Outcome::fault, VECTOR_INVALID_OPCODE);
    expect("vmclear_outside_vmx_operation_raises_ud", vmclear(address_of(vmcs_a)), Outcome::fault, VECTOR_INVALID_OPCODE);
    uint64_t descriptor[2] = {0, 0};
    expect("invept_outside_vmx_operation_raises_ud", invept(2, descriptor), Outcome::fault, VECTOR_INVALID_OPCODE);
}

void enable_paging()
{
    /* 4 MiB pages mapping the low 3 GiB one to one; UNMAPPED and above stay out. */
    for (uint32_t i = 0; i < 1024; ++i)
        page_directory[i] = i < (UNMAPPED >> 22) ? (i << 22) | 0x83 : 0; /* P, R/W, PS */
    asm volatile("mov %0, %%cr3" : : "r"(uint32_t(uintptr_t(page_directory))) : "memory");
    write_cr4(read_cr4() | uint32_t(CR4_PSE));
    write_cr0(read_cr0() | uint32_t(CR0_PG));
}

void check_vmxon()
{
    /* "IF ... the values of CR0 and CR4 are not supported in VMX operation THEN #GP(0)". */
    uint32_t fixed0 = uint32_t(read_msr(IA32_VMX_CR0_FIXED0));
    write_cr0(read_cr0() & ~uint32_t(CR0_NE));
    reset_fault_log();
    if (fixed0 & CR0_PG)
        expect("vmxon_with_paging_off_raises_gp", vmxon(address_of(vmxon_region)), Outcome::fault,
               VECTOR_GENERAL_PROTECTION);
    enable_paging();
    check("paging_turns_on", fault_log().count == 0 && (read_cr0() & CR0_PG), "could not enable paging");
    reset_fault_log();
    if (fixed0 & CR0_NE)
        expect("vmxon_with_cr0_ne_clear_raises_gp", vmxon(address_of(vmxon_region)), Outcome::fault,
               VECTOR_GENERAL_PROTECTION);
    write_cr0(read_cr0() | uint32_t(CR0_NE));
    reset_fault_log();

    /* "IF addr is not 4KB-aligned or sets bits beyond the physical-address width
     * THEN VMfailInvalid; ... IF rev[30:0] != VMCS revision or rev[31] = 1 THEN
     * VMfailInvalid". */
    write_revision(vmxon_region, revision);
    write_revision(wrong_revision, revision ^ 1);
    expect("vmxon_misaligned_fails_invalid", vmxon(address_of(vmxon_region) + 8), Outcome::fail_invalid);
    expect("vmxon_beyond_physical_width_fails_invalid", vmxon(1ull << 52), Outcome::fail_invalid);
    expect("vmxon_outside_guest_ram_fails_invalid", vmxon(0x40000000), Outcome::fail_invalid);
    expect("vmxon_wrong_revision_fails_invalid", vmxon(address_of(wrong_revision)), Outcome::fail_invalid);
    write_revision(wrong_revision, revision | 0x80000000u);
    expect("vmxon_shadow_indicator_fails_invalid", vmxon(address_of(wrong_revision)), Outcome::fail_invalid);
    write_revision(wrong_revision, revision ^ 1);
    expect("vmxon_succeeds", vmxon(address_of(vmxon_region)), Outcome::succeed);
    /* MOV to CR4 may not clear VMXE in VMX operation. */
    write_cr4(read_cr4() & ~uint32_t(CR4_VMXE));
    check("cr4_vmxe_cannot_be_cleared_in_vmx_operation",
          fault_log().count == 1 && fault_log().vector == VECTOR_GENERAL_PROTECTION, "no #GP");
    reset_fault_log();
    /* VMfail without a current VMCS is VMfailInvalid. */
    expect("vmxon_in_vmx_operation_without_current_vmcs_fails_invalid", vmxon(address_of(vmxon_region)),
           Outcome::fail_invalid);
}

void check_without_current_vmcs()
{
    uint64_t pointer = 0;
    uint32_t value = 0;
    expect("vmptrst_without_current_vmcs_succeeds", vmptrst(&pointer), Outcome::succeed);
    check("vmptrst_without_current_vmcs_stores_all_ones", pointer == NO_VMCS, "not FFFFFFFF_FFFFFFFFH");
    expect("vmread_without_current_vmcs_fails_invalid", vmread(GUEST_RIP, value), Outcome::fail_invalid);
    expect("vmwrite_without_current_vmcs_fails_invalid", vmwrite(GUEST_RIP, 1), Outcome::fail_invalid);
    expect("vmlaunch_without_current_vmcs_fails_invalid", vmlaunch(), Outcome::fail_invalid);
    expect("vmresume_without_current_vmcs_fails_invalid", vmresume(), Outcome::fail_invalid);
    expect("vmclear_misaligned_without_current_vmcs_fails_invalid", vmclear(address_of(vmcs_a) + 16),
           Outcome::fail_invalid);
    expect("vmptrld_vmxon_pointer_without_current_vmcs_fails_invalid", vmptrld(address_of(vmxon_region)),
           Outcome::fail_invalid);
}

void check_vmclear_and_vmptrld()
{
    write_revision(vmcs_a, revision);
    write_revision(vmcs_b, revision);
    expect("vmclear_succeeds", vmclear(address_of(vmcs_a)), Outcome::succeed);
    expect("vmptrld_succeeds", vmptrld(address_of(vmcs_a)), Outcome::succeed);
    uint64_t pointer = 0;
    expect("vmptrst_succeeds", vmptrst(&pointer), Outcome::succeed);
    check("vmptrst_stores_the_current_vmcs", pointer == address_of(vmcs_a), "another address");
    /* With a current VMCS, VMfail is VMfailValid with the error number. */
    expect("vmxon_in_vmx_root_operation_fails_valid_15", vmxon(address_of(vmxon_region)), Outcome::fail_valid, 15);
    expect("vmclear_misaligned_fails_valid_2", vmclear(address_of(vmcs_b) + 16), Outcome::fail_valid, 2);
    expect("vmclear_beyond_physical_width_fails_valid_2", vmclear(1ull << 52), Outcome::fail_valid, 2);
    expect("vmclear_vmxon_pointer_fails_valid_3", vmclear(address_of(vmxon_region)), Outcome::fail_valid, 3);
    expect("vmptrld_misaligned_fails_valid_9", vmptrld(address_of(vmcs_b) + 16), Outcome::fail_valid, 9);
    expect("vmptrld_outside_guest_ram_fails_valid_9", vmptrld(0x40000000), Outcome::fail_valid, 9);
    expect("vmptrld_vmxon_pointer_fails_valid_10", vmptrld(address_of(vmxon_region)), Outcome::fail_valid, 10);
    expect("vmptrld_wrong_revision_fails_valid_11", vmptrld(address_of(wrong_revision)), Outcome::fail_valid, 11);
    (void)vmptrst(&pointer);
    check("failed_vmptrld_keeps_the_current_vmcs", pointer == address_of(vmcs_a), "the current VMCS changed");
}

void check_vmread_vmwrite()
{
    uint32_t value = 0;
    expect("vmread_unsupported_field_fails_valid_12", vmread(PML_ADDRESS, value), Outcome::fail_valid, 12);
    expect("vmread_reserved_encoding_bits_fail_valid_12", vmread(GUEST_RIP | 0x8000, value), Outcome::fail_valid, 12);
    expect("vmread_high_half_of_natural_field_fails_valid_12", vmread(GUEST_RIP + 1, value), Outcome::fail_valid, 12);
    expect("vmwrite_unsupported_field_fails_valid_12", vmwrite(PML_ADDRESS, 0), Outcome::fail_valid, 12);
    expect("vmwrite_read_only_field_fails_valid_13", vmwrite(EXIT_REASON, 1), Outcome::fail_valid, 13);
    expect("vmread_read_only_field_succeeds", vmread(EXIT_QUALIFICATION, value), Outcome::succeed);

    /* Field widths: a 16-bit field keeps 16 bits; a 64-bit field has a high half
     * of its own; a 32-bit full write clears the high half. */
    expect("vmwrite_16_bit_field_succeeds", vmwrite(GUEST_CS_SELECTOR, 0x12345), Outcome::succeed);
    (void)vmread(GUEST_CS_SELECTOR, value);
    expect_value("vmwrite_16_bit_field_keeps_16_bits", value, 0x2345);
    (void)vmwrite(TSC_OFFSET, 0x89ABCDEF);
    (void)vmwrite(TSC_OFFSET + 1, 0x01234567);
    (void)vmread(TSC_OFFSET, value);
    expect_value("vmread_64_bit_field_full_gives_the_low_half", value, 0x89ABCDEF);
    (void)vmread(TSC_OFFSET + 1, value);
    expect_value("vmread_64_bit_field_high_gives_the_high_half", value, 0x01234567);
    (void)vmwrite(TSC_OFFSET, 5);
    (void)vmread(TSC_OFFSET + 1, value);
    expect_value("vmwrite_32_bit_full_clears_the_high_half", value, 0);
    reset_fault_log();

    /* Memory operands. */
    uint32_t source = 0xFEEDF00D, destination = 0;
    expect("vmwrite_from_memory_succeeds", vmwrite_from_memory(GUEST_RIP, source), Outcome::succeed);
    expect("vmread_to_memory_succeeds", vmread_to_memory(GUEST_RIP, destination), Outcome::succeed);
    expect_value("vmread_to_memory_stores_the_field", destination, 0xFEEDF00D);
    /* A memory operand on a page that is not present: #PF with CR2 = its address. */
    expect("vmptrst_to_a_page_not_present_raises_pf", vmptrst_to(UNMAPPED), Outcome::fault, VECTOR_PAGE_FAULT);
}

void check_launch_state()
{
    expect("vmresume_with_clear_vmcs_fails_valid_5", vmresume(), Outcome::fail_valid, 5);
    expect("vmlaunch_after_mov_ss_fails_valid_26", vmlaunch_after_mov_ss(), Outcome::fail_valid, 26);
    /* Past the launch-state check, an all-zero VMCS12 breaks the control
     * checks ("Checks on VMX Controls": reserved pin-based bits must be 1). */
    expect("vmlaunch_with_invalid_controls_fails_valid_7", vmlaunch(), Outcome::fail_valid, 7);
}

void check_switching_vmcs()
{
    uint32_t value = 0;
    (void)vmwrite(GUEST_RIP, 0xAAAA);
    expect("vmclear_of_another_vmcs_succeeds", vmclear(address_of(vmcs_b)), Outcome::succeed);
    expect("vmptrld_of_another_vmcs_succeeds", vmptrld(address_of(vmcs_b)), Outcome::succeed);
    (void)vmwrite(GUEST_RIP, 0xBBBB);
    (void)vmptrld(address_of(vmcs_a));
    (void)vmread(GUEST_RIP, value);
    expect_value("vmptrld_brings_back_the_first_vmcs_fields", value, 0xAAAA);
    (void)vmptrld(address_of(vmcs_b));
    (void)vmread(GUEST_RIP, value);
    expect_value("vmptrld_brings_back_the_second_vmcs_fields", value, 0xBBBB);
    expect("vmclear_of_the_current_vmcs_succeeds", vmclear(address_of(vmcs_b)), Outcome::succeed);
    uint64_t pointer = 0;
    (void)vmptrst(&pointer);
    check("vmclear_of_the_current_vmcs_leaves_none_current", pointer == NO_VMCS, "a VMCS is still current");
    expect("vmptrld_after_vmclear_succeeds", vmptrld(address_of(vmcs_a)), Outcome::succeed);
}

void check_invept_invvpid()
{
    uint64_t capabilities = read_msr(IA32_VMX_EPT_VPID_CAP);
    check("ept_vpid_cap_offers_invept_and_invvpid", ((capabilities >> 20) & 1) && ((capabilities >> 32) & 1),
          "INVEPT or INVVPID not offered");
    reset_fault_log();
    uint64_t eptp = address_of(ept_root) | 6 | (3 << 3); /* write-back, 4-level walk */
    uint64_t single[2] = {eptp, 0};
    uint64_t bad_walk[2] = {address_of(ept_root) | 6 | (1 << 3), 0};
    expect("invept_all_context_succeeds", invept(2, single), Outcome::succeed);
    expect("invept_single_context_succeeds", invept(1, single), Outcome::succeed);
    expect("invept_single_context_bad_eptp_fails_valid_28", invept(1, bad_walk), Outcome::fail_valid, 28);
    expect("invept_type_0_fails_valid_28", invept(0, single), Outcome::fail_valid, 28);
    expect("invept_type_3_fails_valid_28", invept(3, single), Outcome::fail_valid, 28);
    uint64_t vpid1[2] = {1, 0x1000};
    uint64_t vpid0[2] = {0, 0x1000};
    uint64_t non_canonical[2] = {1, 0x0000800000000000ull};
    uint64_t reserved[2] = {(1ull << 16) | 1, 0};
    expect("invvpid_all_context_succeeds", invvpid(2, vpid0), Outcome::succeed);
    expect("invvpid_single_context_succeeds", invvpid(1, vpid1), Outcome::succeed);
    expect("invvpid_individual_address_succeeds", invvpid(0, vpid1), Outcome::succeed);
    expect("invvpid_single_context_vpid_0_fails_valid_28", invvpid(1, vpid0), Outcome::fail_valid, 28);
    expect("invvpid_non_canonical_address_fails_valid_28", invvpid(0, non_canonical), Outcome::fail_valid, 28);
    expect("invvpid_reserved_descriptor_bits_fail_valid_28", invvpid(2, reserved), Outcome::fail_valid, 28);
    expect("invvpid_type_4_fails_valid_28", invvpid(4, vpid1), Outcome::fail_valid, 28);
}

void check_vmxoff()
{
    uint32_t value = 0;
    (void)vmwrite(GUEST_RIP, 0xCCCC);
    expect("vmxoff_succeeds", vmxoff(), Outcome::succeed);
    expect("vmread_after_vmxoff_raises_ud", vmread(GUEST_RIP, value), Outcome::fault, VECTOR_INVALID_OPCODE);
    write_cr4(read_cr4() & ~uint32_t(CR4_VMXE));
    check("cr4_vmxe_clears_after_vmxoff", fault_log().count == 0 && !(read_cr4() & CR4_VMXE), "MOV to CR4 faulted");
    reset_fault_log();
    /* The current VMCS12 went back to memory at VMXOFF: a new VMX operation reads it. */
    write_cr4(read_cr4() | uint32_t(CR4_VMXE));
    expect("vmxon_again_succeeds", vmxon(address_of(vmxon_region)), Outcome::succeed);
    expect("vmptrld_in_the_new_vmx_operation_succeeds", vmptrld(address_of(vmcs_a)), Outcome::succeed);
    (void)vmread(GUEST_RIP, value);
    expect_value("vmxoff_wrote_the_current_vmcs_back", value, 0xCCCC);
    expect("final_vmxoff_succeeds", vmxoff(), Outcome::succeed);
}

} // namespace

void guest_main()
{
    if (!check_capabilities())
        return;
    check_undefined_outside_vmx_operation();
    check_vmxon();
    check_without_current_vmcs();
    check_vmclear_and_vmptrld();
    check_vmread_vmwrite();
    check_launch_state();
    check_switching_vmcs();
    check_invept_invvpid();
    check_vmxoff();
}

} // namespace guest
