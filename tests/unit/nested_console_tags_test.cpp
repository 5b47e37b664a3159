/* hypervisor/devices/line_assembler.h through two levels: a line of L2 is
 * tagged by L1 (whose kernel writes it to its own COM1) and tagged again by the
 * host, whole or in pieces, never mangled. Each level here is what
 * VirtualPlatform does: a LineAssembler whose lines go out as "[vmN] " + line
 * + "\n" (hypervisor/vm/platform.cpp, relay). */
#include "hypervisor/devices/line_assembler.h"
#include "unit_test.h"

#include <string>
#include <vector>

using devices::guest_tag_length;
using devices::LineAssembler;

namespace {

/* One hypervisor level: collects its guest's COM1 bytes into lines and writes
 * each tagged to `out` (the next level's COM1, or the host's screen). */
struct Level {
    int vm_id;
    std::string out;
    LineAssembler lines{relay, this};

    static void relay(void* self, const char* text, size_t length)
    {
        auto* level = static_cast<Level*>(self);
        level->out += "[vm" + std::to_string(level->vm_id) + "] " + std::string(text, length) + "\r\n";
    }
    void write(const std::string& bytes)
    {
        for (char c : bytes)
            lines.put(uint8_t(c));
    }
};

/* L2 writes `text`; L1 (vm1 of the host) runs L2 as its vm1: the host's lines. */
std::vector<std::string> through_two_levels(const std::string& text)
{
    Level l1{1, {}};
    Level host{1, {}};
    l1.write(text);
    host.write(l1.out);
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t end; (end = host.out.find("\r\n", start)) != std::string::npos; start = end + 2)
        lines.push_back(host.out.substr(start, end - start));
    return lines;
}

} // namespace

UNIT_TEST(nested_console_short_line_is_tagged_by_both_levels)
{
    std::vector<std::string> lines = through_two_levels("/$ ls\r\nbin/\r\n");
    CHECK_EQ(lines.size(), size_t(2));
    CHECK_EQ(lines[0], std::string("[vm1] [vm1] /$ ls"));
    CHECK_EQ(lines[1], std::string("[vm1] [vm1] bin/"));
}

/* Regression: L1's tag made a line of L2 longer than a host piece, and the
 * piece after the split carried only the host's tag, so it read as L1's. */
UNIT_TEST(nested_console_long_line_keeps_both_tags_on_every_piece)
{
    std::string text(LineAssembler::MAX_LINE * 2 + 7, 'x');
    std::vector<std::string> lines = through_two_levels(text + "\r\n");
    std::string joined;
    for (const std::string& line : lines) {
        CHECK_EQ(line.substr(0, 12), std::string("[vm1] [vm1] "));
        CHECK(line.size() <= LineAssembler::MAX_LINE + 6);
        joined += line.substr(12);
    }
    CHECK_EQ(joined, text);
}

/* A split just before the '\n' leaves a piece of tags alone: not handed out. */
UNIT_TEST(nested_console_split_before_line_end_sends_no_empty_piece)
{
    std::string text(LineAssembler::MAX_LINE - 6, 'y'); /* "[vm1] " + text fills one host piece */
    std::vector<std::string> lines = through_two_levels(text + "\r\n" + "next\r\n");
    CHECK_EQ(lines.size(), size_t(2));
    CHECK_EQ(lines[0], "[vm1] [vm1] " + text);
    CHECK_EQ(lines[1], std::string("[vm1] [vm1] next"));
}

UNIT_TEST(guest_tag_length_counts_each_level_and_channel)
{
    auto length = [](const std::string& text) { return guest_tag_length(text.data(), text.size()); };
    CHECK_EQ(length("[vm1] [vm12:e9] text"), size_t(16));
    CHECK_EQ(length("[vm1] "), size_t(6));
    CHECK_EQ(length("[host vmx] x"), size_t(0));
    CHECK_EQ(length("[vm] x"), size_t(0));
    CHECK_EQ(length("[vm1]x"), size_t(0));
    CHECK_EQ(length("[vm1:] x"), size_t(0));
    CHECK_EQ(length("[vm1"), size_t(0));
    CHECK_EQ(length(""), size_t(0));
}

/* A plain guest's long line is cut as before: it starts with no tag. */
UNIT_TEST(line_assembler_splits_an_untagged_line_without_a_prefix)
{
    Level level{1, {}};
    level.write(std::string(LineAssembler::MAX_LINE + 3, 'z') + "\n");
    CHECK_EQ(level.out, "[vm1] " + std::string(LineAssembler::MAX_LINE, 'z') + "\r\n[vm1] zzz\r\n");
}
