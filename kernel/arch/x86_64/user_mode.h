/* Ring 3: the SYSCALL/SYSRET set-up (Intel SDM revision 084, Vol. 2B, "SYSCALL"
 * and "SYSRET"; Vol. 3A, "Fast System Calls in 64-Bit Mode") and a thread's
 * entry into user mode. The entry code is in syscall_entry.S. */
#pragma once

/* The user selectors of gdt.h (checked there against these), for assembly. */
#define USER_CODE64_SELECTOR_VALUE 0x2b
#define USER_DATA_SELECTOR_VALUE 0x23

#ifndef __ASSEMBLER__
#include "arch/x86_64/trap_frame.h"

#include <stdint.h>

namespace user_mode {

/* RFLAGS a new user context starts with: IF set, and bit 1, which is always 1. */
constexpr uint64_t INITIAL_RFLAGS = 0x202;

/* Turns on SYSCALL (IA32_EFER.SCE) and points IA32_LSTAR at the entry; the
 * entry runs with IF, DF, TF and AC cleared (IA32_FMASK). Call once, after
 * gdt::init(). */
void init();

/* The frame a thread's first return to ring 3 pops: every general register
 * zero, so nothing of the kernel leaks into the new program. */
TrapFrame initial_frame(uint64_t entry, uint64_t stack_pointer);

/* Where the saved user context of a thread lies: an interrupt or syscall from
 * ring 3 puts it right below the top of the thread's kernel stack (RSP0). */
TrapFrame* frame_below(uint64_t kernel_stack_top);

/* Copies `frame` to the top of the current thread's kernel stack and returns to
 * ring 3 with it. */
[[noreturn]] void enter(const TrapFrame& frame, uint64_t kernel_stack_top);

/* System calls entered since boot. */
uint64_t syscall_count();

} // namespace user_mode
#endif
