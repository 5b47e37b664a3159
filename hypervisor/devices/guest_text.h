/* Guest text on the host console: a guest's bytes are made printable before the
 * host logs them, so no guest can end a host line early and forge the next one
 * ("\r[host test] SUMMARY: ..." would otherwise read as the host's own line to
 * anything that splits lines on CR, VT, FF, NEL or U+2028, as Python's
 * str.splitlines does), move the terminal's cursor with escape sequences, or
 * write bytes that are not UTF-8. */
#pragma once
#include <stddef.h>

namespace devices {

/* Printable ASCII and TAB stay; every other byte becomes '?'. */
constexpr char printable_guest_char(char c)
{
    auto byte = static_cast<unsigned char>(c);
    return (byte >= 0x20 && byte < 0x7F) || byte == '\t' ? c : '?';
}

inline void make_guest_text_printable(char* text, size_t length)
{
    for (size_t i = 0; i < length; ++i)
        text[i] = printable_guest_char(text[i]);
}

} // namespace devices
