/* C strings and memory. memcpy ... strchr are the kernel's own (kernel/lib/string.cpp,
 * compiled into libc too); the rest are libc's. */
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
char* strrchr(const char* text, int c);
char* strcpy(char* destination, const char* source);
/* Copies at most `count` bytes and pads with NULs; like C, leaves `destination`
 * unterminated when `source` is `count` bytes or longer. */
char* strncpy(char* destination, const char* source, size_t count);
char* strcat(char* destination, const char* source);
char* strdup(const char* text);
/* A short English text for an errno value ("No such file or directory"). */
const char* strerror(int error);
}
