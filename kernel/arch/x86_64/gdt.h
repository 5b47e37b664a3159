/* The kernel's Global Descriptor Table and its one 64-bit TSS. Follows the Intel
 * SDM (revision 084), Vol. 3A, "Segment Descriptors", "TSS Descriptor in 64-bit
 * Mode" and, for the order of the user selectors, Vol. 2B, SYSCALL and SYSRET. */
#pragma once
#include <stdint.h>

namespace gdt {

/* SYSCALL loads CS from STAR[47:32] and SS from that + 8; SYSRET to 64-bit code
 * loads CS from STAR[63:48] + 16 and SS from STAR[63:48] + 8. With STAR[63:48] =
 * USER_CODE32_SELECTOR both work with the order below. Kernel code and data keep
 * the boot GDT's selectors. */
constexpr uint16_t KERNEL_CODE_SELECTOR = 0x08;
constexpr uint16_t KERNEL_DATA_SELECTOR = 0x10;
constexpr uint16_t USER_CODE32_SELECTOR = 0x18 | 3;
constexpr uint16_t USER_DATA_SELECTOR = 0x20 | 3;
constexpr uint16_t USER_CODE64_SELECTOR = 0x28 | 3;
constexpr uint16_t TSS_SELECTOR = 0x30; /* a 16-byte descriptor: two slots */

/* Interrupt stack table slots (1-based, as an IDT gate names them). */
constexpr uint8_t IST_DOUBLE_FAULT = 1;
constexpr uint8_t IST_NMI = 2;

/* Loads the GDT in place of the boot GDT, reloads every segment register and
 * loads the task register. */
void init();

/* The stack the CPU switches to on an interrupt or exception from ring 3. */
void set_kernel_stack(uint64_t rsp0);
uint64_t kernel_stack();

/* What a VMCS's host-state area needs (SDM Vol. 3C, "Host-State Area"). */
uint64_t base();
uint16_t limit();
uint16_t tss_selector();
uint64_t tss_base();
/* The top of the stack behind IST slot `ist` (1-7), 0 when the slot is unused. */
uint64_t ist_stack_top(uint8_t ist);

} // namespace gdt
