/* The Interrupt Descriptor Table: 256 interrupt gates, each pointing at its stub
 * in interrupt_entry.S. Follows the Intel SDM (revision 084), Vol. 3A, "IDT
 * Descriptors" and "64-Bit Mode IDT". */
#pragma once
#include <stdint.h>

namespace idt {

constexpr unsigned VECTOR_COUNT = 256;

/* Fills and loads the IDT; the double fault and the NMI use their IST stacks
 * (gdt.h), so gdt::init() must have run. */
void init();

/* What a VMCS's host-state area needs (SDM Vol. 3C, "Host-State Area"). */
uint64_t base();
uint16_t limit();

} // namespace idt
