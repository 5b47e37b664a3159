/* The hypercall dispatcher: the host side of abi/hypercall.h. No VMX here: the
 * backend hands over the guest's registers at a VMCALL and a way to read guest
 * memory by guest-virtual address; the result goes back in RAX. Nothing the
 * guest passes is trusted: lengths are bounded before use, addresses are
 * translated and checked, strings are copied once into host buffers. */
#pragma once
#include <stddef.h>
#include <stdint.h>

class Vm;

struct HypercallRegisters {
    uint64_t rax, rbx, rcx, rdx, rsi;
};

/* Reads guest memory by guest-virtual address through the guest's own paging and
 * then its guest-physical mapping; false when any byte is not readable. */
class GuestVirtualReader {
public:
    [[nodiscard]] virtual bool read(uint64_t guest_virtual, void* out, size_t length) = 0;

protected:
    ~GuestVirtualReader() = default;
};

enum class HypercallOutcome { resume, power_off };

HypercallOutcome handle_hypercall(Vm& vm, HypercallRegisters& registers, GuestVirtualReader& memory);

/* CPUID leaves 0x40000000 and 0x40000001 as the guest sees them. */
struct CpuidLeaf {
    uint32_t eax, ebx, ecx, edx;
};
bool hypervisor_cpuid_leaf(uint32_t leaf, CpuidLeaf& out);
