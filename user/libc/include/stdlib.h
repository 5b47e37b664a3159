/* Process exit, the heap, numbers from text and the environment. */
#pragma once
#include <stddef.h>

extern "C" {
/* Runs the atexit handlers, then ends the process with `status`. */
[[noreturn]] void exit(int status);
[[noreturn]] void abort();
int atexit(void (*handler)());

/* The heap grows through brk; every block is 16-byte aligned. */
void* malloc(size_t size);
void free(void* block);
void* calloc(size_t count, size_t size);
void* realloc(void* block, size_t size);

/* C semantics: leading spaces, a sign, base 0 (prefix 0x or 0 picks 16 or 8) or
 * 2..36; *end points after the last digit used; out of range gives LONG_MIN/MAX
 * with errno ERANGE. */
long strtol(const char* text, char** end, int base);
unsigned long strtoul(const char* text, char** end, int base);
int atoi(const char* text);

extern char** environ;
char* getenv(const char* name);
}
