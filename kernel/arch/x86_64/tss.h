/* The 64-bit Task-State Segment: no task switching in long mode, only the stacks
 * the CPU loads on a privilege change (RSP0) and for IST gates. Follows the Intel
 * SDM (revision 084), Vol. 3A, "Task Management in 64-bit Mode". */
#pragma once

/* Where RSP0 lies in the TSS, for the syscall entry's assembly. */
#define TSS_RSP0_OFFSET 4

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct [[gnu::packed]] TaskStateSegment {
    uint32_t reserved0;
    uint64_t rsp[3]; /* stack pointers loaded on an interrupt from ring 3 (rsp[0]) */
    uint64_t reserved1;
    uint64_t ist[7]; /* interrupt stack table: ist[0] is IST1 in an IDT gate */
    uint64_t reserved2;
    uint16_t reserved3;
    /* An offset at or past the segment limit means "no I/O permission bitmap":
     * every port access from ring 3 faults unless IOPL allows it. */
    uint16_t io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);
static_assert(offsetof(TaskStateSegment, rsp) == TSS_RSP0_OFFSET);
static_assert(offsetof(TaskStateSegment, ist) == 36);
static_assert(offsetof(TaskStateSegment, io_map_base) == 102);
#endif
