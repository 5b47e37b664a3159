/* VMRUN and #VMEXIT: the border between host and guest on SVM. Read next to the
 * AMD64 APM Vol. 2 (revision 3.42), chapter "Secure Virtual Machine": "VMRUN
 * Instruction" (it saves only RIP, RSP, RAX, RFLAGS, the control registers, EFER,
 * GDTR, IDTR and CS/SS/DS/ES of the host, in the VM_HSAVE_PA page, and loads the
 * same of the guest from the VMCB), "#VMEXIT" (it restores that host state and
 * leaves every other general register as the guest had it), "VMSAVE and VMLOAD
 * Instructions" (FS, GS, TR, LDTR and the syscall MSRs, which VMRUN does not
 * switch) and "Global Interrupt Flag, STGI and CLGI Instructions". */
#include "hypervisor/vmx/guest_registers.h"

.section .text
.global svm_enter_guest
/* void svm_enter_guest(GuestRegisters* registers [RDI], uint64_t vmcb [RSI],
 *                      uint64_t host_vmsave_area [RDX])
 * Called with host interrupts off; returns at the next #VMEXIT with them off. */
svm_enter_guest:
    /* The host's callee-saved registers, as for any call. */
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdx                       /* 16(%rsp): the host's VMSAVE area */
    push %rdi                       /* 8(%rsp): the registers */
    push %rsi                       /* 0(%rsp): the VMCB */

    /* GIF = 0: from here to the STGI below no interrupt, NMI or SMI reaches the
     * host, so it never runs with the guest's FS, GS or TR loaded. */
    clgi
    mov %rdx, %rax
    vmsave                          /* the host's FS, GS, TR, LDTR, syscall MSRs */
    mov %rsi, %rax
    vmload                          /* the guest's */
    /* Host IF = 1 while the guest runs: with V_INTR_MASKING the guest's own IF
     * masks only virtual interrupts, the host's IF masks physical ones, and an
     * arriving interrupt becomes an INTR intercept. GIF = 0 holds it until VMRUN. */
    sti

    /* The guest's registers; RAX stays the VMCB's address (VMRUN's operand, the
     * guest's RAX is in the VMCB), RDI last, as it points at them. */
    mov GUEST_RBX(%rdi), %rbx
    mov GUEST_RCX(%rdi), %rcx
    mov GUEST_RDX(%rdi), %rdx
    mov GUEST_RSI(%rdi), %rsi
    mov GUEST_RBP(%rdi), %rbp
    mov GUEST_R8(%rdi), %r8
    mov GUEST_R9(%rdi), %r9
    mov GUEST_R10(%rdi), %r10
    mov GUEST_R11(%rdi), %r11
    mov GUEST_R12(%rdi), %r12
    mov GUEST_R13(%rdi), %r13
    mov GUEST_R14(%rdi), %r14
    mov GUEST_R15(%rdi), %r15
    mov GUEST_RDI(%rdi), %rdi
    vmrun
    /* #VMEXIT: RSP, RAX (the VMCB again) and RFLAGS are the host's, GIF = 0, and
     * every other general register still the guest's. */
    xchg 8(%rsp), %rdi              /* RDI = registers, the slot = guest RDI */
    mov %rbx, GUEST_RBX(%rdi)
    mov %rcx, GUEST_RCX(%rdi)
    mov %rdx, GUEST_RDX(%rdi)
    mov %rsi, GUEST_RSI(%rdi)
    mov %rbp, GUEST_RBP(%rdi)
    mov %r8, GUEST_R8(%rdi)
    mov %r9, GUEST_R9(%rdi)
    mov %r10, GUEST_R10(%rdi)
    mov %r11, GUEST_R11(%rdi)
    mov %r12, GUEST_R12(%rdi)
    mov %r13, GUEST_R13(%rdi)
    mov %r14, GUEST_R14(%rdi)
    mov %r15, GUEST_R15(%rdi)
    mov 8(%rsp), %rbx
    mov %rbx, GUEST_RDI(%rdi)

    mov 0(%rsp), %rax
    vmsave                          /* the guest's FS, GS, TR, LDTR, syscall MSRs */
    mov 16(%rsp), %rax
    vmload                          /* the host's again */
    /* Interrupts off before GIF = 1: a pending interrupt (the one behind an INTR
     * intercept) waits for the run loop's STI, after the exit is described. */
    cli
    stgi
    add $24, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
