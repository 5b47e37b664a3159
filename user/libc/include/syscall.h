/* Raw system calls: the `syscall` instruction with the number in RAX and up to six
 * arguments in RDI, RSI, RDX, R10, R8, R9 (docs/syscalls.md). The result comes back
 * in RAX, a negative errno on failure; the CPU clobbers RCX (return RIP) and R11
 * (return RFLAGS). Programs that test the kernel's error paths call these directly;
 * everything else uses the POSIX-style wrappers in <unistd.h>, which set errno. */
#pragma once
#include <abi/syscall_numbers.h>

static inline long syscall0(long number)
{
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number) : "rcx", "r11", "memory");
    return result;
}

static inline long syscall1(long number, long a)
{
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a) : "rcx", "r11", "memory");
    return result;
}

static inline long syscall2(long number, long a, long b)
{
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return result;
}

static inline long syscall3(long number, long a, long b, long c)
{
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

static inline long syscall4(long number, long a, long b, long c, long d)
{
    long result;
    register long r10 asm("r10") = d;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return result;
}

static inline long syscall5(long number, long a, long b, long c, long d, long e)
{
    long result;
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                 : "rcx", "r11", "memory");
    return result;
}

static inline long syscall6(long number, long a, long b, long c, long d, long e, long f)
{
    long result;
    register long r10 asm("r10") = d;
    register long r8 asm("r8") = e;
    register long r9 asm("r9") = f;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                 : "rcx", "r11", "memory");
    return result;
}

/* Results in [-4095, -1] are errors, as on Linux; everything else (a byte count, a
 * pid, an address from brk) is a value. */
static inline bool syscall_failed(long result) { return result < 0 && result >= -4095; }
