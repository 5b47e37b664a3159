/* fast_syscall_entry: where the SYSCALL instruction lands (IA32_LSTAR). Builds a
 * TrapFrame (trap_frame.h) on the current thread's kernel stack, as an interrupt
 * from ring 3 would, calls syscall_handle(TrapFrame*) with interrupts on, and
 * returns with SYSRET, or IRETQ when SYSRET cannot be used. Follows the Intel SDM
 * (revision 084), Vol. 2B, "SYSCALL" and "SYSRET", and Vol. 3A, "Fast System
 * Calls in 64-Bit Mode". */
#include "trap_frame.h"
#include "tss.h"
#include "user_mode.h"

.section .bss
.align 8
/* The user's RSP for the few instructions until it is on the kernel stack. One
 * CPU, and IF stays clear until then (IA32_FMASK), so one slot is enough. */
syscall_user_rsp:
    .quad 0

.section .text
.global fast_syscall_entry
fast_syscall_entry:
    /* SYSCALL saved RIP in RCX and RFLAGS in R11, loaded the kernel CS and SS
     * from IA32_STAR, and switched no stack: RSP is still the user's. The
     * thread's kernel stack is the TSS's RSP0 (the scheduler keeps it current). */
    mov %rsp, syscall_user_rsp(%rip)
    mov task_state_segment + TSS_RSP0_OFFSET(%rip), %rsp
    pushq $USER_DATA_SELECTOR_VALUE     /* ss */
    pushq syscall_user_rsp(%rip)        /* rsp */
    push %r11                           /* rflags */
    pushq $USER_CODE64_SELECTOR_VALUE   /* cs */
    push %rcx                           /* rip */
    pushq $0                            /* error code */
    pushq $TRAP_FRAME_SYSCALL_VECTOR
    sub $TRAP_FRAME_VECTOR, %rsp
    SAVE_GENERAL_REGISTERS
    mov %rsp, %rdi
    /* The frame is complete: from here on an interrupt may come and the
     * scheduler may switch away, as anywhere in the kernel. */
    sti
    call syscall_handle
    cli
    /* SYSRET loads RIP from RCX; a non-canonical RIP makes it raise #GP in ring
     * 0 on the user's stack, so anything outside the lower half (an exec or a
     * signal may have changed the frame) returns through IRETQ, which faults in
     * ring 3 instead. */
    mov TRAP_FRAME_RIP(%rsp), %rcx
    shr $47, %rcx
    jnz interrupt_return
    RESTORE_GENERAL_REGISTERS
    mov TRAP_FRAME_RIP(%rsp), %rcx
    mov TRAP_FRAME_RFLAGS(%rsp), %r11
    mov TRAP_FRAME_RSP(%rsp), %rsp
    sysretq

.global enter_user_frame
/* void enter_user_frame(const TrapFrame* frame, TrapFrame* destination):
 * destination is the TrapFrame slot at the top of the current thread's kernel
 * stack; `frame` may lie anywhere, this stack included (between RSP and the
 * slot, even overlapping the slot). It is first copied below RSP, then from
 * there into the slot, and popped with IRETQ. Interrupts must be off. */
enter_user_frame:
    mov %rsi, %rdx
    sub $TRAP_FRAME_SIZE, %rsp
    mov %rdi, %rsi
    mov %rsp, %rdi
    mov $(TRAP_FRAME_SIZE / 8), %ecx
    rep movsq
    mov %rsp, %rsi
    mov %rdx, %rdi
    mov $(TRAP_FRAME_SIZE / 8), %ecx
    rep movsq
    mov %rdx, %rsp
    jmp interrupt_return
