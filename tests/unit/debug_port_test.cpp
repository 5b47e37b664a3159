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
