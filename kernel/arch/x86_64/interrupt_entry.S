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
 * iretq restores the interrupted RFLAGS. No swapgs, on entry from ring 3 or
 * anywhere else: the kernel keeps nothing in GS (one CPU; the syscall entry
 * finds its stack through the TSS, see syscall_entry.S), so the user's GS base
 * can stay loaded in the kernel, and both entries treat segments alike. */
interrupt_common:
    cld                         /* the ABI expects the direction flag clear */
    sub $TRAP_FRAME_VECTOR, %rsp
    SAVE_GENERAL_REGISTERS
    mov %rsp, %rdi
    call interrupt_dispatch
.global interrupt_return
/* Also where a syscall returns through IRETQ and a thread first enters ring 3
 * (syscall_entry.S): RSP points at a complete TrapFrame. */
interrupt_return:
    RESTORE_GENERAL_REGISTERS
    add $TRAP_FRAME_RIP, %rsp   /* drop the registers, the vector and the error code */
    iretq
