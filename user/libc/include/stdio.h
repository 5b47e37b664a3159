/* Formatted output through the kernel's own formatter (kernel/lib/format.h: %d %i
 * %u %x %X %o %p %s %c %%, flags '-' '0', width, precision for %s, l ll z) and
 * line input. No FILE streams: output goes to a file descriptor, unbuffered across
 * calls (one write per printf). */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define EOF (-1)

extern "C" {
int printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* format, va_list args);
int dprintf(int fd, const char* format, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char* format, va_list args);
int snprintf(char* buffer, size_t size, const char* format, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buffer, size_t size, const char* format, va_list args);
/* Writes `text` and a newline to standard output. */
int puts(const char* text);
int putchar(int c);
/* Writes `text` without a newline to `fd`. */
int fdputs(const char* text, int fd);
/* One byte from standard input, or EOF. */
int getchar();
/* Reads from `fd` up to and including a newline (which is dropped) into `buffer`
 * of `size` bytes, NUL-terminated; a longer line is cut and its rest skipped.
 * Returns the line's length, or -1 at end of file before any byte. */
ssize_t read_line(int fd, char* buffer, size_t size);
}
