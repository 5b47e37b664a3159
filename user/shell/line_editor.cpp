/* The line editor; see line_editor.h. Invariant: the terminal shows buffer_ from
 * the prompt's end, with its cursor cursor_ characters to the right of it. */
#include "shell/line_editor.h"

namespace {

constexpr char ESC = 0x1b, CTRL_C = 0x03, CTRL_D = 0x04, BACKSPACE = 0x08, DEL = 0x7f;

size_t text_length(const char* text)
{
    size_t length = 0;
    while (text[length])
        ++length;
    return length;
}

void copy_text(char* destination, const char* source, size_t capacity)
{
    size_t i = 0;
    for (; i + 1 < capacity && source[i]; ++i)
        destination[i] = source[i];
    destination[i] = '\0';
}

bool same_text(const char* a, const char* b)
{
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

} // namespace

LineEditor::Event LineEditor::feed(char byte)
{
    if (escape_state_ != EscapeState::none) {
        feed_escape(byte);
        return Event::none;
    }
    return feed_plain(byte);
}

LineEditor::Event LineEditor::feed_plain(char byte)
{
    switch (byte) {
    case '\n':
    case '\r': return finish_line();
    case BACKSPACE:
    case DEL: erase_before_cursor(); return Event::none;
    case ESC: escape_state_ = EscapeState::escape; return Event::none;
    case CTRL_C:
        emit("^C\n", 3);
        length_ = cursor_ = 0;
        buffer_[0] = '\0';
        history_position_ = history_count_;
        return Event::cancelled;
    case CTRL_D:
        if (length_ == 0)
            return Event::end_of_input;
        erase_at_cursor();
        return Event::none;
    default:
        if (byte >= ' ')
            insert(byte);
        return Event::none;
    }
}

void LineEditor::feed_escape(char byte)
{
    if (escape_state_ == EscapeState::escape) {
        escape_state_ = byte == '[' ? EscapeState::bracket : byte == 'O' ? EscapeState::single_shift : EscapeState::none;
        escape_parameter_ = 0;
        return;
    }
    if (escape_state_ == EscapeState::single_shift) {
        /* ESC O x: F1-F4, or Home/End on some terminals. */
        escape_state_ = EscapeState::none;
        if (byte == 'H')
            move_left(cursor_);
        else if (byte == 'F')
            move_right(length_ - cursor_);
        return;
    }
    if (byte >= '0' && byte <= '9') {
        escape_parameter_ = escape_parameter_ * 10 + (byte - '0');
        return;
    }
    escape_state_ = EscapeState::none;
    switch (byte) {
    case 'A': recall_history(-1); break;
    case 'B': recall_history(+1); break;
    case 'C': move_right(1); break;
    case 'D': move_left(1); break;
    case 'H': move_left(cursor_); break;
    case 'F': move_right(length_ - cursor_); break;
    case '~':
        if (escape_parameter_ == 3)
            erase_at_cursor();
        break;
    default: break; /* an unknown sequence is dropped whole */
    }
}

void LineEditor::insert(char c)
{
    if (length_ + 1 >= LINE_CAPACITY)
        return;
    for (size_t i = length_; i > cursor_; --i)
        buffer_[i] = buffer_[i - 1];
    buffer_[cursor_] = c;
    buffer_[++length_] = '\0';
    emit_char(c);
    ++cursor_;
    redraw_tail(0);
}

void LineEditor::erase_before_cursor()
{
    if (cursor_ == 0)
        return;
    move_left(1);
    erase_at_cursor();
}

void LineEditor::erase_at_cursor()
{
    if (cursor_ == length_)
        return;
    for (size_t i = cursor_; i < length_; ++i)
        buffer_[i] = buffer_[i + 1];
    --length_;
    redraw_tail(1);
}

void LineEditor::move_left(size_t count)
{
    for (; count > 0 && cursor_ > 0; --count, --cursor_)
        emit_char('\b');
}

void LineEditor::move_right(size_t count)
{
    for (; count > 0 && cursor_ < length_; --count)
        emit_char(buffer_[cursor_++]);
}

/* Redraws the text from the cursor to the end, blanks `erased` characters that
 * used to follow it, and puts the cursor back. */
void LineEditor::redraw_tail(size_t erased)
{
    emit(buffer_ + cursor_, length_ - cursor_);
    for (size_t i = 0; i < erased; ++i)
        emit_char(' ');
    for (size_t i = cursor_; i < length_ + erased; ++i)
        emit_char('\b');
}

void LineEditor::replace_line(const char* text)
{
    move_left(cursor_);
    size_t old_length = length_;
    copy_text(buffer_, text, LINE_CAPACITY);
    length_ = text_length(buffer_);
    cursor_ = 0;
    redraw_tail(old_length > length_ ? old_length - length_ : 0);
    move_right(length_);
}

void LineEditor::recall_history(int direction)
{
    if (direction < 0 && history_position_ == 0)
        return;
    if (direction > 0 && history_position_ == history_count_)
        return;
    if (history_position_ == history_count_)
        copy_text(draft_, buffer_, LINE_CAPACITY);
    history_position_ += direction;
    if (history_position_ == history_count_)
        replace_line(draft_);
    else
        replace_line(history_[(history_first_ + history_position_) % HISTORY_CAPACITY]);
}

LineEditor::Event LineEditor::finish_line()
{
    emit_char('\n');
    copy_text(finished_, buffer_, LINE_CAPACITY);
    const char* last = history_count_ ? history_[(history_first_ + history_count_ - 1) % HISTORY_CAPACITY] : "";
    if (length_ > 0 && !same_text(finished_, last)) {
        if (history_count_ == HISTORY_CAPACITY) {
            history_first_ = (history_first_ + 1) % HISTORY_CAPACITY;
            --history_count_;
        }
        copy_text(history_[(history_first_ + history_count_) % HISTORY_CAPACITY], finished_, LINE_CAPACITY);
        ++history_count_;
    }
    history_position_ = history_count_;
    length_ = cursor_ = 0;
    buffer_[0] = '\0';
    return Event::line_done;
}
