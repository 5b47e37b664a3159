/* panic() for the build machine: kernel logic under test that finds a broken
 * invariant prints the reason and aborts, which the unit-test runner reports. */
#include "debug/panic.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

void panic(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    std::fprintf(stderr, "PANIC: ");
    std::vfprintf(stderr, format, args);
    std::fprintf(stderr, "\n");
    va_end(args);
    std::abort();
}
