/* Which exits of L2 go to L1: a VM exit of VMCS02 is reflected to L1 exactly when
 * VMCS12's controls ask for it (or when hardware always exits, as for CPUID and the
 * VMX instructions); every other exit is L0's, handled on L1's behalf before L2
 * resumes (host interrupts, L0's own preemption timer, host EPT faults of L1 memory).
 * Intel SDM (revision 084), Vol. 3C, "VMX Non-Root Operation": "Instructions That
 * Cause VM Exits Unconditionally", "Instructions That Cause VM Exits
 * Conditionally", "Other Causes of VM Exits"; "VM-Execution Control Fields" ("I/O-
 * Bitmap Addresses", "MSR-Bitmap Address", "Exception Bitmap", "Guest/Host Masks
 * and Read Shadows for CR0 and CR4", "CR3-Target Controls"); "Exit Qualification
 * for Control-Register Accesses". Pure logic: L1's bitmaps are read through the
 * caller's reader (L1's memory, never trusted: an unreadable bitmap exits to L1, as
 * reading all ones would). Unit-tested in tests/unit/exit_reflection_test.cpp.
 * EPT violations and misconfigurations are decided by the shadow EPT (shadow_ept.h). */
#pragma once
#include "hypervisor/memory/guest_page_walk.h"
#include "hypervisor/nested/vmcs12.h"

#include <stdint.h>

namespace nested {

/* One exit of VMCS02, as L0 read it. */
struct L2Exit {
    vmx::ExitReason reason = vmx::ExitReason::exception_or_nmi;
    uint64_t qualification = 0;
    uint32_t interruption_information = 0; /* exception_or_nmi */
    uint32_t interruption_error_code = 0;   /* exception_or_nmi with an error code (the #PF error code) */
    uint32_t msr = 0;                       /* rdmsr, wrmsr: ECX */
    uint64_t source_value = 0;              /* a MOV to CR: the source register's value */
    bool l0_preemption_timer = false;       /* preemption_timer_expired: L0's own budget ran out, not VMCS12's timer */
};

enum class ExitOwner : uint8_t { l1, l0 };

ExitOwner exit_owner(const Vmcs12& vmcs12, const L2Exit& exit, guest_paging::GuestPhysicalReader& l1_memory);

/* The single rules, exposed for the unit tests and for L0's own uses. */
/* An I/O access of `size` bytes at `port` exits under VMCS12's I/O controls. */
bool io_exits(const Vmcs12& vmcs12, uint16_t port, unsigned size, guest_paging::GuestPhysicalReader& l1_memory);
/* RDMSR (`write` false) or WRMSR of `msr` exits under VMCS12's MSR controls. */
bool msr_exits(const Vmcs12& vmcs12, uint32_t msr, bool write, guest_paging::GuestPhysicalReader& l1_memory);
/* An exception (vector, and its error code for #PF) exits under the exception bitmap. */
bool exception_exits(const Vmcs12& vmcs12, unsigned vector, uint32_t error_code);

} // namespace nested
