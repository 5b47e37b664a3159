/* Interrupt and exception entry: one stub per vector (all 256), and the common
 * path that saves the general registers into a TrapFrame (trap_frame.h), calls
 * interrupt_dispatch(TrapFrame*) and returns with iretq. Which vectors push an
 * error code follows the Intel SDM (revision 084), Vol. 3A, "Exception and
 * Interrupt Reference" (table "Protected-Mode Exceptions and Interrupts"). */
#include "trap_frame.h"

/* #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30.
 * GAS evaluates a true comparison to -1, so '|' combines them. */
#define PUSHES_ERROR_CODE(v) ((v == 8) | (v == 10) | (v == 11) | (v == 12) | (v == 13) | \
                              (v == 14) | (v == 17) | (v == 21) | (v == 29) | (v == 30))

/* The table of stub addresses that idt.cpp installs, indexed by vector. Each stub
 * appends its own address to it. */
.pushsection .rodata
.align 8
.global interrupt_stub_table
interrupt_stub_table:
.popsection

.section .text
.set vector, 0
.rept 256
    .align 16
1:
    .if PUSHES_ERROR_CODE(vector) == 0
    pushq $0                    /* a dummy error code keeps the frame's layout one */
    .endif
    pushq $vector
    jmp interrupt_common
    .pushsection .rodata
    .quad 1b
    .popsection
    .set vector, vector + 1
.endr

/* Interrupt gates have cleared RFLAGS.IF, so nothing interrupts this path before
 * iretq restores the interrupted RFLAGS. FIXME: swapgs on entry from and exit to
 * ring 3 once user space sets a kernel GS base. */
interrupt_common:
    cld                         /* the ABI expects the direction flag clear */
    sub $TRAP_FRAME_VECTOR, %rsp
    mov %r15, TRAP_FRAME_R15(%rsp)
    mov %r14, TRAP_FRAME_R14(%rsp)
    mov %r13, TRAP_FRAME_R13(%rsp)
    mov %r12, TRAP_FRAME_R12(%rsp)
    mov %r11, TRAP_FRAME_R11(%rsp)
    mov %r10, TRAP_FRAME_R10(%rsp)
    mov %r9, TRAP_FRAME_R9(%rsp)
    mov %r8, TRAP_FRAME_R8(%rsp)
    mov %rbp, TRAP_FRAME_RBP(%rsp)
    mov %rdi, TRAP_FRAME_RDI(%rsp)
    mov %rsi, TRAP_FRAME_RSI(%rsp)
    mov %rdx, TRAP_FRAME_RDX(%rsp)
    mov %rcx, TRAP_FRAME_RCX(%rsp)
    mov %rbx, TRAP_FRAME_RBX(%rsp)
    mov %rax, TRAP_FRAME_RAX(%rsp)
    mov %rsp, %rdi
    call interrupt_dispatch
    mov TRAP_FRAME_R15(%rsp), %r15
    mov TRAP_FRAME_R14(%rsp), %r14
    mov TRAP_FRAME_R13(%rsp), %r13
    mov TRAP_FRAME_R12(%rsp), %r12
    mov TRAP_FRAME_R11(%rsp), %r11
    mov TRAP_FRAME_R10(%rsp), %r10
    mov TRAP_FRAME_R9(%rsp), %r9
    mov TRAP_FRAME_R8(%rsp), %r8
    mov TRAP_FRAME_RBP(%rsp), %rbp
    mov TRAP_FRAME_RDI(%rsp), %rdi
    mov TRAP_FRAME_RSI(%rsp), %rsi
    mov TRAP_FRAME_RDX(%rsp), %rdx
    mov TRAP_FRAME_RCX(%rsp), %rcx
    mov TRAP_FRAME_RBX(%rsp), %rbx
    mov TRAP_FRAME_RAX(%rsp), %rax
    add $TRAP_FRAME_RIP, %rsp   /* drop the registers, the vector and the error code */
    iretq
