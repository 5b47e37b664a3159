/* A broken invariant: print one greppable line, the registers and a stack trace,
 * then power off as failed. Every panic line starts with "[host panic] PANIC: ". */
#pragma once

struct TrapFrame;

[[noreturn]] void panic(const char* format, ...) __attribute__((format(printf, 1, 2)));

/* A panic about an interrupted context (an exception): prints the registers saved
 * in `frame` and a stack trace starting at the interrupted instruction. */
[[noreturn]] void panic_with_frame(const TrapFrame& frame, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the return addresses found by walking the frame-pointer chain from `rbp`. */
void print_stack_trace(unsigned long rbp);

#define KERNEL_ASSERT(condition)                                                                         \
    do {                                                                                                 \
        if (!(condition))                                                                                \
            panic("assertion failed: %s at %s:%d", #condition, __FILE__, __LINE__);                      \
    } while (0)
