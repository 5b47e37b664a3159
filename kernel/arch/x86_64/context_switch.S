/* switch_context: the only place where one kernel thread stops and another goes on.
 * System V x86_64 calling convention: the caller already saved the caller-saved
 * registers, so only the callee-saved ones (RBX, RBP, R12-R15) and the stack
 * pointer make up a thread's saved context. See kernel/sched/thread.h. */

.section .text
.global switch_context
/* void switch_context(uint64_t* save_rsp_here, uint64_t load_rsp) */
switch_context:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

.global thread_first_entry
/* A new thread's first "return" from switch_context lands here, with its entry
 * function in R12 and the argument in R13 (see Thread::prepare_stack). */
thread_first_entry:
    mov %r12, %rdi
    mov %r13, %rsi
    xor %ebp, %ebp              /* ends stack traces */
    call thread_start           /* never returns */
    ud2
