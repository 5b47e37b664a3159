/* Line assembly for guest character output; see line_assembler.h. */
#include "hypervisor/devices/line_assembler.h"

namespace devices {

void LineAssembler::put(uint8_t byte)
{
    if (byte == '\r')
        return;
    if (byte == '\n') {
        emit();
        return;
    }
    text_[length_++] = char(byte);
    if (length_ == max_line_)
        emit();
}

void LineAssembler::flush()
{
    if (length_ > 0)
        emit();
}

void LineAssembler::put_shown(uint8_t byte)
{
    if (byte == '\r')
        return;
    if (byte == '\n') {
        length_ = 0;
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

void LineAssembler::emit()
{
    text_[length_] = '\0';
    if (handler_)
        handler_(context_, text_, length_);
    length_ = 0;
}

ByteSink LineAssembler::sink()
{
    return ByteSink{[](void* self, uint8_t byte) { static_cast<LineAssembler*>(self)->put(byte); }, this};
}

} // namespace devices
