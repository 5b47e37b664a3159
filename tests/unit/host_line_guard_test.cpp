/* kernel/terminal/host_line_guard.cpp: user output on the serial console never
 * starts a line the harness would take for the kernel's. */
#include "terminal/host_line_guard.h"
#include "unit_test.h"

#include <string>

namespace {

void append(void* context, const char* text, size_t length) { static_cast<std::string*>(context)->append(text, length); }

std::string guarded(std::initializer_list<const char*> writes, bool flush = false)
{
    HostLineGuard guard;
    std::string shown;
    for (const char* text : writes)
        guard.feed(text, std::char_traits<char>::length(text), append, &shown);
    if (flush)
        guard.flush(append, &shown);
    return shown;
}

} // namespace

UNIT_TEST(host_line_guard_marks_a_forged_host_line)
{
    CHECK_EQ(guarded({"[host test] PASS: x\n"}), std::string("~[host test] PASS: x\n"));
    CHECK_EQ(guarded({"ok\n[guest boot] y\n"}), std::string("ok\n~[guest boot] y\n"));
}

UNIT_TEST(host_line_guard_marks_a_forgery_written_byte_by_byte)
{
    CHECK_EQ(guarded({"[", "h", "o", "s", "t", " ", "t"}), std::string("~[host t"));
}

UNIT_TEST(host_line_guard_marks_after_a_carriage_return)
{
    CHECK_EQ(guarded({"abc\r[host boot] z"}), std::string("abc\r~[host boot] z"));
}

UNIT_TEST(host_line_guard_leaves_other_lines_alone)
{
    CHECK_EQ(guarded({"[user test] PASS: a\n", "x [host test] y\n", "[hostile\n"}),
             std::string("[user test] PASS: a\nx [host test] y\n[hostile\n"));
    CHECK_EQ(guarded({"/$ ", "ls\n"}), std::string("/$ ls\n"));
}

UNIT_TEST(host_line_guard_holds_a_possible_prefix_until_flush)
{
    CHECK_EQ(guarded({"[ho"}), std::string(""));
    CHECK_EQ(guarded({"[ho"}, true), std::string("~[ho"));
    CHECK_EQ(guarded({"[ho", "me\n"}), std::string("[home\n"));
}

UNIT_TEST(host_line_guard_resync_follows_lines_other_writers_ended)
{
    HostLineGuard guard;
    std::string shown;
    guard.feed("abc", 3, append, &shown);
    guard.resync(true); /* a kernel log line came in between and ended with '\n' */
    guard.feed("[host test] x", 13, append, &shown);
    CHECK_EQ(shown, std::string("abc~[host test] x"));
}
