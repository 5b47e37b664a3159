/* Building short messages without printf (see text.h). */
#include "common/text.h"

namespace guest {

size_t string_length(const char* text)
{
    size_t length = 0;
    while (text[length] != '\0')
        ++length;
    return length;
}

bool strings_equal(const char* a, const char* b)
{
    while (*a != '\0' && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

Text& Text::add_char(char c)
{
    /* One byte stays reserved for the terminating NUL. */
    if (length_ + 1 < CAPACITY) {
        buffer_[length_++] = c;
        buffer_[length_] = '\0';
    }
    return *this;
}

Text& Text::add(const char* text)
{
    while (*text != '\0')
        add_char(*text++);
    return *this;
}

Text& Text::add_hex(uint32_t value)
{
    add("0x");
    bool started = false;
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned digit = (value >> shift) & 0xF;
        if (digit != 0 || started || shift == 0) {
            add_char("0123456789abcdef"[digit]);
            started = true;
        }
    }
    return *this;
}

Text& Text::add_decimal(int32_t value)
{
    /* Through uint32_t, so the most negative value needs no special case. */
    uint32_t magnitude = value < 0 ? 0u - uint32_t(value) : uint32_t(value);
    if (value < 0)
        add_char('-');
    char digits[10];
    int count = 0;
    do {
        digits[count++] = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    while (count > 0)
        add_char(digits[--count]);
    return *this;
}

} // namespace guest
