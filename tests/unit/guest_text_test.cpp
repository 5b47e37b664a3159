/* hypervisor/devices/guest_text.h: guest bytes made safe for the host log. */
#include "hypervisor/devices/guest_text.h"
#include "hypervisor/devices/line_assembler.h"
#include "unit_test.h"

#include <cstring>
#include <string>
#include <vector>

using devices::make_guest_text_printable;

/* Regression: a guest's CR (or VT, FF, NEL) let it start what a line splitter
 * takes for a new host line. */
UNIT_TEST(guest_text_with_line_breaks_cannot_forge_a_host_line)
{
    std::string text = "x\r[host test] SUMMARY: 1 passed\x0b\x0c\x1c\x85\xe2\x80\xa8";
    make_guest_text_printable(text.data(), text.size());
    CHECK_EQ(text, std::string("x?[host test] SUMMARY: 1 passed???????"));
}

UNIT_TEST(guest_text_keeps_printable_ascii_and_tabs)
{
    std::string text = "hello\tworld ~!";
    make_guest_text_printable(text.data(), text.size());
    CHECK_EQ(text, std::string("hello\tworld ~!"));
}

UNIT_TEST(guest_text_escapes_and_nul_become_question_marks)
{
    char text[] = {'\x1b', '[', '2', 'J', '\0', '\x7f', 'a'};
    make_guest_text_printable(text, sizeof(text));
    CHECK(std::memcmp(text, "?[2J??a", sizeof(text)) == 0);
}

namespace {

/* What relay_guest_line hands to the console, piece by piece. */
std::vector<std::string> relayed_pieces;
void collect_piece(const char* text, size_t length) { relayed_pieces.emplace_back(text, length); }

std::vector<std::string> relay(int vm_id, const char* channel, const std::string& line)
{
    relayed_pieces.clear();
    devices::relay_guest_line(vm_id, channel, line.data(), line.size(), collect_piece);
    return relayed_pieces;
}

std::string joined(const std::vector<std::string>& pieces)
{
    std::string all;
    for (const std::string& piece : pieces)
        all += piece;
    return all;
}

} // namespace

/* A COM1 line, even the longest the line assembler hands out with two levels
 * of tags before it, reaches the console in one write: one VGA cursor update. */
UNIT_TEST(relayed_com1_line_is_one_console_write)
{
    CHECK(relay(1, "", "/$ ls") == std::vector<std::string>{"[vm1] /$ ls\n"});
    std::string longest = "[vm1] [vm1] " + std::string(devices::LineAssembler::MAX_LINE - 12, 'x');
    std::vector<std::string> pieces = relay(12345, "", longest);
    CHECK_EQ(pieces.size(), size_t(1));
    CHECK_EQ(pieces[0], "[vm12345] " + longest + "\n");
}

UNIT_TEST(relayed_empty_line_is_the_tag_and_a_newline)
{
    CHECK(relay(2, ":e9", "") == std::vector<std::string>{"[vm2:e9] \n"});
}

/* A debug-port line may be LONG_LINE long: pieces of at most RELAY_PIECE
 * bytes, the tag once in front, the text whole and printable, one newline. */
UNIT_TEST(relayed_long_line_goes_out_in_bounded_pieces_with_one_tag)
{
    std::string line;
    for (size_t i = 0; i < devices::LineAssembler::LONG_LINE; ++i)
        line += char(i % 97 == 0 ? '\r' : 'a' + i % 26);
    std::vector<std::string> pieces = relay(3, ":e9", line);
    CHECK(pieces.size() > size_t(1));
    for (const std::string& piece : pieces)
        CHECK(piece.size() <= devices::RELAY_PIECE);
    std::string printable = line;
    make_guest_text_printable(printable.data(), printable.size());
    CHECK_EQ(joined(pieces), "[vm3:e9] " + printable + "\n");
    CHECK_EQ(joined(pieces).find('\r'), std::string::npos);
}

/* The boundary: text that fills a piece exactly leaves the newline for a
 * piece of its own, and one byte more moves into the second piece. */
UNIT_TEST(relayed_line_at_the_piece_boundary_loses_nothing)
{
    size_t tag = std::string("[vm1] ").size();
    for (size_t length : {devices::RELAY_PIECE - 2 - tag, devices::RELAY_PIECE - 1 - tag, devices::RELAY_PIECE - tag}) {
        std::string line(length, 'y');
        std::vector<std::string> pieces = relay(1, "", line);
        CHECK_EQ(joined(pieces), "[vm1] " + line + "\n");
        CHECK_EQ(pieces.size(), size_t(length + tag + 1 <= devices::RELAY_PIECE ? 1 : 2));
    }
}
