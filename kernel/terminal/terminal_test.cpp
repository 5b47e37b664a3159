/* In-kernel tests of the terminals (set "terminal"): Alt+F1..F3 typed on the
 * PS/2 keyboard (scancodes injected into the i8042, command 0xD2) switch the
 * visible VGA screen, each terminal keeps its own text and input, and a read
 * sleeps until input arrives. */
#include "arch/x86_64/cpu.h"
#include "console/vga_text.h"
#include "drivers/typing_for_tests.h"
#include "fs/kernel_vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "terminal/terminals.h"
#include "test/kernel_test.h"

namespace {

constexpr uint8_t ALT_PRESS = 0x38, ALT_RELEASE = 0xB8;
constexpr uint8_t F1_PRESS = 0x3B, F2_PRESS = 0x3C, F3_PRESS = 0x3D;
constexpr uint8_t RELEASE = 0x80;
constexpr uint8_t A_PRESS = 0x1E;

bool press_alt_with(uint8_t key)
{
    return type_scancode_byte(ALT_PRESS) && type_scancode_byte(key) && type_scancode_byte(uint8_t(key | RELEASE)) &&
           type_scancode_byte(ALT_RELEASE);
}

/* Whether a row of `screen` (in memory; -1: what VGA memory shows) starts with `text`. */
bool has_row_starting_with(int screen, const char* text)
{
    for (int row = 0; row < vga_text::ROWS; ++row) {
        bool match = true;
        for (int column = 0; text[column] && match; ++column) {
            char shown = screen < 0 ? vga_text::char_at(row, column) : vga_text::screen_char_at(screen, row, column);
            match = shown == text[column];
        }
        if (match)
            return true;
    }
    return false;
}

/* Input routed to the terminals for the test's duration only: the console queue
 * is what the other test sets type into. */
class AttachedInput {
public:
    AttachedInput() { terminals::attach_input(); }
    ~AttachedInput()
    {
        terminals::switch_to(1);
        terminals::detach_input();
    }
};

void drain(Terminal& terminal)
{
    /* Nothing blocks: read() only when input is queued (after a receive). */
    terminal.receive("!", 1);
    char buffer[Terminal::INPUT_CAPACITY];
    (void)terminal.read(buffer, sizeof(buffer));
}

struct Reader {
    Terminal* terminal;
    char text[8];
    size_t length;
};

void read_once(void* argument)
{
    auto* reader = static_cast<Reader*>(argument);
    reader->length = reader->terminal->read(reader->text, sizeof(reader->text) - 1);
    reader->text[reader->length] = '\0';
}

} // namespace

KERNEL_TEST(terminal, alt_f2_shows_the_second_screen_and_each_keeps_its_text)
{
    terminals::screen_terminal(1).write("\nsecond screen", 14);
    terminals::screen_terminal(2).write("\nthird screen", 13);
    AttachedInput input;
    EXPECT(!has_row_starting_with(-1, "second screen"));
    EXPECT(press_alt_with(F2_PRESS));
    EXPECT_EQ(terminals::visible(), 2u);
    EXPECT(has_row_starting_with(-1, "second screen"));
    EXPECT(press_alt_with(F3_PRESS));
    EXPECT_EQ(terminals::visible(), 3u);
    EXPECT(has_row_starting_with(-1, "third screen"));
    EXPECT(!has_row_starting_with(-1, "second screen"));
    EXPECT(press_alt_with(F1_PRESS));
    EXPECT_EQ(terminals::visible(), 1u);
    /* Each screen kept its own text while another one was shown. */
    EXPECT(has_row_starting_with(1, "second screen"));
    EXPECT(has_row_starting_with(2, "third screen"));
    EXPECT(!has_row_starting_with(0, "second screen"));
}

KERNEL_TEST(terminal, switching_copies_the_screen_into_vga_memory)
{
    vga_text::show(1);
    bool same = true;
    for (int row = 0; row < vga_text::ROWS; ++row) {
        for (int column = 0; column < vga_text::COLUMNS; ++column)
            same &= vga_text::char_at(row, column) == vga_text::screen_char_at(1, row, column);
    }
    vga_text::show(0);
    EXPECT(same);
}

KERNEL_TEST(terminal, typed_keys_reach_the_visible_terminal_only)
{
    Terminal& first = terminals::screen_terminal(0);
    Terminal& second = terminals::screen_terminal(1);
    drain(first);
    drain(second);
    AttachedInput input;
    EXPECT(press_alt_with(F2_PRESS));
    EXPECT(type_scancode_byte(A_PRESS) && type_scancode_byte(A_PRESS | RELEASE));
    Reader reader{&second, {}, 0};
    read_once(&reader);
    EXPECT(reader.length == 1 && reader.text[0] == 'a');
    first.receive("-", 1);
    Reader other{&first, {}, 0};
    read_once(&other);
    EXPECT(other.length == 1 && other.text[0] == '-'); /* nothing typed went to tty1 */
}

KERNEL_TEST(terminal, read_sleeps_until_input_arrives)
{
    Terminal& terminal = terminals::screen_terminal(2);
    drain(terminal);
    Reader reader{&terminal, {}, 0};
    Thread* thread = Scheduler::instance().spawn(read_once, &reader, "reader");
    EXPECT(thread != nullptr);
    if (!thread)
        return;
    for (int i = 0; i < 100 && !terminal.has_readers(); ++i)
        Scheduler::instance().sleep_ns(1000000);
    EXPECT(terminal.has_readers());
    EXPECT_EQ(reader.length, size_t(0));
    terminal.receive("hi", 2);
    Scheduler::instance().join(thread);
    EXPECT_EQ(reader.length, size_t(2));
    EXPECT(strcmp(reader.text, "hi") == 0);
}

KERNEL_TEST(terminal, dev_holds_a_character_file_per_terminal)
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall vfs(kernel_vfs::context(), files);
    for (const char* path : {"/dev/tty1", "/dev/tty2", "/dev/tty3", "/dev/ttyS0", "/dev/log"}) {
        struct stat status;
        Result<void> found = vfs.stat(path, status);
        EXPECT(!found.is_error() && S_ISCHR(status.st_mode));
    }
    Result<void> made = vfs.mkdir("/dev/new");
    EXPECT(made.is_error() && made.error() == EROFS);
}

/* The CRTC's cursor location registers (0x0E high, 0x0F low) as the VGA reads
 * them back. */
uint16_t crtc_cursor()
{
    cpu::outb(0x3D4, 0x0E);
    uint16_t high = cpu::inb(0x3D5);
    cpu::outb(0x3D4, 0x0F);
    return uint16_t(high << 8 | cpu::inb(0x3D5));
}

/* Scrolling copies the screen eight bytes at a time and the driver writes the
 * cursor only when it moved (vga_text.cpp): the rows still move up one each,
 * VGA memory shows the same as the screen, and the CRTC holds the cursor after
 * writes that scroll, that move it, and a switch away and back. */
KERNEL_TEST(terminal, scrolling_moves_rows_and_keeps_the_cursor)
{
    vga_text::show(2);
    char line[32];
    for (int i = 0; i < vga_text::ROWS + 5; ++i) {
        size_t length = format_string(line, sizeof(line), "scrolled %02d\n", i);
        vga_text::write_to(2, line, length);
    }
    constexpr uint16_t BOTTOM_LEFT = (vga_text::ROWS - 1) * vga_text::COLUMNS;
    EXPECT_EQ(crtc_cursor(), BOTTOM_LEFT);
    for (int row = 0; row < vga_text::ROWS - 1; ++row) {
        format_string(line, sizeof(line), "scrolled %02d", row + 6);
        bool same = true;
        for (int column = 0; line[column]; ++column)
            same &= vga_text::screen_char_at(2, row, column) == line[column] && vga_text::char_at(row, column) == line[column];
        EXPECT(same);
    }
    EXPECT_EQ(vga_text::char_at(vga_text::ROWS - 1, 0), ' ');
    vga_text::write_to(2, "ab", 2);
    EXPECT_EQ(crtc_cursor(), uint16_t(BOTTOM_LEFT + 2));
    vga_text::write_to(2, "\n", 1); /* scrolls; the cursor is where it was two writes ago */
    EXPECT_EQ(crtc_cursor(), BOTTOM_LEFT);
    vga_text::show(0);
    vga_text::write_to(2, "cd", 2); /* not visible: the CRTC keeps screen 0's cursor */
    uint16_t console_cursor = crtc_cursor();
    vga_text::show(2);
    EXPECT_EQ(crtc_cursor(), uint16_t(BOTTOM_LEFT + 2));
    vga_text::show(0);
    EXPECT_EQ(crtc_cursor(), console_cursor);
}
