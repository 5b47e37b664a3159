/* hypervisor/vm_console/detach_escape.h: Ctrl-] alone detaches once its window
 * has passed, Ctrl-] Ctrl-] passes one Ctrl-] on, Ctrl-] and another key
 * detaches at once and leaves that key to the host. */
#include "hypervisor/vm_console/detach_escape.h"
#include "unit_test.h"

using vm_serial::DetachEscape;
using Action = DetachEscape::Action;

namespace {

constexpr uint8_t CTRL_BRACKET = 0x1D;
constexpr uint64_t WINDOW = DetachEscape::ESCAPE_WINDOW_NS;

} // namespace

UNIT_TEST(detach_escape_forwards_plain_keys_and_ctrl_c)
{
    DetachEscape escape;
    CHECK(escape.on_byte('a', 0) == Action::forward);
    CHECK(escape.on_byte(0x03, 1) == Action::forward);
    CHECK(escape.on_byte('\r', 2) == Action::forward);
    CHECK(!escape.window_expired(5 * WINDOW));
}

UNIT_TEST(detach_escape_single_ctrl_bracket_detaches_when_its_window_ends)
{
    DetachEscape escape;
    CHECK(escape.on_byte(CTRL_BRACKET, 100) == Action::hold);
    CHECK(escape.holding());
    CHECK(!escape.window_expired(100));
    CHECK(!escape.window_expired(100 + WINDOW - 1));
    CHECK(escape.window_expired(100 + WINDOW));
    /* Expiring once: the detach is reported once, and the escape is idle. */
    CHECK(!escape.window_expired(100 + 2 * WINDOW));
    CHECK(escape.on_byte('x', 100 + 2 * WINDOW) == Action::forward);
}

UNIT_TEST(detach_escape_double_ctrl_bracket_passes_one_on)
{
    DetachEscape escape;
    CHECK(escape.on_byte(CTRL_BRACKET, 0) == Action::hold);
    CHECK(escape.on_byte(CTRL_BRACKET, WINDOW - 1) == Action::forward_escape);
    CHECK(!escape.holding());
    CHECK(!escape.window_expired(10 * WINDOW));
    /* Four in a row: two pass on (one level further down, a double again). */
    CHECK(escape.on_byte(CTRL_BRACKET, 20 * WINDOW) == Action::hold);
    CHECK(escape.on_byte(CTRL_BRACKET, 20 * WINDOW) == Action::forward_escape);
    CHECK(escape.on_byte(CTRL_BRACKET, 20 * WINDOW) == Action::hold);
    CHECK(escape.on_byte(CTRL_BRACKET, 20 * WINDOW) == Action::forward_escape);
}

UNIT_TEST(detach_escape_ctrl_bracket_and_another_key_detaches_at_once)
{
    DetachEscape escape;
    CHECK(escape.on_byte(CTRL_BRACKET, 0) == Action::hold);
    CHECK(escape.on_byte('l', 1) == Action::detach);
    CHECK(!escape.holding());
    CHECK(!escape.window_expired(WINDOW));
}

/* The poll may run late (the attached thread slept): a second Ctrl-] that
 * comes after the window is no pair, the first one was already a detach. */
UNIT_TEST(detach_escape_late_second_ctrl_bracket_is_no_pair)
{
    DetachEscape escape;
    CHECK(escape.on_byte(CTRL_BRACKET, 0) == Action::hold);
    CHECK(escape.on_byte(CTRL_BRACKET, WINDOW) == Action::detach);
}

UNIT_TEST(detach_escape_reset_forgets_a_held_ctrl_bracket)
{
    DetachEscape escape;
    CHECK(escape.on_byte(CTRL_BRACKET, 0) == Action::hold);
    escape.reset();
    CHECK(!escape.window_expired(WINDOW));
    CHECK(escape.on_byte(CTRL_BRACKET, WINDOW) == Action::hold);
}
