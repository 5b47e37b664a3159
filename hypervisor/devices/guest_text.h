/* Guest text on the host console: a guest's bytes are made printable before the
 * host logs them, so no guest can end a host line early and forge the next one
 * ("\r[host test] SUMMARY: ..." would otherwise read as the host's own line to
 * anything that splits lines on CR, VT, FF, NEL or U+2028, as Python's
 * str.splitlines does), move the terminal's cursor with escape sequences, or
 * write bytes that are not UTF-8. */
#pragma once
#include <stddef.h>
#include <stdint.h>

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

/* The most a relayed piece holds: a whole COM1 line (LineAssembler::MAX_LINE)
 * with its tags and newline. */
constexpr size_t RELAY_PIECE = 192;
using PieceWriter = void (*)(const char* text, size_t length);

/* A guest's line as the host shows it: "[vmN] " ("[vmN:channel] " for another
 * channel), the line made printable, "\n", handed to `write` in pieces of at
 * most RELAY_PIECE bytes from a buffer on the stack (a debug-port line may be
 * LineAssembler::LONG_LINE long). A line of up to RELAY_PIECE - 1 bytes with its
 * tag, every COM1 line, is one piece: one console write, so one VGA cursor
 * update, instead of three (tag, text, newline) - under a hypervisor, where our
 * kernel relays its own guest's lines, each cursor update costs four VM exits. */
void relay_guest_line(int vm_id, const char* channel, const char* text, size_t length, PieceWriter write);

} // namespace devices
