/* A VMCALL with every general register set to a known value and all of them
 * recorded afterwards, so the hypercall guest can check that the hypervisor
 * preserves what abi/hypercall.h says it preserves. In assembly because the
 * compiler owns EBP and ESP. */

/* RegisterSnapshot in hypercall.cpp: eax, ebx, ecx, edx, esi, edi, ebp, esp_delta. */
.set EDX_SENTINEL, 0xD2D2D2D2
.set ESI_SENTINEL, 0x5E5E5E5E
.set EDI_SENTINEL, 0xD1D1D1D1
.set EBP_SENTINEL, 0xBEBEBEBE

.text
.code32
/* void probe_hypercall(uint32_t number, uint32_t ebx, uint32_t ecx, RegisterSnapshot* out) */
.global probe_hypercall
probe_hypercall:
    push %ebp
    push %edi
    push %esi
    push %ebx
    mov 32(%esp), %eax              /* out */
    mov %eax, probe_out
    mov %esp, probe_esp
    mov 20(%esp), %eax              /* number */
    mov 24(%esp), %ebx
    mov 28(%esp), %ecx
    mov $EDX_SENTINEL, %edx
    mov $ESI_SENTINEL, %esi
    mov $EDI_SENTINEL, %edi
    mov $EBP_SENTINEL, %ebp
    vmcall
    mov %eax, probe_eax
    mov probe_out, %eax
    mov %ebx, 4(%eax)
    mov %ecx, 8(%eax)
    mov %edx, 12(%eax)
    mov %esi, 16(%eax)
    mov %edi, 20(%eax)
    mov %ebp, 24(%eax)
    mov %esp, %ecx
    sub probe_esp, %ecx
    mov %ecx, 28(%eax)
    mov probe_eax, %ecx
    mov %ecx, 0(%eax)
    pop %ebx
    pop %esi
    pop %edi
    pop %ebp
    ret

.bss
.align 4
probe_out: .long 0
probe_esp: .long 0
probe_eax: .long 0
