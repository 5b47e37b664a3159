/* user/shell/line_editor.cpp, driven by key bytes, with its output played on a
 * one-line terminal model to check that the screen always shows the edited line. */
#include "shell/line_editor.h"
#include "unit_test.h"

#include <string>

namespace {

/* A terminal line: printable characters overwrite at the cursor and advance it,
 * '\b' moves it left, '\n' starts a fresh line. */
struct Terminal {
    std::string screen;
    size_t cursor = 0;
    int newlines = 0;

    static void write(void* context, const char* text, size_t length)
    {
        auto* t = static_cast<Terminal*>(context);
        for (size_t i = 0; i < length; ++i)
            t->put(text[i]);
    }

    void put(char c)
    {
        if (c == '\b') {
            if (cursor > 0)
                --cursor;
        } else if (c == '\n') {
            screen.clear();
            cursor = 0;
            ++newlines;
        } else {
            if (cursor == screen.size())
                screen.push_back(c);
            else
                screen[cursor] = c;
            ++cursor;
        }
    }

    /* The screen without trailing blanks (erased characters become spaces). */
    std::string shown() const { return screen.substr(0, screen.find_last_not_of(' ') + 1); }
};

const char* const LEFT = "\x1b[D";
const char* const RIGHT = "\x1b[C";
const char* const UP = "\x1b[A";
const char* const DOWN = "\x1b[B";

struct Session {
    Terminal terminal;
    LineEditor editor{Terminal::write, &terminal};
    LineEditor::Event last = LineEditor::Event::none;

    void type(const std::string& keys)
    {
        for (char c : keys)
            last = editor.feed(c);
    }

    /* The editor's line and the terminal's agree, and so do the cursors. */
    bool consistent() const
    {
        return terminal.shown() == std::string(editor.current()) && terminal.cursor == editor.cursor();
    }
};

} // namespace

UNIT_TEST(line_editor_types_and_finishes_a_line)
{
    Session s;
    s.type("ls -l");
    CHECK(s.consistent());
    s.type("\n");
    CHECK(s.last == LineEditor::Event::line_done);
    CHECK_EQ(std::string(s.editor.line()), std::string("ls -l"));
    CHECK_EQ(s.terminal.newlines, 1);
}

UNIT_TEST(line_editor_inserts_at_cursor_after_left_arrow)
{
    Session s;
    s.type("acd");
    s.type(LEFT);
    s.type(LEFT);
    s.type("b");
    CHECK(s.consistent());
    CHECK_EQ(s.editor.cursor(), size_t(2));
    s.type(RIGHT);
    s.type("X\r");
    CHECK_EQ(std::string(s.editor.line()), std::string("abcXd"));
}

UNIT_TEST(line_editor_backspace_deletes_before_cursor)
{
    Session s;
    s.type("hello");
    s.type(LEFT);
    s.type("\x7f");
    CHECK_EQ(std::string(s.editor.current()), std::string("helo"));
    CHECK(s.consistent());
    s.type("\b\b\b\b\b"); /* more than there is: stops at the start */
    CHECK_EQ(std::string(s.editor.current()), std::string("o"));
    CHECK(s.consistent());
    CHECK_EQ(s.editor.cursor(), size_t(0));
}

UNIT_TEST(line_editor_delete_key_and_home_end)
{
    Session s;
    s.type("abc");
    s.type("\x1b[H");
    s.type("\x1b[3~");
    CHECK_EQ(std::string(s.editor.current()), std::string("bc"));
    CHECK(s.consistent());
    s.type("\x1b[F!");
    CHECK_EQ(std::string(s.editor.current()), std::string("bc!"));
    CHECK(s.consistent());
}

UNIT_TEST(line_editor_history_walks_up_and_down)
{
    Session s;
    s.type("first\nsecond longer\n");
    s.type("dra");
    s.type(UP);
    CHECK_EQ(std::string(s.editor.current()), std::string("second longer"));
    CHECK(s.consistent());
    s.type(UP);
    CHECK_EQ(std::string(s.editor.current()), std::string("first"));
    CHECK(s.consistent()); /* the longer line's rest was blanked */
    s.type(UP); /* already the oldest */
    CHECK_EQ(std::string(s.editor.current()), std::string("first"));
    s.type(DOWN);
    s.type(DOWN);
    CHECK_EQ(std::string(s.editor.current()), std::string("dra"));
    CHECK(s.consistent());
    s.type(UP);
    s.type("\n");
    CHECK_EQ(std::string(s.editor.line()), std::string("second longer"));
    CHECK_EQ(s.editor.history_size(), size_t(2)); /* a repeat is not stored twice */
}

UNIT_TEST(line_editor_history_keeps_newest_entries)
{
    Session s;
    for (size_t i = 0; i < LineEditor::HISTORY_CAPACITY + 3; ++i)
        s.type("cmd" + std::to_string(i) + "\n");
    CHECK_EQ(s.editor.history_size(), LineEditor::HISTORY_CAPACITY);
    for (size_t i = 0; i < LineEditor::HISTORY_CAPACITY; ++i)
        s.type(UP);
    CHECK_EQ(std::string(s.editor.current()), std::string("cmd3"));
}

UNIT_TEST(line_editor_ctrl_c_and_ctrl_d)
{
    Session s;
    s.type("abc\x03");
    CHECK(s.last == LineEditor::Event::cancelled);
    CHECK_EQ(std::string(s.editor.current()), std::string(""));
    s.type("\x04");
    CHECK(s.last == LineEditor::Event::end_of_input);
}

UNIT_TEST(line_editor_stops_at_capacity)
{
    Session s;
    s.type(std::string(LineEditor::LINE_CAPACITY + 10, 'x'));
    CHECK_EQ(std::string(s.editor.current()).size(), LineEditor::LINE_CAPACITY - 1);
    CHECK(s.consistent());
}

UNIT_TEST(line_editor_drops_function_keys)
{
    Session s;
    s.type("ab");
    s.type("\x1bOP");    /* F1 */
    s.type("\x1b[15~");  /* F5 */
    s.type("\x1b[5~");   /* Page Up */
    s.type("\x1bOH");    /* Home, as some terminals send it */
    s.type("X");
    CHECK_EQ(std::string(s.editor.current()), std::string("Xab"));
    CHECK(s.consistent());
}
