/* The hypercall dispatcher: the host side of abi/hypercall.h. No VMX here: the
 * backend hands over the guest's registers at a VMCALL and a way to read guest
 * memory by guest-virtual address; the result goes back in RAX. Nothing the
 * guest passes is trusted: lengths are bounded before use, addresses are
 * translated and checked, strings are copied once into host buffers. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"

#include <stddef.h>
#include <stdint.h>

class Vm;

struct HypercallRegisters {
    uint64_t rax, rbx, rcx, rdx, rsi;
};

/* power_off: the guest asked to stop; ended: the host ended the VM (a guest that
 * broke the file ring's rules). Either way the VM does not run again. */
enum class HypercallOutcome { resume, power_off, ended };

/* `memory` is the guest's address space as it was at the VMCALL; `privilege_level`
 * the guest's CPL then (file calls are refused to guest user mode). May block on
 * the host's file system lock: the caller runs it with interrupts on. */
HypercallOutcome handle_hypercall(Vm& vm, HypercallRegisters& registers, guest_paging::GuestVirtualMemory& memory,
                                  unsigned privilege_level);

/* CPUID leaves 0x40000000 and 0x40000001 as the guest sees them. */
struct CpuidLeaf {
    uint32_t eax, ebx, ecx, edx;
};
bool hypervisor_cpuid_leaf(uint32_t leaf, CpuidLeaf& out);
