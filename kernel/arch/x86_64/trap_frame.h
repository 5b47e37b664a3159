/* The registers of an interrupted context as interrupt_entry.S saves them on the
 * stack. The offsets are written once here and used by the assembly; the C++
 * struct is checked against them. The part from `rip` on is what the CPU pushes
 * (Intel SDM revision 084, Vol. 3A, "64-Bit Mode Stack Frame"). */
#pragma once

#define TRAP_FRAME_R15 0
#define TRAP_FRAME_R14 8
#define TRAP_FRAME_R13 16
#define TRAP_FRAME_R12 24
#define TRAP_FRAME_R11 32
#define TRAP_FRAME_R10 40
#define TRAP_FRAME_R9 48
#define TRAP_FRAME_R8 56
#define TRAP_FRAME_RBP 64
#define TRAP_FRAME_RDI 72
#define TRAP_FRAME_RSI 80
#define TRAP_FRAME_RDX 88
#define TRAP_FRAME_RCX 96
#define TRAP_FRAME_RBX 104
#define TRAP_FRAME_RAX 112
#define TRAP_FRAME_VECTOR 120 /* also the size of the saved general registers */
#define TRAP_FRAME_ERROR_CODE 128
#define TRAP_FRAME_RIP 136
#define TRAP_FRAME_CS 144
#define TRAP_FRAME_RFLAGS 152
#define TRAP_FRAME_RSP 160
#define TRAP_FRAME_SS 168
#define TRAP_FRAME_SIZE 176

/* The `vector` of a frame the syscall entry built: no IDT vector has it. */
#define TRAP_FRAME_SYSCALL_VECTOR 0x100

#ifdef __ASSEMBLER__
/* Fill and read the general-register part of a frame at RSP (the interrupt and
 * the syscall entry share them, so both frames look alike). */
.macro SAVE_GENERAL_REGISTERS
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
.endm

.macro RESTORE_GENERAL_REGISTERS
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
.endm
#endif

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code; /* 0 where the CPU pushes none: the entry stub pushes it */
    uint64_t rip, cs, rflags, rsp, ss;

    /* The privilege level the interrupted code ran at: CS's RPL. */
    unsigned privilege_level() const { return cs & 3; }
    bool from_user() const { return privilege_level() == 3; }
};

static_assert(offsetof(TrapFrame, r15) == TRAP_FRAME_R15);
static_assert(offsetof(TrapFrame, r14) == TRAP_FRAME_R14);
static_assert(offsetof(TrapFrame, r13) == TRAP_FRAME_R13);
static_assert(offsetof(TrapFrame, r12) == TRAP_FRAME_R12);
static_assert(offsetof(TrapFrame, r11) == TRAP_FRAME_R11);
static_assert(offsetof(TrapFrame, r10) == TRAP_FRAME_R10);
static_assert(offsetof(TrapFrame, r9) == TRAP_FRAME_R9);
static_assert(offsetof(TrapFrame, r8) == TRAP_FRAME_R8);
static_assert(offsetof(TrapFrame, rbp) == TRAP_FRAME_RBP);
static_assert(offsetof(TrapFrame, rdi) == TRAP_FRAME_RDI);
static_assert(offsetof(TrapFrame, rsi) == TRAP_FRAME_RSI);
static_assert(offsetof(TrapFrame, rdx) == TRAP_FRAME_RDX);
static_assert(offsetof(TrapFrame, rcx) == TRAP_FRAME_RCX);
static_assert(offsetof(TrapFrame, rbx) == TRAP_FRAME_RBX);
static_assert(offsetof(TrapFrame, rax) == TRAP_FRAME_RAX);
static_assert(offsetof(TrapFrame, vector) == TRAP_FRAME_VECTOR);
static_assert(offsetof(TrapFrame, error_code) == TRAP_FRAME_ERROR_CODE);
static_assert(offsetof(TrapFrame, rip) == TRAP_FRAME_RIP);
static_assert(offsetof(TrapFrame, cs) == TRAP_FRAME_CS);
static_assert(offsetof(TrapFrame, rflags) == TRAP_FRAME_RFLAGS);
static_assert(offsetof(TrapFrame, rsp) == TRAP_FRAME_RSP);
static_assert(offsetof(TrapFrame, ss) == TRAP_FRAME_SS);
static_assert(sizeof(TrapFrame) == TRAP_FRAME_SIZE);
/* The CPU aligns RSP to 16 before pushing its frame, so a frame of a multiple of
 * 16 bytes leaves the stack aligned for the C++ call the ABI requires. */
static_assert(TRAP_FRAME_SIZE % 16 == 0);
#endif
