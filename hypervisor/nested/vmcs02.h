/* VMCS02, the VMCS the CPU runs L2 on, composed from what L0 needs in any VMCS it
 * runs (taken from VMCS01) and what L1 asked for in VMCS12: L1's exit controls
 * OR-ed with L0's, so that every exit either of them wants happens, and
 * exit_reflection.h sorts them; CR0/CR4 owned by either, with the read shadows
 * L2 must see; the TSC offsets added; L2's own VPID; the shadow EPT.
 * Intel SDM (revision 084), Vol. 3C, "VM-Execution Control Fields" ("Pin-Based",
 * "Processor-Based", "Exception Bitmap", "Guest/Host Masks and Read Shadows for
 * CR0 and CR4", "Time-Stamp Counter Offset and Multiplier", "Extended-Page-Table
 * Pointer (EPTP)", "Virtual-Processor Identifier (VPID)"), "VM-Entry Control
 * Fields" and "Event Injection". Pure logic, unit-tested in
 * tests/unit/vmcs02_test.cpp; the kernel writes the result and copies VMCS12's
 * guest-state fields (VMCS02_GUEST_FIELDS) as they are.
 * Port I/O and MSRs always exit from L2 (no bitmaps in VMCS02): the ports and MSRs
 * L1 lets L2 use are L1's virtual hardware, which only L0 can emulate. */
#pragma once
#include "hypervisor/nested/entry_checks.h"
#include "hypervisor/nested/vmcs12.h"

#include <stddef.h>
#include <stdint.h>

namespace nested {

/* What L0 keeps in every VMCS it runs: VMCS01's control words (without
 * interrupt-window exiting, which follows each level's own need), its own
 * exception intercepts, the CR bits it owns and must keep set under VMX, L1's
 * TSC offset and EFER/PAT, and the EPT and VPID to run L2 with. */
struct L0Requirements {
    uint32_t pin = 0, primary = 0, secondary = 0, exit = 0, entry = 0;
    uint32_t exception_bitmap = 0;
    uint64_t cr0_mask = 0, cr4_mask = 0;           /* bits L0 owns (CR0.NE, CR4.VMXE ...) */
    uint64_t cr0_forced_on = 0, cr4_forced_on = 0; /* bits that stay 1 while the CPU is in VMX non-root operation */
    uint64_t tsc_offset01 = 0;
    uint64_t l1_efer = 0; /* for L2 when VMCS12 does not load EFER */
    uint64_t l1_pat = 0;  /* for L2 when VMCS12 does not load PAT */
    uint64_t l1_eptp = 0;     /* EPTP01: L2 in L1's physical space, when L1 enables no EPT for it */
    uint64_t shadow_eptp = 0; /* the shadow EPT's pointer, when L1 enables EPT */
    uint16_t vpid02 = 0;      /* L2's own VPID (0: the CPU has none) */

    bool operator==(const L0Requirements&) const = default;
};

struct Vmcs02Controls {
    uint32_t pin = 0, primary = 0, secondary = 0, exit = 0, entry = 0;
    uint32_t exception_bitmap = 0, page_fault_mask = 0, page_fault_match = 0;
    uint64_t cr0_mask = 0, cr4_mask = 0, cr0_shadow = 0, cr4_shadow = 0;
    uint64_t guest_cr0 = 0, guest_cr4 = 0, guest_efer = 0, guest_pat = 0;
    uint64_t tsc_offset = 0;
    uint64_t eptp = 0;
    uint16_t vpid = 0;
    uint32_t cr3_target_count = 0;
    uint64_t cr3_targets[4] = {};
    uint32_t entry_interruption_information = 0, entry_exception_error_code = 0, entry_instruction_length = 0;
};

Vmcs02Controls compose_vmcs02(const Vmcs12& vmcs12, const L0Requirements& l0);

/* L2's guest state, copied from VMCS12 into VMCS02 at entry and back at a
 * reflected exit ("Saving Guest State"): the segment registers, descriptor
 * tables, RIP, RSP, RFLAGS, CR3, DR7, the SYSENTER MSRs, the interruptibility
 * and activity state, pending debug exceptions and the PDPTEs. CR0, CR4, EFER
 * and PAT are composed (above) and saved by their own rules. */
extern const vmx::VmcsEncoding VMCS02_GUEST_FIELDS[];
extern const size_t VMCS02_GUEST_FIELD_COUNT;

/* What a VM entry to L2 must redo (l2_entry.cpp). VMCS02 is kept between
 * entries of one VMCS12 (`kept`: built for it, every check passed on it),
 * with `changed` the VMCS12 fields whose value changed since (Vmcs12::changes()).
 * A check runs again when a field it reads changed; a VMCS02 field is written
 * again when its VMCS12 source changed. Without a kept VMCS02 all of it. */
struct EntryWork {
    bool check_control_fields = true; /* entry_checks.h; event injection is checked at every entry */
    bool check_host_state = true;
    GuestChecksPassed guest_passed;   /* check_guest_state()'s groups whose inputs are unchanged */
    bool write_controls = true;       /* VMCS02 controls from VMCS12's controls (and L0's, see l2_entry.cpp) */
    FieldSet guest_fields;            /* VMCS02_GUEST_FIELDS (by VMCS12 slot) to copy again */
};
EntryWork entry_work(const FieldSet& changed, bool kept);
/* The slots of VMCS02_GUEST_FIELDS. */
const FieldSet& copied_guest_fields();

/* L2's CR0 (or CR4) as L1 sees it in VMCS12 after an exit: the bits L1 owns
 * are what L2 runs with; the bits only L0 owns (forced on) are L2's own
 * values, which the VMCS02 read shadow holds. */
uint64_t l2_control_register_for_l1(uint64_t guest02, uint64_t shadow02, uint64_t l0_only_mask);

} // namespace nested
