/* Line assembly for guest character output; see line_assembler.h. */
#include "hypervisor/devices/line_assembler.h"

namespace devices {

namespace {

bool is_tag_name_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* One "[vmN] " or "[vmN:channel] " at `text`: its length, or 0. */
size_t one_tag_length(const char* text, size_t length)
{
    if (length < 6 || text[0] != '[' || text[1] != 'v' || text[2] != 'm' || text[3] < '0' || text[3] > '9')
        return 0;
    size_t at = 4;
    while (at < length && text[at] >= '0' && text[at] <= '9')
        ++at;
    if (at < length && text[at] == ':') {
        size_t channel = ++at;
        while (at < length && is_tag_name_char(text[at]))
            ++at;
        if (at == channel)
            return 0;
    }
    if (at + 1 >= length || text[at] != ']' || text[at + 1] != ' ')
        return 0;
    return at + 2;
}

} // namespace

size_t guest_tag_length(const char* text, size_t length)
{
    size_t total = 0;
    while (size_t tag = one_tag_length(text + total, length - total))
        total += tag;
    return total;
}

void LineAssembler::put(uint8_t byte)
{
    if (byte == '\r')
        return;
    if (byte == '\n') {
        emit(false);
        return;
    }
    text_[length_++] = char(byte);
    if (length_ == max_line_)
        emit(true);
}

void LineAssembler::flush()
{
    if (length_ > 0)
        emit(false);
}

void LineAssembler::put_shown(uint8_t byte)
{
    if (byte == '\r')
        return;
    if (byte == '\n') {
        length_ = continued_tag_ = 0;
        return;
    }
    /* A longer line is remembered by its start; below max_line_, so that put()
     * still finds the line full at exactly max_line_. */
    if (length_ + 1 < max_line_)
        text_[length_++] = char(byte);
}

size_t LineAssembler::copy_partial(char* out, size_t capacity) const
{
    if (capacity == 0)
        return 0;
    size_t copied = length_ < capacity - 1 ? length_ : capacity - 1;
    for (size_t i = 0; i < copied; ++i)
        out[i] = text_[i];
    out[copied] = '\0';
    return copied;
}

void LineAssembler::emit(bool split)
{
    bool only_tags = continued_tag_ > 0 && length_ == continued_tag_;
    text_[length_] = '\0';
    if (handler_ && !only_tags)
        handler_(context_, text_, length_);
    /* The tags are still at the start of text_: the next piece keeps them. */
    size_t tags = split ? guest_tag_length(text_, length_) : 0;
    continued_tag_ = tags < max_line_ / 2 ? tags : 0;
    length_ = continued_tag_;
}

ByteSink LineAssembler::sink()
{
    return ByteSink{[](void* self, uint8_t byte) { static_cast<LineAssembler*>(self)->put(byte); }, this};
}

} // namespace devices
