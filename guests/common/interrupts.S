/* IRQ entry stubs of a test guest (see interrupts.h): each counts its IRQ, sends
 * the 8259A a non-specific end of interrupt (the slave and the master for IRQs
 * 8-15) and returns. IRQ 0 masks every IRQ once irq0_limit is reached. Follows
 * the Intel 8259A datasheet, "Operation Command Words" (OCW2 0x20: non-specific
 * EOI). */

.macro irq_stub irq
irq_stub_\irq:
    push %eax
    incl irq_counts + 4 * \irq
    .if \irq == 0
    mov irq0_limit, %eax
    test %eax, %eax
    jz 1f
    cmp irq_counts, %eax
    ja 1f
    mov $0xFF, %al              /* OCW1: mask every IRQ of both PICs */
    outb %al, $0x21
    outb %al, $0xA1
1:
    .endif
    mov $0x20, %al
    .if \irq >= 8
    outb %al, $0xA0
    .endif
    outb %al, $0x20
    pop %eax
    iret
.endm

.text
.code32
    .irp irq, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    irq_stub \irq
    .endr

.section .rodata
.align 4
.global irq_stubs
irq_stubs:
    .irp irq, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
    .long irq_stub_\irq
    .endr

.bss
.align 4
.global irq_counts
irq_counts:
    .skip 64
.global irq0_limit
irq0_limit:
    .skip 4
