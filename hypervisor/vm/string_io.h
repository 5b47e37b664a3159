/* INS and OUTS, with or without REP, as both backends emulate them (SDM Vol. 2
 * "INS/INSB/INSW/INSD" and "OUTS/OUTSB/OUTSW/OUTSD"; AMD APM Vol. 3 the same):
 * each element goes through the guest's paging like any memory operand, and a
 * long REP is done in bounded batches: the instruction stays at RIP until RCX
 * reaches 0, so the host keeps control in between. The backend decodes the
 * operands (address size, segment) from its exit information and moves RIP. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"
#include "hypervisor/vmx/guest_registers.h"

#include <stddef.h>
#include <stdint.h>

class Vm;

struct StringIo {
    uint16_t port;
    unsigned size;         /* bytes per element: 1, 2 or 4 */
    bool in;               /* INS (port to memory), else OUTS */
    bool rep;
    bool backwards;        /* RFLAGS.DF */
    uint64_t address_mask; /* 0xFFFF, 0xFFFFFFFF or ~0: the address size */
    uint64_t segment_base; /* ES for INS, the (overridable) DS for OUTS */
};

enum class StringIoEnd {
    complete,     /* the instruction is done: move RIP past it */
    again,        /* a batch of a REP is done: resume at the same RIP */
    vm_ended,     /* a bad address or a power-off write ended the VM */
    memory_fault, /* only with a StringIoFault to fill: an element's memory was refused */
};

/* The element whose memory access failed: the elements before it are done
 * (RCX, RSI/RDI say so), it and the ones after are not, and RIP stays at the
 * instruction, as the CPU leaves them when an element faults. For an INS the
 * memory is checked before the port is read, so the port sees no read twice. */
struct StringIoFault {
    uint64_t linear = 0; /* the element's linear address */
    bool write = false;  /* INS writes memory, OUTS reads it */
};

/* Moves at most STRING_IO_BATCH elements between the port and guest memory,
 * updating RSI or RDI and RCX in `registers` as the CPU would. A refused
 * memory access ends the VM with a sentence, or, given `fault`, is described
 * there for the caller to deliver (L0 acting for L1: an EPT violation of L1's
 * EPT goes to L1). */
constexpr size_t STRING_IO_BATCH = 1024;
StringIoEnd run_string_io(Vm& vm, GuestRegisters& registers, guest_paging::GuestVirtualMemory& memory,
                          const StringIo& io, StringIoFault* fault = nullptr);
