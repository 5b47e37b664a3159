/* hypervisor/svm/string_io_decode.h: the prefixes of INS/OUTS as the AMD64 APM
 * Vol. 3 "Legacy Prefixes" define them, in each code size. */
#include "hypervisor/svm/string_io_decode.h"
#include "unit_test.h"

using namespace svm;

UNIT_TEST(string_io_without_prefixes_uses_ds_and_the_code_size)
{
    const uint8_t outsb[] = {0x6E};
    StringIoOperands o = decode_string_io(outsb, sizeof(outsb), CodeSize::bits32);
    CHECK(o.ok);
    CHECK(o.segment == SegmentRegister::ds);
    CHECK_EQ(o.address_bits, 32u);
    CHECK_EQ(decode_string_io(outsb, 1, CodeSize::bits16).address_bits, 16u);
    CHECK_EQ(decode_string_io(outsb, 1, CodeSize::bits64).address_bits, 64u);
}

UNIT_TEST(string_io_segment_override_and_address_size_prefix)
{
    const uint8_t rep_fs_outsw[] = {0xF3, 0x66, 0x64, 0x6F};
    StringIoOperands o = decode_string_io(rep_fs_outsw, sizeof(rep_fs_outsw), CodeSize::bits32);
    CHECK(o.ok && o.segment == SegmentRegister::fs && o.address_bits == 32u);
    const uint8_t a16_es_insd[] = {0x67, 0x26, 0xF3, 0x6D};
    o = decode_string_io(a16_es_insd, sizeof(a16_es_insd), CodeSize::bits32);
    CHECK(o.ok && o.segment == SegmentRegister::es && o.address_bits == 16u);
    const uint8_t a32_rex_outsd[] = {0x67, 0xF3, 0x48, 0x6F};
    o = decode_string_io(a32_rex_outsd, sizeof(a32_rex_outsd), CodeSize::bits64);
    CHECK(o.ok && o.address_bits == 32u);
    const uint8_t a32_in_16bit_code[] = {0x67, 0x6C};
    CHECK_EQ(decode_string_io(a32_in_16bit_code, 2, CodeSize::bits16).address_bits, 32u);
}

UNIT_TEST(string_io_decode_refuses_other_opcodes_and_endless_prefixes)
{
    const uint8_t out_dx_al[] = {0xEE};
    CHECK(!decode_string_io(out_dx_al, 1, CodeSize::bits32).ok);
    /* 0x48 is DEC EAX outside 64-bit mode, not a REX prefix. */
    const uint8_t dec_then_outsb[] = {0x48, 0x6E};
    CHECK(!decode_string_io(dec_then_outsb, 2, CodeSize::bits32).ok);
    uint8_t prefixes[20];
    for (uint8_t& b : prefixes)
        b = 0x66;
    prefixes[19] = 0x6E;
    CHECK(!decode_string_io(prefixes, sizeof(prefixes), CodeSize::bits32).ok); /* past 15 bytes */
    CHECK(!decode_string_io(prefixes, 0, CodeSize::bits32).ok);
}
