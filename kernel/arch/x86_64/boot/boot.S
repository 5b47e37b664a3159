/* Multiboot 1 entry: the header a loader looks for, and the 32-bit code that turns
 * on long mode and jumps to the C++ kernel at its higher-half address.
 * Follows the Multiboot Specification version 0.6.96, section 3 ("OS image format",
 * "Machine state"), and the Intel SDM (revision 084), Vol. 3A, "Initializing
 * IA-32e Mode". */
#include "layout.h"

.set MB_HEADER_MAGIC,      0x1BADB002
.set MB_FLAG_PAGE_ALIGN,   1 << 0   /* modules on page boundaries */
.set MB_FLAG_MEMORY_INFO,  1 << 1   /* mem_lower/upper and the memory map */
.set MB_FLAG_ADDRESS,      1 << 16  /* the address fields below are valid */
.set MB_HEADER_FLAGS, MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_ADDRESS

#define PHYS(symbol) ((symbol) - KERNEL_VMA)

/* The address fields make the file loadable as a flat image by every loader (GRUB,
 * QEMU's -kernel, our hypervisor) even though it is an ELF64: the loader copies
 * file bytes from the header's offset on to load_addr..load_end_addr and zeroes up
 * to bss_end_addr. The linker script keeps the image one contiguous segment. */
.section .multiboot, "a"
.align 4
multiboot_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
    .long PHYS(multiboot_header)    /* header_addr */
    .long __image_start_phys        /* load_addr */
    .long __image_data_end_phys     /* load_end_addr */
    .long __image_bss_end_phys      /* bss_end_addr */
    .long PHYS(boot_entry32)        /* entry_addr */

.section .boot.text, "ax"
.code32
.global boot_entry32
/* Machine state on entry (Multiboot "Machine state"): EAX = 0x2BADB002, EBX = the
 * physical address of the Multiboot information, protected mode, paging off, flat
 * segments, interrupts off. The stack pointer is undefined. */
boot_entry32:
    cli
    cld
    mov %eax, %edi              /* first C++ argument: the loader's magic */
    mov %ebx, %esi              /* second: the information's physical address */

    /* Zero .bss first: the boot stack lives there. */
    mov $__image_data_end_phys, %ebx
    mov $__image_bss_end_phys, %ecx
1:  cmp %ecx, %ebx
    jae 2f
    movb $0, (%ebx)
    inc %ebx
    jmp 1b
2:  mov $PHYS(boot_stack_top), %esp

    /* Long mode needs CPUID.80000001h:EDX.LM[bit 29]. */
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz no_long_mode

    /* SDM "Initializing IA-32e Mode": PAE on, CR3 to the PML4, EFER.LME on, then
     * paging on, which activates long mode. */
    mov %cr4, %eax
    or $(1 << 5), %eax          /* CR4.PAE */
    mov %eax, %cr4
    mov $PHYS(boot_pml4), %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx       /* IA32_EFER */
    rdmsr
    or $(1 << 8), %eax          /* LME */
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE */
    mov %eax, %cr0

    lgdt PHYS(boot_gdt_pointer32)
    ljmp $BOOT_CODE64_SELECTOR, $PHYS(boot_entry64_low)

no_long_mode:
    /* Say so on the VGA screen and on COM1, then stop. */
    mov $PHYS(no_long_mode_message), %esi
    mov $0xB8000, %edi
3:  lodsb
    test %al, %al
    jz 4f
    mov $0x4F, %ah
    stosw
    mov $0x3F8, %dx
    outb %al, %dx
    jmp 3b
4:  hlt
    jmp 4b

.code64
/* Still running at the physical (identity-mapped) address: reload the data
 * segments, then jump to the linked higher-half address. */
boot_entry64_low:
    mov $BOOT_DATA_SELECTOR, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $boot_entry64_high, %rax
    jmp *%rax

.section .boot.rodata, "a"
no_long_mode_message:
    .asciz "Matryoshka needs a 64-bit (long mode) CPU."

.section .boot.data, "aw"
.align 8
boot_gdt:
    .quad 0                     /* null */
    .quad 0x00AF9A000000FFFF    /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00CF92000000FFFF    /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_pointer32:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)
.align 8
boot_gdt_pointer64:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

/* Boot page tables: the first 1 GiB identity mapped (the loader's structures and
 * this code), again at KERNEL_VMA (the image), and the first 4 GiB at
 * DIRECT_MAP_BASE, all with 2 MiB pages (present, writable, page size). ArchMemory
 * replaces them once the kernel knows the real memory map. */
.set PAGE_TABLE_FLAGS, 0x3      /* present, writable */
.set LARGE_PAGE_FLAGS, 0x83     /* present, writable, 2 MiB page */
.align 4096
.global boot_pml4
boot_pml4:
    .quad PHYS(boot_pdpt_identity) + PAGE_TABLE_FLAGS
    .fill 255, 8, 0
    .quad PHYS(boot_pdpt_direct) + PAGE_TABLE_FLAGS    /* index 256: DIRECT_MAP_BASE */
    .fill 254, 8, 0
    .quad PHYS(boot_pdpt_kernel) + PAGE_TABLE_FLAGS    /* index 511: KERNEL_VMA */
boot_pdpt_identity:
    .quad PHYS(boot_pd_direct) + PAGE_TABLE_FLAGS
    .fill 511, 8, 0
boot_pdpt_kernel:
    .fill 510, 8, 0
    .quad PHYS(boot_pd_direct) + PAGE_TABLE_FLAGS      /* index 510: -2 GiB */
    .quad 0
boot_pdpt_direct:
    .quad PHYS(boot_pd_direct) + PAGE_TABLE_FLAGS
    .quad PHYS(boot_pd_direct) + 0x1000 + PAGE_TABLE_FLAGS
    .quad PHYS(boot_pd_direct) + 0x2000 + PAGE_TABLE_FLAGS
    .quad PHYS(boot_pd_direct) + 0x3000 + PAGE_TABLE_FLAGS
    .fill 508, 8, 0
boot_pd_direct:
    .set frame, 0
    .rept 2048
    .quad frame + LARGE_PAGE_FLAGS
    .set frame, frame + 0x200000
    .endr

.section .bss
.align 16
boot_stack:
    .skip BOOT_STACK_SIZE
.global boot_stack_top
boot_stack_top:

.section .text
.global boot_entry64_high
boot_entry64_high:
    movabs $boot_stack_top, %rsp
    movabs $boot_gdt_pointer64, %rax
    lgdt (%rax)
    xor %ebp, %ebp              /* ends the stack trace */
    /* EDI and ESI still hold the magic and the information's address; the 32-bit
     * moves zero-extended them. */
    call kernel_entry
5:  cli
    hlt
    jmp 5b
