/* kernel/lib/format.cpp against what printf would print. */
/* These tests feed the formatter deliberately odd formats on purpose. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

#include "lib/format.h"
#include "unit_test.h"

#include <cstdint>

namespace {
std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* format, ...)
{
    char buffer[256];
    va_list args;
    va_start(args, format);
    vformat_string(buffer, sizeof(buffer), format, args);
    va_end(args);
    return buffer;
}
} // namespace

UNIT_TEST(format_decimal_signed_and_unsigned)
{
    CHECK_EQ(fmt("%d %i %u", -7, 42, 4000000000u), std::string("-7 42 4000000000"));
    CHECK_EQ(fmt("%ld", (long)INT64_MIN), std::string("-9223372036854775808"));
}

UNIT_TEST(format_hex_octal_and_pointer)
{
    CHECK_EQ(fmt("%x %X %o", 0xbeefu, 0xbeefu, 8u), std::string("beef BEEF 10"));
    CHECK_EQ(fmt("%lx", 0xffffffff80000000ul), std::string("ffffffff80000000"));
    CHECK_EQ(fmt("%p", (void*)0x1000), std::string("0x0000000000001000"));
}

UNIT_TEST(format_width_padding_and_alignment)
{
    CHECK_EQ(fmt("[%5d][%-5d][%05d]", 42, 42, 42), std::string("[   42][42   ][00042]"));
    CHECK_EQ(fmt("[%*s][%-*s]", 4, "ab", 4, "ab"), std::string("[  ab][ab  ]"));
    CHECK_EQ(fmt("[%016lx]", 0xabcul), std::string("[0000000000000abc]"));
}

UNIT_TEST(format_strings_chars_precision_and_null)
{
    CHECK_EQ(fmt("%s|%c|%.3s|%s", "text", 'x', "abcdef", (const char*)nullptr), std::string("text|x|abc|(null)"));
    CHECK_EQ(fmt("100%%"), std::string("100%"));
}

UNIT_TEST(format_size_t_modifier)
{
    CHECK_EQ(fmt("%zu", (size_t)123456789012ull), std::string("123456789012"));
}

UNIT_TEST(format_string_truncates_and_terminates)
{
    char small[6];
    size_t full = format_string(small, sizeof(small), "%s", "overflowing");
    CHECK_EQ(full, size_t(11));
    CHECK_EQ(std::string(small), std::string("overf"));
}

UNIT_TEST(format_unknown_conversion_is_shown)
{
    CHECK_EQ(fmt("%q"), std::string("%q"));
}
