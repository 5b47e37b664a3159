/* strtol, strtoul and atoi, with C's rules for prefixes, signs and overflow. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

namespace {

int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Parses the magnitude; sets *overflow when it exceeds `limit`. Returns where the
 * digits ended, or `text` itself when there were none. */
const char* parse_magnitude(const char* text, int base, unsigned long limit, unsigned long* value, bool* overflow)
{
    const char* p = text;
    *value = 0;
    *overflow = false;
    for (; digit_value(*p) < base; ++p) {
        unsigned long digit = unsigned(digit_value(*p));
        if (*value > (limit - digit) / unsigned(base))
            *overflow = true;
        else
            *value = *value * unsigned(base) + digit;
    }
    return p;
}

/* Skips spaces, the sign and a base prefix; returns where digits start. */
const char* parse_prefix(const char* text, int* base, bool* negative)
{
    while (is_space(*text))
        ++text;
    *negative = *text == '-';
    if (*text == '+' || *text == '-')
        ++text;
    bool hex_prefix = text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && digit_value(text[2]) < 16;
    if ((*base == 0 || *base == 16) && hex_prefix) {
        *base = 16;
        return text + 2;
    }
    if (*base == 0)
        *base = text[0] == '0' ? 8 : 10;
    return text;
}

} // namespace

extern "C" {

long strtol(const char* text, char** end, int base)
{
    bool negative;
    const char* digits = parse_prefix(text, &base, &negative);
    unsigned long limit = negative ? static_cast<unsigned long>(LONG_MAX) + 1 : LONG_MAX;
    unsigned long magnitude;
    bool overflow;
    const char* stop = (base >= 2 && base <= 36) ? parse_magnitude(digits, base, limit, &magnitude, &overflow) : digits;
    if (end)
        *end = const_cast<char*>(stop == digits ? text : stop);
    if (stop == digits)
        return 0;
    if (overflow) {
        errno = ERANGE;
        return negative ? LONG_MIN : LONG_MAX;
    }
    return negative ? long(0UL - magnitude) : long(magnitude);
}

unsigned long strtoul(const char* text, char** end, int base)
{
    bool negative;
    const char* digits = parse_prefix(text, &base, &negative);
    unsigned long magnitude;
    bool overflow;
    const char* stop = (base >= 2 && base <= 36) ? parse_magnitude(digits, base, ULONG_MAX, &magnitude, &overflow) : digits;
    if (end)
        *end = const_cast<char*>(stop == digits ? text : stop);
    if (stop == digits)
        return 0;
    if (overflow) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return negative ? 0UL - magnitude : magnitude;
}

int atoi(const char* text) { return int(strtol(text, nullptr, 10)); }

} // extern "C"
