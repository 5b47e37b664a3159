/* A VM exit from L2 to L1, as the CPU would make it on VMCS12: the exit
 * information recorded in VMCS12, L2's state saved into it, L1's state loaded
 * from its host-state fields, and the MSR-load and MSR-store areas that L1
 * names (L1 addresses, read and written through L1's memory, never trusted).
 * Intel SDM (revision 084), Vol. 3C, chapter "VM Exits": "Recording VM-Exit
 * Information and Updating VM-Entry Control Fields", "Saving Guest State",
 * "Saving MSRs", "Loading Host State" ("Loading Host Control Registers, Debug
 * Registers, MSRs", "Loading Host Segment and Descriptor-Table Registers",
 * "Loading Host RIP, RSP, RFLAGS, and SSP"), "Loading MSRs"; and "VM Entries",
 * "Loading MSRs" for the VM-entry MSR-load area. Pure logic over a Vmcs12,
 * unit-tested in tests/unit/vm_exit12_test.cpp. */
#pragma once
#include "arch/x86_64/msr.h"
#include "hypervisor/memory/guest_virtual_memory.h"
#include "hypervisor/nested/vmcs12.h"

#include <stddef.h>
#include <stdint.h>

namespace nested {

/* What VMCS12's exit-information fields receive. */
struct ExitRecord {
    uint32_t reason = 0; /* with bit 31 for a VM-entry failure */
    uint64_t qualification = 0;
    uint64_t guest_linear_address = 0;
    uint64_t guest_physical_address = 0;
    uint32_t interruption_information = 0, interruption_error_code = 0;
    uint32_t idt_vectoring_information = 0, idt_vectoring_error_code = 0;
    uint32_t instruction_length = 0, instruction_information = 0;
};
constexpr uint32_t EXIT_REASON_ENTRY_FAILURE = 1u << 31;

/* Writes the exit information and clears the valid bit of VMCS12's VM-entry
 * interruption information (an event L1 asked to inject has been delivered, or
 * its delivery is described in the IDT-vectoring fields). */
void record_exit(Vmcs12& vmcs12, const ExitRecord& record);

/* The composed parts of L2's state at the exit, as L1 must see them (the other
 * guest fields are copied one to one, VMCS02_GUEST_FIELDS). */
struct L2ComposedState {
    uint64_t cr0 = 0, cr4 = 0; /* after l2_control_register_for_l1 */
    uint64_t efer = 0, pat = 0;
    uint32_t preemption_timer = 0; /* what remains of VMCS12's timer */
};
/* "Saving Guest State": CR0, CR4; EFER and PAT if VMCS12 saves them; the
 * preemption timer if it saves it; "IA-32e mode guest" becomes EFER.LMA. */
void save_composed_state(Vmcs12& vmcs12, const L2ComposedState& state);

/* One field of L1's state (VMCS01's guest area) after the exit. */
struct FieldValue {
    vmx::VmcsEncoding field;
    uint64_t value;
};
/* L1's registers that "Loading Host State" keeps partly or wholly. */
struct L1StateBefore {
    uint64_t cr0 = 0, efer = 0, pat = 0;

    bool operator==(const L1StateBefore&) const = default;
};
constexpr size_t L1_STATE_FIELD_COUNT = 50;
/* L1's state after the exit, from VMCS12's host-state area, into
 * out[0, L1_STATE_FIELD_COUNT); `l1_ia32e` says whether L1 continues in IA-32e
 * mode (VMCS01's "IA-32e mode guest"). Returns the number of fields written. */
size_t l1_state_after_exit(const Vmcs12& vmcs12, const L1StateBefore& before, FieldValue* out, bool& l1_ia32e);
/* Whether a change of these VMCS12 fields changes l1_state_after_exit(): it
 * reads the host-state fields and the VM-exit controls, nothing else. */
bool changes_l1_state_after_exit(const FieldSet& changed);

/* Where the MSRs of an MSR-load area go: L0's model of the level that gets them
 * (L2's on entry, L1's on exit), never the host's own. False: the write would
 * raise #GP (a reserved bit, an MSR the model refuses). */
class MsrSink {
public:
    [[nodiscard]] virtual bool write(uint32_t msr, uint64_t value) = 0;

protected:
    ~MsrSink() = default;
};
class MsrSource {
public:
    [[nodiscard]] virtual bool read(uint32_t msr, uint64_t& value) = 0;

protected:
    ~MsrSource() = default;
};

/* The most entries an MSR area may have: IA32_VMX_MISC bits 27:25 as offered
 * (0: 512, the SDM's recommended maximum). Beyond it the CPU's behaviour is
 * undefined; here the entry after the last allowed one fails, so that L1 cannot
 * keep L0 copying millions of entries. */
constexpr uint32_t MSR_AREA_LIMIT = 512;

/* Loads `count` entries (16 bytes each: MSR index, reserved, value) from the L1
 * address `area`, in order. Returns 0 when all loaded, else the 1-based number of
 * the entry that failed ("VM-entry failure due to MSR loading", exit reason 34
 * with that number as the qualification): an entry L1's memory does not hold,
 * reserved bits set, an x2APIC MSR (800H-8FFH), IA32_SMM_MONITOR_CTL, IA32_FS_BASE
 * or IA32_GS_BASE (loaded through the state areas only), or a write that faults. */
uint32_t load_msr_area(guest_paging::GuestPhysicalReader& l1_memory, uint64_t area, uint32_t count, MsrSink& sink);
/* The VM-exit MSR-store area: each entry's MSR value written back into L1's
 * memory. Returns 0, or the 1-based number of the entry that failed (a VMX abort
 * for hardware). */
uint32_t store_msr_area(guest_paging::GuestPhysicalMemory& l1_memory, uint64_t area, uint32_t count,
                        MsrSource& source);

} // namespace nested
