/* The shell's line editor: turns keyboard bytes into an edited line and draws the
 * edits on a plain terminal. Keys: printable characters insert at the cursor,
 * Backspace (0x7f or 0x08) deletes before it, Left/Right move it, Up/Down walk the
 * history, Home/End jump, Delete deletes under it, Ctrl-C drops the line, Ctrl-D on
 * an empty line ends input, Enter (\n or \r) finishes it. Arrow keys arrive as the
 * VT100 sequences ESC [ A/B/C/D (H/F for Home/End, ESC [ 3 ~ for Delete).
 * Drawing uses only printable characters, ' ', '\b' (cursor left) and '\n', which
 * both the VGA console and a serial terminal understand.
 * Pure logic without system calls, also compiled into the unit tests. */
#pragma once
#include <stddef.h>

class LineEditor {
public:
    static constexpr size_t LINE_CAPACITY = 256; /* including the NUL */
    static constexpr size_t HISTORY_CAPACITY = 16;

    using Output = void (*)(void* context, const char* text, size_t length);

    enum class Event { none, line_done, cancelled, end_of_input };

    LineEditor(Output output, void* context) : output_(output), context_(context) {}

    /* Feeds one input byte. After line_done, line() holds the finished line (it is
     * in the history too, unless empty or the same as the last entry); the next
     * byte starts a new line. */
    Event feed(char byte);

    const char* line() const { return finished_; }
    /* The line being edited and the cursor's position in it (for tests). */
    const char* current() const { return buffer_; }
    size_t cursor() const { return cursor_; }
    size_t history_size() const { return history_count_; }

private:
    Event feed_plain(char byte);
    void feed_escape(char byte);
    void insert(char c);
    void erase_before_cursor();
    void erase_at_cursor();
    void move_left(size_t count);
    void move_right(size_t count);
    void redraw_tail(size_t erased);
    void replace_line(const char* text);
    void recall_history(int direction);
    Event finish_line();
    void emit(const char* text, size_t length) { output_(context_, text, length); }
    void emit_char(char c) { output_(context_, &c, 1); }

    Output output_;
    void* context_;
    char buffer_[LINE_CAPACITY] = {};
    size_t length_ = 0, cursor_ = 0;
    char finished_[LINE_CAPACITY] = {};

    /* Escape sequences: after ESC, after ESC [ (with a numeric parameter), after
     * ESC O (one final byte). */
    enum class EscapeState { none, escape, bracket, single_shift } escape_state_ = EscapeState::none;
    int escape_parameter_ = 0;

    /* A ring of past lines; history_position_ == history_count_ means "the line
     * being typed", whose text is parked in draft_ while browsing. */
    char history_[HISTORY_CAPACITY][LINE_CAPACITY] = {};
    size_t history_count_ = 0, history_first_ = 0, history_position_ = 0;
    char draft_[LINE_CAPACITY] = {};
};
