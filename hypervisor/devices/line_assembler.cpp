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
    if (length_ == MAX_LINE)
        emit();
}

void LineAssembler::flush()
{
    if (length_ > 0)
        emit();
}

size_t LineAssembler::take_partial(char* out, size_t capacity)
{
    if (capacity == 0)
        return 0;
    size_t taken = length_ < capacity - 1 ? length_ : capacity - 1;
    for (size_t i = 0; i < taken; ++i)
        out[i] = text_[i];
    out[taken] = '\0';
    length_ = 0;
    return taken;
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
