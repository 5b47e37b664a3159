/* VM entry and VM exit: the border between host and guest. Read next to the Intel
 * SDM (revision 084), Vol. 3C, "VMLAUNCH/VMRESUME" and "Loading Host State" in
 * chapter "VM Exits": on a VM exit the CPU loads RSP and RIP from the VMCS's host
 * fields and nothing else of the general-purpose registers, so everything the
 * host needs afterwards must be found through the stack pointer. */
#include "hypervisor/vmx/guest_registers.h"
#include "hypervisor/vmx/vmcs_encodings.h"

.section .text
.global vmx_enter_guest
/* int vmx_enter_guest(GuestRegisters* registers [RDI], bool launched [SIL]) */
vmx_enter_guest:
    /* The host's callee-saved registers, as for any call. */
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                       /* the registers' address: found again at exit */

    /* HOST_RSP = this stack pointer, so the exit lands exactly here. The VM's
     * thread may call from a different depth than last time; usually it does
     * not (the run loop always calls from the same frame), and then the VMCS
     * already holds the value. A VMCS keeps its fields across VMCLEAR and
     * VMPTRLD ("Software Use of the VMCS"), so the remembered value stays true. */
    cmp %rsp, HOST_RSP_WRITTEN(%rdi)
    je 3f
    mov $VMCS_HOST_RSP, %rax
    vmwrite %rsp, %rax
    mov %rsp, HOST_RSP_WRITTEN(%rdi)
3:

    /* Load the guest's registers; RDI last, as it points at them. */
    mov GUEST_CR2(%rdi), %rax
    mov %rax, %cr2
    mov %sil, %al                   /* keep `launched` in a flag-free place */
    test %al, %al
    mov GUEST_RAX(%rdi), %rax
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
    mov GUEST_RDI(%rdi), %rdi       /* MOVs leave ZF from the TEST above alone */
    jnz 1f
    vmlaunch
    jmp 2f
1:  vmresume
2:  /* Only reached when the entry failed as an instruction (VMfail): no guest ran.
     * Turn CF/ZF into the return value before anything changes the flags. */
    mov $VM_ENTER_FAIL_INVALID, %eax
    mov $VM_ENTER_FAIL_VALID, %ecx
    cmovz %ecx, %eax
    pop %rdi
    jmp restore_host

.global vmx_exit_entry
/* HOST_RIP: a VM exit continues here, with RSP = HOST_RSP (the push of RDI above
 * on top) and every other general-purpose register still the guest's. */
vmx_exit_entry:
    xchg (%rsp), %rdi               /* RDI = registers, stack top = guest RDI */
    mov %rax, GUEST_RAX(%rdi)
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
    pop %rax
    mov %rax, GUEST_RDI(%rdi)
    mov %cr2, %rax
    mov %rax, GUEST_CR2(%rdi)
    xor %eax, %eax                  /* VM_ENTER_EXITED */

restore_host:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
