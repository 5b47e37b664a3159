/* Single x86_64 instructions as inline functions: port I/O, MSRs, control
 * registers, CPUID, interrupt flag. Everything else in the kernel calls these
 * instead of writing inline assembly of its own. */
#pragma once
#include "arch/x86_64/msr.h"

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/control_registers.h"

namespace cpu {

inline void outb(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" ::"a"(value), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t value) { asm volatile("outw %0, %1" ::"a"(value), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t value) { asm volatile("outl %0, %1" ::"a"(value), "Nd"(port)); }
/* REP OUTSB: `count` bytes to one port in one instruction (under a hypervisor,
 * one VM exit instead of one per byte). */
inline void outsb(uint16_t port, const void* bytes, size_t count)
{
    asm volatile("rep outsb" : "+S"(bytes), "+c"(count) : "d"(port) : "memory");
}

inline uint8_t inb(uint16_t port)
{
    uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline uint16_t inw(uint16_t port)
{
    uint16_t value;
    asm volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline uint32_t inl(uint16_t port)
{
    uint32_t value;
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* MSRs by their typed name (arch/x86_64/msr.h): a bare number cannot be passed. */
inline uint64_t rdmsr(Msr msr)
{
    uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(uint32_t(msr)));
    return (uint64_t(high) << 32) | low;
}

inline void wrmsr(Msr msr, uint64_t value)
{
    asm volatile("wrmsr" ::"c"(uint32_t(msr)), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)));
}

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0)
{
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

/* A Matryoshka hypercall (abi/hypercall.h): number in RAX, arguments in RBX,
 * RCX, RDX, RSI, the result in RAX. Outside a VM, VMCALL raises #UD. */
inline uint64_t vmcall(uint64_t number, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0)
{
    asm volatile("vmcall" : "+a"(number), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi) : : "memory");
    return number;
}

#define CPU_CONTROL_REGISTER(n)                                                                          \
    inline uint64_t read_cr##n()                                                                         \
    {                                                                                                    \
        uint64_t value;                                                                                  \
        asm volatile("mov %%cr" #n ", %0" : "=r"(value));                                                \
        return value;                                                                                    \
    }                                                                                                    \
    inline void write_cr##n(uint64_t value) { asm volatile("mov %0, %%cr" #n ::"r"(value) : "memory"); }
CPU_CONTROL_REGISTER(0)
CPU_CONTROL_REGISTER(2)
CPU_CONTROL_REGISTER(3)
CPU_CONTROL_REGISTER(4)
CPU_CONTROL_REGISTER(8) /* the local APIC's task priority, TPR[7:4] */
#undef CPU_CONTROL_REGISTER

inline uint64_t read_rflags()
{
    uint64_t value;
    asm volatile("pushfq; pop %0" : "=r"(value));
    return value;
}

inline uint64_t read_rbp()
{
    uint64_t value;
    asm volatile("mov %%rbp, %0" : "=r"(value));
    return value;
}

inline uint64_t read_rsp()
{
    uint64_t value;
    asm volatile("mov %%rsp, %0" : "=r"(value));
    return value;
}

inline uint64_t rdtsc()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t(high) << 32) | low;
}

/* The operand of lgdt/lidt and the result of sgdt/sidt (SDM Vol. 3A, "Segment
 * Descriptor Tables", "Interrupt Descriptor Table (IDT)"). */
struct [[gnu::packed]] DescriptorTablePointer {
    uint16_t limit;
    uint64_t base;
};

inline void lgdt(const DescriptorTablePointer& pointer) { asm volatile("lgdt %0" ::"m"(pointer) : "memory"); }
inline void lidt(const DescriptorTablePointer& pointer) { asm volatile("lidt %0" ::"m"(pointer) : "memory"); }
inline void ltr(uint16_t selector) { asm volatile("ltr %0" ::"r"(selector) : "memory"); }

inline DescriptorTablePointer sgdt()
{
    DescriptorTablePointer pointer;
    asm volatile("sgdt %0" : "=m"(pointer));
    return pointer;
}

inline DescriptorTablePointer sidt()
{
    DescriptorTablePointer pointer;
    asm volatile("sidt %0" : "=m"(pointer));
    return pointer;
}

inline uint16_t str()
{
    uint16_t selector;
    asm volatile("str %0" : "=r"(selector));
    return selector;
}

inline uint16_t read_cs()
{
    uint16_t selector;
    asm volatile("mov %%cs, %0" : "=r"(selector));
    return selector;
}

/* CS cannot be written with mov: a far return pops the new CS with the address
 * of the next instruction. */
inline void load_code_segment(uint16_t selector)
{
    asm volatile("pushq %q0\n\t"
                 "leaq 1f(%%rip), %%rax\n\t"
                 "pushq %%rax\n\t"
                 "lretq\n"
                 "1:" ::"r"(uint64_t(selector))
                 : "rax", "memory");
}

inline void load_data_segments(uint16_t selector)
{
    asm volatile("mov %0, %%ds\n\tmov %0, %%es\n\tmov %0, %%ss" ::"r"(selector) : "memory");
}

inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause"); }
/* sti takes effect after the next instruction, so no interrupt can slip in
 * between the two: a wake-up that arrives after the caller's last check still
 * ends the hlt. */
inline void enable_interrupts_and_halt() { asm volatile("sti; hlt" ::: "memory"); }
inline void int3() { asm volatile("int3" ::: "memory"); }
/* Runs the NMI handler (IDT vector 2) as a software interrupt. Unlike a real NMI
 * it does not block NMIs, but the handler's IRET unblocks them. */
inline void raise_nmi() { asm volatile("int $2" ::: "memory"); }
/* x87/SSE state in the 512-byte FXSAVE format (SDM Vol. 1, "FXSAVE"): the area
 * must be 16-byte aligned. */
inline void fxsave(void* area) { asm volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
inline void fxrstor(const void* area) { asm volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }
inline void fninit() { asm volatile("fninit" ::: "memory"); }
inline void ldmxcsr(uint32_t value) { asm volatile("ldmxcsr %0" ::"m"(value) : "memory"); }
inline void invlpg(uint64_t address) { asm volatile("invlpg (%0)" ::"r"(address) : "memory"); }

/* DR6 says why a debug exception (#DB) happened; the CPU never clears it. */
constexpr uint64_t DR6_SINGLE_STEP = 1 << 14;
inline uint64_t read_dr6()
{
    uint64_t value;
    asm volatile("mov %%dr6, %0" : "=r"(value));
    return value;
}
inline void write_dr6(uint64_t value) { asm volatile("mov %0, %%dr6" ::"r"(value)); }

inline bool interrupts_enabled() { return read_rflags() & RFLAGS_IF; }

[[noreturn]] inline void halt_forever()
{
    for (;;) {
        cli();
        hlt();
    }
}

} // namespace cpu
