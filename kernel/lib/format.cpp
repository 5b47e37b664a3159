/* printf-style formatting; see format.h for what it supports. */
#include "format.h"

#include <stdint.h>

namespace {

struct Spec {
    bool left_align = false;
    bool zero_pad = false;
    int width = 0;
    int precision = -1;
    int length = 0; /* 0: int, 1: long, 2: long long, 3: size_t */
};

class Writer {
public:
    Writer(FormatSink sink, void* context) : sink_(sink), context_(context) {}

    void put(const char* text, size_t length)
    {
        if (length) {
            sink_(context_, text, length);
            count_ += length;
        }
    }

    void repeat(char c, int times)
    {
        for (int i = 0; i < times; ++i)
            put(&c, 1);
    }

    /* Writes `text` padded to the spec's width. */
    void padded(const Spec& spec, const char* prefix, const char* text, size_t length)
    {
        size_t prefix_length = 0;
        while (prefix[prefix_length])
            ++prefix_length;
        int pad = spec.width - int(prefix_length + length);
        if (pad < 0)
            pad = 0;
        if (spec.left_align) {
            put(prefix, prefix_length);
            put(text, length);
            repeat(' ', pad);
        } else if (spec.zero_pad) {
            put(prefix, prefix_length);
            repeat('0', pad);
            put(text, length);
        } else {
            repeat(' ', pad);
            put(prefix, prefix_length);
            put(text, length);
        }
    }

    size_t count() const { return count_; }

private:
    FormatSink sink_;
    void* context_;
    size_t count_ = 0;
};

void format_unsigned(Writer& out, const Spec& spec, const char* prefix, uint64_t value, unsigned base, bool upper)
{
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buffer[24];
    size_t position = sizeof(buffer);
    do {
        buffer[--position] = digits[value % base];
        value /= base;
    } while (value);
    out.padded(spec, prefix, buffer + position, sizeof(buffer) - position);
}

uint64_t take_unsigned(const Spec& spec, va_list& args)
{
    switch (spec.length) {
    case 0: return va_arg(args, unsigned int);
    case 1: return va_arg(args, unsigned long);
    case 2: return va_arg(args, unsigned long long);
    default: return va_arg(args, size_t);
    }
}

int64_t take_signed(const Spec& spec, va_list& args)
{
    switch (spec.length) {
    case 0: return va_arg(args, int);
    case 1: return va_arg(args, long);
    case 2: return va_arg(args, long long);
    default: return int64_t(va_arg(args, size_t));
    }
}

/* Parses flags, width, precision and length after a '%'; returns the position of
 * the conversion character. */
const char* parse_spec(const char* p, Spec& spec, va_list& args)
{
    for (;; ++p) {
        if (*p == '-')
            spec.left_align = true;
        else if (*p == '0')
            spec.zero_pad = true;
        else
            break;
    }
    if (*p == '*') {
        spec.width = va_arg(args, int);
        if (spec.width < 0) {
            spec.left_align = true;
            spec.width = -spec.width;
        }
        ++p;
    }
    while (*p >= '0' && *p <= '9')
        spec.width = spec.width * 10 + (*p++ - '0');
    if (*p == '.') {
        ++p;
        spec.precision = 0;
        if (*p == '*') {
            spec.precision = va_arg(args, int);
            ++p;
        }
        while (*p >= '0' && *p <= '9')
            spec.precision = spec.precision * 10 + (*p++ - '0');
    }
    if (*p == 'l') {
        spec.length = 1;
        if (*++p == 'l') {
            spec.length = 2;
            ++p;
        }
    } else if (*p == 'z') {
        spec.length = 3;
        ++p;
    }
    return p;
}

void format_one(Writer& out, char conversion, Spec& spec, va_list& args)
{
    switch (conversion) {
    case 'd':
    case 'i': {
        int64_t value = take_signed(spec, args);
        uint64_t magnitude = value < 0 ? uint64_t(0) - uint64_t(value) : uint64_t(value);
        format_unsigned(out, spec, value < 0 ? "-" : "", magnitude, 10, false);
        break;
    }
    case 'u': format_unsigned(out, spec, "", take_unsigned(spec, args), 10, false); break;
    case 'x': format_unsigned(out, spec, "", take_unsigned(spec, args), 16, false); break;
    case 'X': format_unsigned(out, spec, "", take_unsigned(spec, args), 16, true); break;
    case 'o': format_unsigned(out, spec, "", take_unsigned(spec, args), 8, false); break;
    case 'p':
        spec.zero_pad = true;
        spec.width = 18;
        format_unsigned(out, spec, "0x", uint64_t(va_arg(args, void*)), 16, false);
        break;
    case 'c': {
        char c = char(va_arg(args, int));
        out.padded(spec, "", &c, 1);
        break;
    }
    case 's': {
        const char* text = va_arg(args, const char*);
        if (!text)
            text = "(null)";
        size_t length = 0;
        while (text[length] && (spec.precision < 0 || length < size_t(spec.precision)))
            ++length;
        spec.zero_pad = false;
        out.padded(spec, "", text, length);
        break;
    }
    case '%': out.put("%", 1); break;
    default: /* Unknown conversion: show it as written, so the mistake is visible. */
        out.put("%", 1);
        out.put(&conversion, 1);
        break;
    }
}

struct BufferContext {
    char* buffer;
    size_t size;
    size_t used;
};

void buffer_sink(void* context, const char* text, size_t length)
{
    auto* target = static_cast<BufferContext*>(context);
    for (size_t i = 0; i < length; ++i) {
        if (target->used + 1 < target->size)
            target->buffer[target->used++] = text[i];
    }
}

} // namespace

size_t format_to(FormatSink sink, void* context, const char* format, va_list args)
{
    Writer out(sink, context);
    va_list ap;
    va_copy(ap, args);
    const char* p = format;
    while (*p) {
        const char* literal = p;
        while (*p && *p != '%')
            ++p;
        out.put(literal, size_t(p - literal));
        if (!*p)
            break;
        Spec spec;
        p = parse_spec(p + 1, spec, ap);
        if (!*p)
            break;
        format_one(out, *p++, spec, ap);
    }
    va_end(ap);
    return out.count();
}

size_t vformat_string(char* buffer, size_t size, const char* format, va_list args)
{
    BufferContext target{buffer, size, 0};
    size_t length = format_to(buffer_sink, &target, format, args);
    if (size)
        buffer[target.used] = '\0';
    return length;
}

size_t format_string(char* buffer, size_t size, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    size_t length = vformat_string(buffer, size, format, args);
    va_end(args);
    return length;
}
