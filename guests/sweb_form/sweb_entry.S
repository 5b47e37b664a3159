/* The entry of kernel.x, our own kernel in the form a SWEB build produces (issue
 * #14): an ELF32 container (objcopy -O elf32-i386) of the higher-half 64-bit
 * kernel, loaded by its program headers at physical 1 MiB, whose Multiboot header
 * has flags 0x7 (page-aligned modules, memory information, and a video mode:
 * 80x25 EGA text) and no address fields, and whose 32-bit entry pushes onto the
 * loader's stack before it loads its own, as SWEB's C entry function does. A
 * loader that enters with ESP = 0 (the bug of issue #14) makes its first push
 * write to 0xFFFFFFFC, outside RAM.
 * Follows the Multiboot Specification version 0.6.96, sections 3.1.1-3.1.4
 * ("The layout of Multiboot header", "The magic fields", "The address fields",
 * "The graphics fields") and 3.2 ("Machine state").
 * Linked first into kernel_sweb_form.elf (CMakeLists.txt), so its header comes
 * before the kernel's own in .multiboot and a loader finds it first. */
#include "kernel/arch/x86_64/boot/layout.h"

.set MB_HEADER_MAGIC, 0x1BADB002
.set MB_HEADER_FLAGS, 0x7           /* page align, memory information, video mode */
.set MB_MODE_EGA_TEXT, 1

#define PHYS(symbol) ((symbol) - KERNEL_VMA)

.section .multiboot, "a"
.align 4
sweb_form_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
    .long 0, 0, 0, 0, 0             /* address fields: unused without flag 16 */
    .long MB_MODE_EGA_TEXT          /* mode_type */
    .long 80                        /* width: characters */
    .long 25                        /* height: rows */
    .long 0                         /* depth: 0 in text mode */

.section .boot.text, "ax"
.code32
.global sweb_entry32
/* What a C function's prologue does first, then the loader's EAX and EBX kept on
 * that stack and read back, which needs ESP to point into RAM. The kernel then
 * logs through port 0xE9 as well (kernel/console/log.cpp) and programs the PIT
 * with divisor 0 (18.2 Hz, kernel/drivers/pit8254.cpp), as SWEB does. */
sweb_entry32:
    push %ebp
    mov %esp, %ebp
    push %ebx
    push %eax
    movl $1, PHYS(console_to_debug_port)
    movl $1, PHYS(pit_sweb_tick)    /* the PIT with divisor 0, 18.2 Hz */
    pop %eax
    pop %ebx
    pop %ebp
    /* Absolute: paging is off, so EIP is physical while the link address is high. */
    mov $PHYS(boot_entry32), %ecx
    jmp *%ecx
