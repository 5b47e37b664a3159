/* Building short messages without printf: a fixed buffer that strings, hex and
 * decimal numbers are appended to, always NUL-terminated, silently cut at its end. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace guest {

size_t string_length(const char* text);
bool strings_equal(const char* a, const char* b);

class Text {
public:
    static constexpr size_t CAPACITY = 160;

    Text& add(const char* text);
    Text& add_hex(uint32_t value); /* 0x1f */
    Text& add_decimal(int32_t value);

    const char* c_str() const { return buffer_; }
    size_t length() const { return length_; }

private:
    Text& add_char(char c);

    char buffer_[CAPACITY] = {};
    size_t length_ = 0;
};

} // namespace guest
