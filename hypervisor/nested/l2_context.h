/* What L0 keeps per vCPU for L2 (VMCS02, the shadow EPT, L2's VPID) and the
 * steps that l2_entry.cpp (VM entry to L2) and l2_exits.cpp (a slice of L2 and
 * its exits) share: VMCS fields by plain encoding, an exit reflected to L1, L1's
 * host state loaded. Internal to hypervisor/nested; Intel SDM (revision 084),
 * Vol. 3C, "VM Entries", "VM Exits". */
#pragma once
#include "hypervisor/nested/l1_preemption_timer.h"
#include "hypervisor/nested/shadow_ept.h"
#include "hypervisor/nested/vm_exit12.h"
#include "hypervisor/nested/vmcs02.h"
#include "hypervisor/nested/vmcs12.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vmx/vmcs.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"

#include <stddef.h>
#include <stdint.h>

namespace nested {

/* The most host pages one VM's shadow EPT may hold (counted in its overhead):
 * 512 KiB, enough for 4 KiB mappings of 120 MiB of L2 working set; beyond, the
 * shadow starts over. */
constexpr size_t SHADOW_EPT_PAGE_LIMIT = 128;

/* Shadow EPT tables, from the PageManager like the VM's own EPT. */
class PageTables final : public vmx::EptPageAllocator {
public:
    Page allocate_table() override
    {
        MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
        if (!page.ok())
            return {0, nullptr};
        return {page.value(), phys_to_virt<uint64_t>(page.value())};
    }
    uint64_t* table_at(uint64_t physical) override { return phys_to_virt<uint64_t>(physical); }
    void free_table(uint64_t physical) override { PageManager::instance().free_page(physical); }
};

/* L1's state after an exit from L2 (l1_state_after_exit()), kept between exits
 * while its inputs stay: VMCS12's host-state fields and VM-exit controls (an
 * entry that finds one of them changed forgets it, enter_l2) and `before`. At
 * each exit to L1 it is written into VMCS01 whole (L1 ran and changed VMCS01's
 * guest fields since the last exit), only not computed again. */
struct L1StateAfterExit {
    bool known = false;
    L1StateBefore before;
    bool ia32e = false;
    size_t count = 0;
    FieldValue fields[L1_STATE_FIELD_COUNT];
};

/* What L0 keeps per vCPU for L2: VMCS02, the shadow EPT and L2's VPID. */
struct L2Context {
    explicit L2Context(vmx::VmxVcpu& vcpu, const EptCapabilities12& capabilities)
        : pool(tables, SHADOW_EPT_PAGE_LIMIT), shadow(pool, vcpu.ept(), vcpu.vm().memory(), capabilities)
    {
    }
    ~L2Context();

    PageTables tables;
    BoundedEptPool pool;
    ShadowEpt shadow;
    vmx::Vmcs vmcs02;
    uint16_t vpid02 = 0;
    L0Requirements l0;
    uint64_t cr0_mask12 = 0, cr4_mask12 = 0;
    uint64_t l1_cr0 = 0; /* L1's CR0 at its VMLAUNCH/VMRESUME: "Loading Host State" keeps some bits */
    bool l1_timer = false; /* VMCS12 activates the preemption timer */
    L1PreemptionTimer l1_deadline; /* its deadline, from the last VMLAUNCH/VMRESUME (start_l1_timer) */
    /* L1's interrupts exit from L2 only from this time (clock::nanoseconds())
     * on: L2 runs at least L2_FIRST_RUN_NS after each VMLAUNCH/VMRESUME. */
    uint64_t l1_interrupts_from_ns = 0;

    /* VMCS02 kept between entries (enter_l2): it was built from the VMCS12 at
     * `vmcs02_for` and every entry check passed on it with L1's IA-32e mode
     * `l1_ia32e`; since then only the fields in Vmcs12::changes() differ from
     * what VMCS02 and the checks saw (an exit to L1 copies VMCS02's guest state
     * into VMCS12, which records what L2 changed). NO_CURRENT_VMCS: build
     * VMCS02 afresh and run every check at the next entry (VMLAUNCH, VMPTRLD of
     * another VMCS12, VMCLEAR, VMXOFF, an entry the CPU refused). */
    uint64_t vmcs02_for = NO_CURRENT_VMCS;
    bool l1_ia32e = false;
    /* VMCS01's host-state and MSR-area fields as VMCS02 holds them. */
    uint64_t host01[22] = {};
    uint64_t areas01[6] = {};
    L1StateAfterExit l1_after_exit;
    /* The VMCS12 fields the last entry's MSR-load area changed after that
     * entry's checks ran: the next entry checks them as changed. */
    FieldSet changed_after_checks;
};

/* How long L2 runs after an entry before an interrupt of L1's that was already
 * pending makes it exit (external-interrupt exiting). The CPU would exit at once;
 * but in an emulator a round trip through L1 (its exit handler, its interrupt,
 * VMRESUME emulated by L0) can take longer than L1's 1 ms timer tick, and L2
 * would then never run an instruction (our kernel as L1 saw 19703 exits in 120
 * s and a cpuid L2 that printed nothing). Delaying L1's interrupt this much is
 * interrupt latency, which the SDM does not bound: the interrupt stays pending
 * in L1's PIC or APIC, so L1 loses no tick. */
constexpr uint64_t L2_FIRST_RUN_NS = 1'000'000;

/* L1's preemption timer for L2 (l1_preemption_timer.h), started at each
 * VMLAUNCH/VMRESUME from VMCS12's value when VMCS12 activates it (l2.l1_timer). */
void start_l1_timer(L2Context& l2, const Vmcs12& vmcs12);
/* What "save VMX-preemption timer value" stores at an exit to L1 of `reason`:
 * 0 for the timer's own exit, else the counts that remain. */
uint32_t l1_timer_saved_value(const L2Context& l2, uint32_t reason);

/* VMREAD/VMWRITE of the current VMCS by plain encoding, for the field lists
 * copied between VMCS12 and VMCS02 (the typed accessors of vmcs.h need the field
 * at compile time). A failure is a hypervisor bug and panics. */
uint64_t read_field(vmx::VmcsEncoding field);
void write_field(vmx::VmcsEncoding field, uint64_t value);

/* The shadow's freed tables may still back cached combined mappings: INVEPT. */
void flush_shadow_mappings(uint64_t pointer);

/* L1's state as VMCS01 holds it, before an exit from L2 loads it. */
L1StateBefore l1_state_before(const L2Context& l2);
/* Loads L1's state from VMCS12's host-state area into VMCS01 (current), with
 * `kept` (may be null) the state computed at an earlier exit, used when still
 * valid and else computed and kept. */
void load_l1_host_state(vmx::VmxVcpu& vcpu, NestedState& state, const L1StateBefore& before,
                        L1StateAfterExit* kept);
/* A VM exit from L2 to L1 ("VM Exits"): VMCS02 current before, VMCS01 after. */
void reflect_to_l1(vmx::VmxVcpu& vcpu, NestedState& state, L2Context& l2, const ExitRecord& record);
/* The exit information of VMCS02 (current), with `reason`. */
ExitRecord record_from_vmcs02(uint32_t reason);

} // namespace nested
