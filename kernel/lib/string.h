/* The C string and memory functions the kernel (and the compiler) needs. */
#pragma once
#include <stddef.h>

extern "C" {
void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
void* memset(void* destination, int value, size_t count);
int memcmp(const void* a, const void* b, size_t count);
size_t strlen(const char* text);
size_t strnlen(const char* text, size_t limit);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t count);
char* strchr(const char* text, int c);
}

/* True when `text` starts with `prefix`. */
bool starts_with(const char* text, const char* prefix);
