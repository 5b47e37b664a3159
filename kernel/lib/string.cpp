/* memcpy, memset and friends. The kernel is built with freestanding flags, so
 * these are the real definitions; the copies and fills use string instructions. */
#include "string.h"

#include <stdint.h>

extern "C" {

/* Eight bytes per iteration, then the rest byte by byte. On CPUs with "Enhanced
 * REP MOVSB and STOSB" (Intel SDM Vol. 1, "Fast-String Operation") a plain
 * rep movsb would be as fast, but Bochs counts every iteration as an instruction,
 * and with clock: sync=none its TSC counts instructions: byte iterations made
 * every copy through memcpy cost eight times what it costs in 8-byte units. */
void* memcpy(void* destination, const void* source, size_t count)
{
    auto* d = static_cast<uint8_t*>(destination);
    auto* s = static_cast<const uint8_t*>(source);
    size_t quads = count / 8, rest = count % 8;
    asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(quads)::"memory");
    asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(rest)::"memory");
    return destination;
}

void* memmove(void* destination, const void* source, size_t count)
{
    auto* d = static_cast<uint8_t*>(destination);
    auto* s = static_cast<const uint8_t*>(source);
    if (d == s || count == 0)
        return destination;
    if (d < s || d >= s + count)
        return memcpy(destination, source, count);
    while (count--)
        d[count] = s[count];
    return destination;
}

void* memset(void* destination, int value, size_t count)
{
    auto* d = static_cast<uint8_t*>(destination);
    /* In 8-byte units as memcpy, for the same reason. */
    uint64_t pattern = uint64_t(uint8_t(value)) * 0x0101010101010101ull;
    size_t quads = count / 8, rest = count % 8;
    asm volatile("rep stosq" : "+D"(d), "+c"(quads) : "a"(pattern) : "memory");
    asm volatile("rep stosb" : "+D"(d), "+c"(rest) : "a"(pattern) : "memory");
    return destination;
}

int memcmp(const void* a, const void* b, size_t count)
{
    auto* x = static_cast<const uint8_t*>(a);
    auto* y = static_cast<const uint8_t*>(b);
    for (size_t i = 0; i < count; ++i) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char* text)
{
    size_t length = 0;
    while (text[length])
        ++length;
    return length;
}

size_t strnlen(const char* text, size_t limit)
{
    size_t length = 0;
    while (length < limit && text[length])
        ++length;
    return length;
}

int strcmp(const char* a, const char* b)
{
    while (*a && *a == *b) {
        ++a;
        ++b;
    }
    return int(uint8_t(*a)) - int(uint8_t(*b));
}

int strncmp(const char* a, const char* b, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        if (a[i] != b[i] || !a[i])
            return int(uint8_t(a[i])) - int(uint8_t(b[i]));
    }
    return 0;
}

char* strchr(const char* text, int c)
{
    for (;; ++text) {
        if (*text == char(c))
            return const_cast<char*>(text);
        if (!*text)
            return nullptr;
    }
}

} // extern "C"

bool starts_with(const char* text, const char* prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}
