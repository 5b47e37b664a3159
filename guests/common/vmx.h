/* VMX instructions for the test guests that act as hypervisors (vmx_l1,
 * hostile_vmx): each runs one instruction, resumed after a fault (the fault is in
 * the fault log, common/exceptions.h), and returns EFLAGS after it, from which
 * outcome_of() reads VMsucceed, VMfailInvalid (CF) or VMfailValid (ZF) as the
 * Intel SDM (revision 084), Vol. 3C, "Conventions" in chapter "VMX Instruction
 * Reference" defines them. 32-bit protected mode: operands are 32 bits wide. */
#pragma once
#include "common/exceptions.h"
#include "kernel/arch/x86_64/control_registers.h"

#include <stdint.h>

namespace guest {

inline uint64_t read_msr(uint32_t msr)
{
    uint32_t low = 0, high = 0;
    asm volatile(EXPECT_FAULT("rdmsr") : "+a"(low), "+d"(high) : "c"(msr) : "memory");
    return (uint64_t(high) << 32) | low;
}

inline void write_msr(uint32_t msr, uint64_t value)
{
    asm volatile(EXPECT_FAULT("wrmsr") : : "c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)) : "memory");
}

inline uint32_t read_cr0() { uint32_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
inline uint32_t read_cr4() { uint32_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
inline void write_cr0(uint32_t v) { asm volatile(EXPECT_FAULT("mov %0, %%cr0") : : "r"(v) : "memory"); }
inline void write_cr4(uint32_t v) { asm volatile(EXPECT_FAULT("mov %0, %%cr4") : : "r"(v) : "memory"); }

#define VMX_MEMORY_OPERAND(name, mnemonic)                                                               \
    inline uint32_t name(uint64_t pointer)                                                               \
    {                                                                                                    \
        uint32_t flags;                                                                                  \
        asm volatile(EXPECT_FAULT(mnemonic " %1") "pushfl\n\tpopl %0" : "=r"(flags) : "m"(pointer) : "memory", "cc"); \
        return flags;                                                                                    \
    }
VMX_MEMORY_OPERAND(vmxon, "vmxon")
VMX_MEMORY_OPERAND(vmclear, "vmclear")
VMX_MEMORY_OPERAND(vmptrld, "vmptrld")
#undef VMX_MEMORY_OPERAND

inline uint32_t vmptrst(uint64_t* out)
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmptrst %1") "pushfl\n\tpopl %0" : "=r"(flags), "=m"(*out) : : "memory", "cc");
    return flags;
}

inline uint32_t vmptrst_to(uint32_t linear)
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmptrst (%1)") "pushfl\n\tpopl %0" : "=r"(flags) : "r"(linear) : "memory", "cc");
    return flags;
}

inline uint32_t vmread(uint32_t field, uint32_t& value)
{
    uint32_t flags, result = 0;
    asm volatile(EXPECT_FAULT("vmread %2, %1") "pushfl\n\tpopl %0"
                 : "=&r"(flags), "+&r"(result) : "r"(field) : "memory", "cc");
    value = result;
    return flags;
}

inline uint32_t vmread_to_memory(uint32_t field, uint32_t& value)
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmread %2, %1") "pushfl\n\tpopl %0" : "=&r"(flags), "=m"(value) : "r"(field) : "memory", "cc");
    return flags;
}

inline uint32_t vmwrite(uint32_t field, uint32_t value)
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmwrite %2, %1") "pushfl\n\tpopl %0" : "=&r"(flags) : "r"(field), "r"(value) : "memory", "cc");
    return flags;
}

inline uint32_t vmwrite_from_memory(uint32_t field, const uint32_t& value)
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmwrite %2, %1") "pushfl\n\tpopl %0" : "=&r"(flags) : "r"(field), "m"(value) : "memory", "cc");
    return flags;
}

inline uint32_t vmlaunch()
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmlaunch") "pushfl\n\tpopl %0" : "=r"(flags) : : "memory", "cc");
    return flags;
}

inline uint32_t vmresume()
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmresume") "pushfl\n\tpopl %0" : "=r"(flags) : : "memory", "cc");
    return flags;
}

/* VMLAUNCH right after MOV SS, which blocks events for one instruction. */
inline uint32_t vmlaunch_after_mov_ss()
{
    uint32_t flags;
    asm volatile("movl $1f, guest_fault_resume\n\t"
                 "mov %%ss, %%ax\n\tmov %%ax, %%ss\n\tvmlaunch\n1:\n\tmovl $0, guest_fault_resume\n\t"
                 "pushfl\n\tpopl %0" : "=r"(flags) : : "eax", "memory", "cc");
    return flags;
}

inline uint32_t vmxoff()
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("vmxoff") "pushfl\n\tpopl %0" : "=r"(flags) : : "memory", "cc");
    return flags;
}

inline uint32_t invept(uint32_t type, const uint64_t (&descriptor)[2])
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("invept %1, %2") "pushfl\n\tpopl %0" : "=r"(flags) : "m"(descriptor), "r"(type) : "memory", "cc");
    return flags;
}

inline uint32_t invvpid(uint32_t type, const uint64_t (&descriptor)[2])
{
    uint32_t flags;
    asm volatile(EXPECT_FAULT("invvpid %1, %2") "pushfl\n\tpopl %0" : "=r"(flags) : "m"(descriptor), "r"(type) : "memory", "cc");
    return flags;
}

enum class Outcome { succeed, fail_invalid, fail_valid, fault };

inline const char* outcome_name(Outcome outcome)
{
    switch (outcome) {
    case Outcome::succeed: return "VMsucceed";
    case Outcome::fail_invalid: return "VMfailInvalid";
    case Outcome::fail_valid: return "VMfailValid";
    case Outcome::fault: return "a fault";
    }
    return "?";
}

inline Outcome outcome_of(uint32_t flags)
{
    if (fault_log().count)
        return Outcome::fault;
    if (flags & RFLAGS_CF)
        return Outcome::fail_invalid;
    if (flags & (1u << 6))
        return Outcome::fail_valid;
    return Outcome::succeed;
}

} // namespace guest
