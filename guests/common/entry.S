/* The start of every test guest: the Multiboot header, the 32-bit entry, a flat
 * GDT of our own and the stack. Follows the Multiboot Specification version
 * 0.6.96, sections 3.1.1 ("The layout of Multiboot header") and 3.2 ("Machine
 * state"), and the Intel SDM (revision 084), Vol. 3A, "Segment Descriptors". */

.set MB_HEADER_MAGIC, 0x1BADB002
/* No flags: the loader reads the ELF32 program headers and needs to give us
 * nothing but the information structure it always passes. */
.set MB_HEADER_FLAGS, 0

.set CODE_SELECTOR, 0x08
.set DATA_SELECTOR, 0x10
.set STACK_SIZE, 16384

.section .multiboot, "a"
.align 4
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

.text
.code32
.global guest_entry
/* Machine state on entry: EAX = 0x2BADB002, EBX = the information's physical
 * address, protected mode, paging and interrupts off. GDTR is undefined, so the
 * first thing we do is load our own GDT before any segment register changes (an
 * exception would load CS from it). ESP is undefined too. */
guest_entry:
    cli
    cld
    mov $stack_top, %esp
    lgdt gdt_pointer
    ljmp $CODE_SELECTOR, $1f
1:  mov $DATA_SELECTOR, %ecx
    mov %ecx, %ds
    mov %ecx, %es
    mov %ecx, %fs
    mov %ecx, %gs
    mov %ecx, %ss
    push %ebx                   /* guest_start(magic, info) */
    push %eax
    call guest_start
    /* guest_start does not return; should it, nothing else is left to run. */
2:  cli
    hlt
    jmp 2b

.section .rodata
.align 8
/* Null, flat 32-bit code (base 0, limit 4 GiB, DPL 0, execute/read), flat data. */
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF
    .quad 0x00CF92000000FFFF
gdt_end:
gdt_pointer:
    .word gdt_end - gdt - 1
    .long gdt

.bss
.align 16
stack_bottom:
    .skip STACK_SIZE
stack_top:
