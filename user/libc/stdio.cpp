/* printf and friends on the kernel's formatter (kernel/lib/format.h), and line
 * input from a file descriptor. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/format.h"

namespace {

/* Collects formatted text and writes it in large pieces: one write per printf
 * unless the text is longer than the buffer. */
struct FdSink {
    int fd;
    size_t used;
    bool failed;
    char buffer[256];

    void flush()
    {
        size_t done = 0;
        while (done < used && !failed) {
            ssize_t written = write(fd, buffer + done, used - done);
            if (written <= 0)
                failed = true;
            else
                done += size_t(written);
        }
        used = 0;
    }
};

void fd_sink(void* context, const char* text, size_t length)
{
    auto* sink = static_cast<FdSink*>(context);
    for (size_t i = 0; i < length; ++i) {
        if (sink->used == sizeof(sink->buffer))
            sink->flush();
        sink->buffer[sink->used++] = text[i];
    }
}

} // namespace

extern "C" {

int vdprintf(int fd, const char* format, va_list args)
{
    FdSink sink{fd, 0, false, {}};
    size_t length = format_to(fd_sink, &sink, format, args);
    sink.flush();
    return sink.failed ? -1 : int(length);
}

int dprintf(int fd, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    int length = vdprintf(fd, format, args);
    va_end(args);
    return length;
}

int vprintf(const char* format, va_list args) { return vdprintf(STDOUT_FILENO, format, args); }

int printf(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    int length = vdprintf(STDOUT_FILENO, format, args);
    va_end(args);
    return length;
}

int vsnprintf(char* buffer, size_t size, const char* format, va_list args)
{
    return int(vformat_string(buffer, size, format, args));
}

int snprintf(char* buffer, size_t size, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    int length = int(vformat_string(buffer, size, format, args));
    va_end(args);
    return length;
}

int fdputs(const char* text, int fd)
{
    size_t length = strlen(text);
    return write(fd, text, length) == ssize_t(length) ? 0 : EOF;
}

int puts(const char* text) { return printf("%s\n", text) < 0 ? EOF : 0; }

int putchar(int c)
{
    char byte = char(c);
    return write(STDOUT_FILENO, &byte, 1) == 1 ? uint8_t(byte) : EOF;
}

int getchar()
{
    unsigned char byte;
    return read(STDIN_FILENO, &byte, 1) == 1 ? byte : EOF;
}

ssize_t read_line(int fd, char* buffer, size_t size)
{
    size_t length = 0;
    bool got_any = false;
    char c;
    while (read(fd, &c, 1) == 1) {
        got_any = true;
        if (c == '\n')
            break;
        if (length + 1 < size)
            buffer[length++] = c;
    }
    if (size)
        buffer[length] = '\0';
    return got_any ? ssize_t(length) : -1;
}

} // extern "C"
