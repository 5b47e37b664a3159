/* The guest's general-purpose registers while the host runs: the VMCS holds RSP,
 * RIP and RFLAGS, everything else is saved here by vm_entry.S on every VM exit
 * and loaded from here on every VM entry. The offsets are shared with assembly. */
#pragma once

#define GUEST_RAX 0x00
#define GUEST_RBX 0x08
#define GUEST_RCX 0x10
#define GUEST_RDX 0x18
#define GUEST_RSI 0x20
#define GUEST_RDI 0x28
#define GUEST_RBP 0x30
#define GUEST_R8 0x38
#define GUEST_R9 0x40
#define GUEST_R10 0x48
#define GUEST_R11 0x50
#define GUEST_R12 0x58
#define GUEST_R13 0x60
#define GUEST_R14 0x68
#define GUEST_R15 0x70
#define GUEST_CR2 0x78
#define HOST_RSP_WRITTEN 0x80
#define GUEST_REGISTERS_SIZE 0x88

/* The status vm_entry.S returns. */
#define VM_ENTER_EXITED 0         /* the guest ran and a VM exit brought us back */
#define VM_ENTER_FAIL_INVALID 1   /* VMLAUNCH/VMRESUME: VMfailInvalid */
#define VM_ENTER_FAIL_VALID 2     /* VMfailValid: see the VM-instruction error field */

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/vmx/vmcs_encodings.h"
#include "hypervisor/vmx/vmx_constants.h"

/* vm_entry.S writes HOST_RSP by the assembler's encoding: it must be the field's. */
static_assert(VMCS_HOST_RSP == uint32_t(vmx::VmcsField::host_rsp));

struct GuestRegisters {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    /* CR2 is not part of the VMCS guest state: a host page fault would clobber
     * it, so it travels with the registers. */
    uint64_t cr2;
    /* Not the guest's: the value vm_entry.S last wrote to the VMCS's HOST_RSP,
     * so that an entry from the same stack depth skips the VMWRITE. */
    uint64_t host_rsp_written;
};

static_assert(offsetof(GuestRegisters, rax) == GUEST_RAX);
static_assert(offsetof(GuestRegisters, rbx) == GUEST_RBX);
static_assert(offsetof(GuestRegisters, rcx) == GUEST_RCX);
static_assert(offsetof(GuestRegisters, rdx) == GUEST_RDX);
static_assert(offsetof(GuestRegisters, rsi) == GUEST_RSI);
static_assert(offsetof(GuestRegisters, rdi) == GUEST_RDI);
static_assert(offsetof(GuestRegisters, rbp) == GUEST_RBP);
static_assert(offsetof(GuestRegisters, r8) == GUEST_R8);
static_assert(offsetof(GuestRegisters, r15) == GUEST_R15);
static_assert(offsetof(GuestRegisters, cr2) == GUEST_CR2);
static_assert(offsetof(GuestRegisters, host_rsp_written) == HOST_RSP_WRITTEN);
static_assert(sizeof(GuestRegisters) == GUEST_REGISTERS_SIZE);

/* Enters the guest with VMLAUNCH (when `launched` is false) or VMRESUME, and
 * returns at the next VM exit with the guest's registers saved in `registers`.
 * The current VMCS's HOST_RIP must be vmx_exit_entry. */
extern "C" int vmx_enter_guest(GuestRegisters* registers, bool launched);
extern "C" void vmx_exit_entry();
#endif
