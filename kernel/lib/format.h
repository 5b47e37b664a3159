/* printf-style formatting into a caller's sink, for the log, panic messages and
 * tests. Pure logic: also compiled into the build machine's unit tests. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/* Receives the formatted text in pieces; `context` is the caller's. */
using FormatSink = void (*)(void* context, const char* text, size_t length);

/* Supports %d %i %u %x %X %o %p %s %c %%, the flags '-' and '0', a width (also
 * '*'), a precision for %s, and the length modifiers l, ll, z. A NULL %s prints
 * "(null)". Returns the number of characters produced. */
size_t format_to(FormatSink sink, void* context, const char* format, va_list args);

/* Formats into `buffer` of `size` bytes, always NUL-terminated (when size > 0),
 * truncating. Returns the length the full text would have had. */
size_t format_string(char* buffer, size_t size, const char* format, ...) __attribute__((format(printf, 3, 4)));
size_t vformat_string(char* buffer, size_t size, const char* format, va_list args);
