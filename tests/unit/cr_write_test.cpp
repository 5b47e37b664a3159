/* hypervisor/svm/cr_write.h: decoding the instructions that write CR0, CR4 and
 * CR8, and the #GP checks of the AMD64 APM Vol. 2 "CR0 Register" and "CR8". */
#include "hypervisor/svm/cr_write.h"
#include "unit_test.h"

using namespace svm;

UNIT_TEST(cr0_write_decodes_mov_clts_and_lmsw)
{
    const uint8_t mov_cr0_eax[] = {0x0F, 0x22, 0xC0};
    Cr0Write w = decode_cr0_write(mov_cr0_eax, sizeof(mov_cr0_eax), false);
    CHECK(w.kind == Cr0WriteKind::mov_from_register && w.control_register == 0 && w.source == 0 && w.length == 3);
    const uint8_t mov_cr4_edx[] = {0x0F, 0x22, 0xE2};
    w = decode_cr0_write(mov_cr4_edx, sizeof(mov_cr4_edx), false);
    CHECK(w.kind == Cr0WriteKind::mov_from_register && w.control_register == 4 && w.source == 2);
    const uint8_t mov_cr3_eax[] = {0x0F, 0x22, 0xD8};
    CHECK(decode_cr0_write(mov_cr3_eax, 3, false).kind == Cr0WriteKind::none);
    const uint8_t mov_cr0_r9[] = {0x41, 0x0F, 0x22, 0xC1};
    w = decode_cr0_write(mov_cr0_r9, sizeof(mov_cr0_r9), true);
    CHECK(w.kind == Cr0WriteKind::mov_from_register && w.source == 9 && w.length == 4);
    /* Outside 64-bit mode 0x41 is INC ECX: nothing to decode. */
    CHECK(decode_cr0_write(mov_cr0_r9, sizeof(mov_cr0_r9), false).kind == Cr0WriteKind::none);
    const uint8_t clts[] = {0x0F, 0x06};
    CHECK(decode_cr0_write(clts, 2, false).kind == Cr0WriteKind::clts);
    const uint8_t lmsw_si[] = {0x0F, 0x01, 0xF6};
    w = decode_cr0_write(lmsw_si, 3, false);
    CHECK(w.kind == Cr0WriteKind::lmsw_register && w.source == 6);
    const uint8_t lmsw_memory[] = {0x0F, 0x01, 0x30};
    CHECK(decode_cr0_write(lmsw_memory, 3, false).kind == Cr0WriteKind::none);
    const uint8_t mov_cr12[] = {0x44, 0x0F, 0x22, 0xE0}; /* REX.R with reg 4: CR12 */
    CHECK(decode_cr0_write(mov_cr12, 4, true).kind == Cr0WriteKind::none);
    CHECK(decode_cr0_write(mov_cr0_eax, 2, false).kind == Cr0WriteKind::none); /* cut short */
}

UNIT_TEST(cr8_write_decodes_with_rex_r_in_64_bit_code_only)
{
    const uint8_t mov_cr8_rax[] = {0x44, 0x0F, 0x22, 0xC0}; /* REX.R: CR8 */
    Cr0Write w = decode_cr0_write(mov_cr8_rax, sizeof(mov_cr8_rax), true);
    CHECK(w.kind == Cr0WriteKind::mov_from_register && w.control_register == 8 && w.source == 0 && w.length == 4);
    const uint8_t mov_cr8_r11[] = {0x45, 0x0F, 0x22, 0xC3}; /* REX.R and REX.B */
    w = decode_cr0_write(mov_cr8_r11, sizeof(mov_cr8_r11), true);
    CHECK(w.kind == Cr0WriteKind::mov_from_register && w.control_register == 8 && w.source == 11);
    /* A legacy prefix between REX and the opcode cancels the REX: CR0 again. */
    const uint8_t rex_then_66[] = {0x44, 0x66, 0x0F, 0x22, 0xC0};
    w = decode_cr0_write(rex_then_66, sizeof(rex_then_66), true);
    CHECK(w.kind == Cr0WriteKind::mov_from_register && w.control_register == 0 && w.length == 5);
    /* Outside 64-bit mode 0x44 is INC ESP. */
    CHECK(decode_cr0_write(mov_cr8_rax, sizeof(mov_cr8_rax), false).kind == Cr0WriteKind::none);
    CHECK(!cr8_write_faults(0xF));
    CHECK(cr8_write_faults(0x10));
    CHECK(cr8_write_faults(1ull << 63));
}

UNIT_TEST(cr0_write_faults_as_hardware_does)
{
    CHECK(!cr0_write_faults(0x80000011, CR4_PAE, EFER_LME));
    CHECK(cr0_write_faults(0x80000010, 0, 0));              /* PG without PE */
    CHECK(cr0_write_faults(0x20000011, 0, 0));              /* NW without CD */
    CHECK(!cr0_write_faults(0x60000011, 0, 0));             /* NW with CD */
    CHECK(cr0_write_faults(0x100000011ull, 0, 0));          /* bits 63:32 */
    CHECK(cr0_write_faults(0x80000011, 0, EFER_LME));       /* long mode without PAE */
    CHECK(!cr0_write_faults(0x80000011, 0, 0));             /* 32-bit paging */
}

UNIT_TEST(cr0_after_lmsw_cannot_clear_pe_and_clts_clears_ts)
{
    CHECK_EQ(cr0_after(Cr0WriteKind::lmsw_register, 0x11, 0x0), 0x11ull);
    CHECK_EQ(cr0_after(Cr0WriteKind::lmsw_register, 0x10, 0xF), 0x1Full);
    CHECK_EQ(cr0_after(Cr0WriteKind::lmsw_register, 0x80000011, 0xFFFF0000), 0x80000011ull);
    CHECK_EQ(cr0_after(Cr0WriteKind::clts, 0x8000001B, 0), 0x80000013ull);
    CHECK_EQ(cr0_after(Cr0WriteKind::mov_from_register, 0x11, 0x80000011), 0x80000011ull);
}

UNIT_TEST(cr4_write_refuses_unoffered_bits_and_pae_off_in_long_mode)
{
    CHECK(!cr4_write_faults(0x6B0, CR4_ALWAYS_ALLOWED, false));
    CHECK(cr4_write_faults(1u << 13, CR4_ALWAYS_ALLOWED, false)); /* VMXE */
    CHECK(cr4_write_faults(1u << 18, CR4_ALWAYS_ALLOWED, false)); /* OSXSAVE */
    CHECK(cr4_write_faults(0xFC000000u, CR4_ALWAYS_ALLOWED, false)); /* reserved */
    CHECK(!cr4_write_faults(1u << 20, CR4_ALWAYS_ALLOWED | (1u << 20), false)); /* SMEP where offered */
    CHECK(cr4_write_faults(0x80, CR4_ALWAYS_ALLOWED, true));  /* PAE off in long mode */
    CHECK(!cr4_write_faults(0xA0, CR4_ALWAYS_ALLOWED, true));
}
