/* A broken invariant: print one greppable line, the registers and a stack trace,
 * then power off as failed. Every panic line starts with "[host panic] PANIC: ". */
#pragma once

[[noreturn]] void panic(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* Prints the return addresses found by walking the frame-pointer chain from `rbp`. */
void print_stack_trace(unsigned long rbp);

#define KERNEL_ASSERT(condition)                                                                         \
    do {                                                                                                 \
        if (!(condition))                                                                                \
            panic("assertion failed: %s at %s:%d", #condition, __FILE__, __LINE__);                      \
    } while (0)
