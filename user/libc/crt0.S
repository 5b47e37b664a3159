/* _start: the first instruction of every user program. The kernel enters here with
 * the System V AMD64 process stack (kernel/loader/user_stack.h): RSP points at argc,
 * followed by argv[], NULL, envp[], NULL. Calls main(argc, argv, envp) and passes
 * its result to exit(). */
    .section .text.start, "ax"
    .global _start
    .type _start, @function
_start:
    xor %ebp, %ebp              /* the outermost frame: stack traces stop here */
    mov (%rsp), %r12            /* argc */
    lea 8(%rsp), %r13           /* argv */
    lea 8(%r13, %r12, 8), %r14  /* envp: after argv's NULL */
    and $-16, %rsp              /* the ABI's alignment before a call, in any case */
    mov %r12, %rdi
    mov %r13, %rsi
    mov %r14, %rdx
    call libc_start             /* environ, global constructors */
    mov %r12, %rdi
    mov %r13, %rsi
    mov %r14, %rdx
    call main
    mov %eax, %edi
    call exit
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
