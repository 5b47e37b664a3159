/* The checks VMLAUNCH/VMRESUME of L1 make on VMCS12 before L2 runs, as hardware
 * makes them on a VMCS, in the SDM's order: the VMX controls and the host-state
 * area (a failure is VMfailValid with error 7 or 8, L1 goes on after its
 * instruction), then the guest-state area (a failure is a VM exit to L1 with
 * reason 33 and bit 31 set, "VM-entry failure").
 * Intel SDM (revision 084), Vol. 3C, chapter "VM Entries": "Checks on VMX Controls
 * and Host-State Area" ("Checks on VM-Execution Control Fields", "... VM-Exit
 * Control Fields", "... VM-Entry Control Fields", "Checks on Host Control
 * Registers, MSRs, and SSP", "Checks on Host Segment and Descriptor-Table
 * Registers", "Checks Related to Address-Space Size") and "Checking and Loading
 * Guest State" ("Checks on the Guest State Area"). Pure logic over a Vmcs12 and the
 * capabilities L1 was offered; unit-tested in tests/unit/entry_checks_test.cpp.
 * Not checked (FIXME: the features are not offered to L1, so the allowed-1 check
 * of their control already refuses them): APIC virtualization, posted
 * interrupts, PML, VM functions, SMM and dual-monitor fields, CET and PKRS state. */
#pragma once
#include "hypervisor/memory/guest_page_walk.h"
#include "hypervisor/nested/vmcs12.h"
#include "hypervisor/vmx/vmx_controls.h"

#include <stdint.h>

namespace nested {

enum class EntryFailure : uint8_t {
    none,
    control,     /* VMfailValid, VM-instruction error 7 */
    host_state,  /* VMfailValid, VM-instruction error 8 */
    guest_state, /* VM exit, reason 33 | bit 31 ("VM-entry failure"), qualification below */
};

/* The exit qualification of a failed guest-state check ("VM-Entry Failures
 * During or After Loading Guest State"): 0 by default, 4 for the VMCS link pointer. */
constexpr uint64_t ENTRY_QUALIFICATION_DEFAULT = 0;
constexpr uint64_t ENTRY_QUALIFICATION_LINK_POINTER = 4;

struct [[nodiscard]] EntryCheck {
    EntryFailure failure = EntryFailure::none;
    uint64_t qualification = ENTRY_QUALIFICATION_DEFAULT;
    /* The rule that failed, in the SDM's words: for the trace and the tests. */
    const char* rule = nullptr;

    bool ok() const { return failure == EntryFailure::none; }
};

/* What the checks need besides VMCS12. */
struct EntryContext {
    const vmx::VmxCapabilities& offered;  /* the capability MSRs as L1 reads them */
    uint8_t physical_address_bits;        /* L1's MAXPHYADDR */
    bool l1_in_ia32e_mode;                /* L1's IA32_EFER.LMA: the host address-space size must match */
    guest_paging::GuestPhysicalReader& l1_memory; /* for the VMCS link pointer's revision */
};

/* The checks on the controls: check_control_fields() then check_event_injection(). */
EntryCheck check_controls(const Vmcs12& vmcs12, const EntryContext& context);
/* The controls but event injection: VMX controls, CR3 targets, bitmap and MSR
 * area addresses, VPID, EPTP. Reads only FieldGroup::controls. */
EntryCheck check_control_fields(const Vmcs12& vmcs12, const EntryContext& context);
/* The VM-entry interruption-information, error-code and instruction-length
 * fields (with the controls and the guest's CR0.PE they depend on). */
EntryCheck check_event_injection(const Vmcs12& vmcs12, const EntryContext& context);
/* Reads the host-state fields, the controls and context.l1_in_ia32e_mode. */
EntryCheck check_host_state(const Vmcs12& vmcs12, const EntryContext& context);
/* Groups of the guest-state checks that passed before on the same inputs and
 * are left out (vmcs02.h, entry_work()); the others run in order, so the first
 * failure is still the one a full run finds. */
struct GuestChecksPassed {
    /* Reads FieldGroup::guest_segments, guest CR0 and the controls. */
    bool segments = false;
    /* "Checks on Guest Control Registers, Debug Registers, and MSRs": reads
     * guest CR0, CR3, CR4, DR7, SYSENTER_ESP/EIP, PAT, EFER and the controls. */
    bool registers = false;
    /* "Checks on Guest Page-Directory-Pointer-Table Entries": guest CR0, CR4,
     * the PDPTEs and the controls. */
    bool pdptes = false;
};
/* The rest (RIP, RFLAGS, descriptor tables, non-register state: inputs an exit
 * changes, and the VMCS link pointer's page in L1's memory) runs at every entry. */
EntryCheck check_guest_state(const Vmcs12& vmcs12, const EntryContext& context, GuestChecksPassed passed = {});
/* All three, in that order: the first failure wins, as on hardware. */
EntryCheck check_entry(const Vmcs12& vmcs12, const EntryContext& context);

/* A 48-bit canonical linear address (bits 63:47 all equal). */
constexpr bool is_canonical(uint64_t address)
{
    uint64_t top = address >> 47;
    return top == 0 || top == 0x1FFFF;
}

} // namespace nested
