/* hypervisor/devices/guest_text.h: guest bytes made safe for the host log. */
#include "hypervisor/devices/guest_text.h"
#include "unit_test.h"

#include <cstring>
#include <string>

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
