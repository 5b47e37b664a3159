/* hypervisor/devices/debug_port and line_assembler: port 0xE9 output as lines. */
#include "hypervisor/devices/debug_port.h"
#include "hypervisor/devices/line_assembler.h"
#include "unit_test.h"

#include <string>
#include <vector>

namespace {

struct Lines {
    std::vector<std::string> lines;
    static void collect(void* self, const char* text, size_t length)
    {
        CHECK_EQ(std::strlen(text), length); /* NUL-terminated as promised */
        static_cast<Lines*>(self)->lines.emplace_back(text, length);
    }
};

} // namespace

UNIT_TEST(debug_port_reads_e9_so_guests_can_detect_it)
{
    devices::DebugPort port({});
    CHECK(port.handles(0xE9));
    CHECK(!port.handles(0xE8));
    CHECK_EQ(port.read(0xE9, 1, 0), 0xE9u);
}

UNIT_TEST(debug_port_bytes_become_lines)
{
    Lines lines;
    devices::LineAssembler assembler(Lines::collect, &lines);
    devices::DebugPort port(assembler.sink());
    for (char c : std::string("PASS: x\nFAIL: y\r\n"))
        if (c)
            port.write(0xE9, 1, uint8_t(c), 0);
    CHECK(lines.lines == (std::vector<std::string>{"PASS: x", "FAIL: y"}));
}

UNIT_TEST(line_assembler_splits_overlong_lines)
{
    Lines lines;
    devices::LineAssembler assembler(Lines::collect, &lines);
    for (size_t i = 0; i < devices::LineAssembler::MAX_LINE + 5; ++i)
        assembler.put('a');
    assembler.put('\n');
    CHECK_EQ(lines.lines.size(), 2u);
    CHECK_EQ(lines.lines.at(0).size(), devices::LineAssembler::MAX_LINE);
    CHECK_EQ(lines.lines.at(1), std::string("aaaaa"));
}

UNIT_TEST(line_assembler_flush_hands_out_a_partial_line_once)
{
    Lines lines;
    devices::LineAssembler assembler(Lines::collect, &lines);
    assembler.put('o');
    assembler.put('k');
    assembler.flush();
    assembler.flush();
    CHECK(lines.lines == std::vector<std::string>{"ok"});
}

UNIT_TEST(line_assembler_keeps_empty_lines)
{
    Lines lines;
    devices::LineAssembler assembler(Lines::collect, &lines);
    assembler.put('\n');
    CHECK(lines.lines == std::vector<std::string>{""});
}

/* Issue #14: port 0xE9 lines broke at 160 characters; an assembler made for the
 * debug port keeps a 4 KiB line whole and splits only beyond it. */
UNIT_TEST(line_assembler_keeps_debug_port_lines_whole_up_to_4_kib)
{
    Lines lines;
    devices::LineAssembler assembler(Lines::collect, &lines, devices::LineAssembler::LONG_LINE);
    devices::DebugPort port(assembler.sink());
    std::string long_line;
    for (size_t i = 0; i < 4096; ++i)
        long_line += char('a' + i % 26);
    for (char c : long_line)
        port.write(0xE9, 1, uint8_t(c), 0);
    CHECK_EQ(lines.lines.size(), 1u); /* exactly full: handed out whole */
    port.write(0xE9, 1, uint8_t('x'), 0);
    port.write(0xE9, 1, uint8_t('\n'), 0);
    CHECK_EQ(lines.lines.size(), 2u);
    CHECK_EQ(lines.lines.at(0), long_line);
    CHECK_EQ(lines.lines.at(1), std::string("x"));
}

UNIT_TEST(line_assembler_clamps_absurd_line_lengths)
{
    Lines lines;
    devices::LineAssembler huge(Lines::collect, &lines, size_t(-1));
    CHECK_EQ(huge.max_line(), devices::LineAssembler::LONG_LINE);
    devices::LineAssembler zero(Lines::collect, &lines, 0);
    CHECK_EQ(zero.max_line(), 1u);
    zero.put('a');
    zero.put('b');
    CHECK(lines.lines == (std::vector<std::string>{"a", "b"}));
}

UNIT_TEST(line_assembler_put_shown_respects_a_long_limit)
{
    Lines lines;
    devices::LineAssembler assembler(Lines::collect, &lines, 1000);
    for (size_t i = 0; i < 500; ++i)
        assembler.put_shown('s');
    char partial[1001];
    CHECK_EQ(assembler.copy_partial(partial, sizeof(partial)), 500u);
}
