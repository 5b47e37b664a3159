/* The L2 side of VMLAUNCH/VMRESUME, INVEPT and INVVPID (l2_entry.h): the checks
 * on VMCS12 (entry_checks.h), VMCS02 built from VMCS01 and VMCS12 (vmcs02.h), an
 * exit of L2 reflected to L1 (vm_exit12.h: exit information, L2's state saved,
 * L1's host state loaded). A slice of L2 and the exits L0 handles for L1 are in
 * l2_exits.cpp. Intel SDM (revision 084), Vol. 3C, "VM Entries", "VM Exits",
 * "VMX Support for Address Translation". */
#include "hypervisor/nested/l2_entry.h"

#include "hypervisor/nested/l2_context.h"

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "debug/panic.h"
#include "hypervisor/nested/entry_checks.h"
#include "hypervisor/nested/exit_reflection.h"
#include "hypervisor/nested/l2_msr_areas.h"
#include "hypervisor/nested/shadow_ept.h"
#include "hypervisor/nested/shadow_vmcs.h"
#include "hypervisor/nested/vm_exit12.h"
#include "hypervisor/nested/vmcs02.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vmx/vmcs.h"
#include "hypervisor/vm/platform.h"
#include "hypervisor/vmx/vmx_instructions.h"
#include "hypervisor/vmx/vmx_support.h"
#include "hypervisor/vmx/vmx_tlb.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "hypervisor/vmx/vpid_pool.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"
#include "time/clock.h"

#include <new>

namespace nested {

using vmx::ExitReason;
using vmx::VmcsEncoding;
using vmx::VmxVcpu;
using E = vmx::VmcsEncoding;

/* VMREAD/VMWRITE by plain encoding, for the field lists copied between VMCS12
 * and VMCS02 (the typed accessors of vmcs.h need the field at compile time). */
uint64_t read_field(VmcsEncoding field)
{
    uint64_t value;
    bool failed;
    asm volatile("vmread %2, %0" : "=r"(value), "=@ccbe"(failed) : "r"(uint64_t(field)));
    if (failed) [[unlikely]]
        vmx::vmcs_read_failed(field);
    return value;
}

void write_field(VmcsEncoding field, uint64_t value)
{
    bool failed;
    asm volatile("vmwrite %2, %1" : "=@ccbe"(failed) : "r"(uint64_t(field)), "rm"(value) : "memory");
    if (failed) [[unlikely]]
        vmx::vmcs_write_failed(field, value);
}

namespace {

EptCapabilities12 ept_capabilities(const vmx::VmxCapabilities& offered, uint8_t physical_address_bits)
{
    EptCapabilities12 capabilities;
    capabilities.execute_only = offered.ept_vpid_cap & (1ull << 0);
    capabilities.page_1g = offered.ept_vpid_cap & (1ull << 17);
    capabilities.accessed_dirty = offered.ept_vpid_cap & (1ull << 21);
    capabilities.physical_address_bits = physical_address_bits;
    return capabilities;
}

/* The capability MSRs L1 reads, as the checks take them (TRUE_* controls). */
vmx::VmxCapabilities offered_to_l1(const cpu_model::VmxCapabilityMsrs& msrs)
{
    vmx::VmxCapabilities offered;
    offered.basic = vmx::VmxBasic{msrs.value(0x480)};
    offered.pin_based = msrs.value(0x48D);
    offered.primary_processor = msrs.value(0x48E);
    offered.secondary_processor = msrs.value(0x48B);
    offered.exit = msrs.value(0x48F);
    offered.entry = msrs.value(0x490);
    offered.misc = msrs.value(0x485);
    offered.cr0_fixed0 = msrs.value(0x486);
    offered.cr0_fixed1 = msrs.value(0x487);
    offered.cr4_fixed0 = msrs.value(0x488);
    offered.cr4_fixed1 = msrs.value(0x489);
    offered.ept_vpid_cap = msrs.value(0x48C);
    return offered;
}

uint8_t l1_physical_address_bits(VmxVcpu& vcpu)
{
    uint32_t bits = vcpu.vm().cpu().config().physical_address_bits;
    return uint8_t(bits ? bits : 36);
}

} // namespace

/* The shadow's freed tables may still back cached combined mappings, under
 * roots that a later table (ours or another VM's) can reuse: all of them go. */
void flush_shadow_mappings(uint64_t pointer)
{
    if (host_vmx_capabilities().ept_vpid_cap & vmx::ept_vpid_cap::INVEPT_ALL_CONTEXTS)
        (void)vmx::invept(2, 0);
    else
        vmx::invalidate_ept(pointer);
}

L2Context::~L2Context()
{
    vmcs02.release();
    uint64_t pointer = shadow.pointer();
    shadow.invalidate_all();
    if (shadow.take_flush_request())
        flush_shadow_mappings(pointer);
    if (vpid02) {
        vmx::invalidate_vpid(vpid02);
        InterruptGuard guard;
        vmx::vpid_pool().free(vpid02);
    }
}

/* L1's state as VMCS01 holds it, before an exit from L2 loads it. */
L1StateBefore l1_state_before(const L2Context& l2) { return {l2.l1_cr0, l2.l0.l1_efer, l2.l0.l1_pat}; }


/* Loads L1's state from VMCS12's host-state area into VMCS01 (current). */
void load_l1_host_state(VmxVcpu& vcpu, NestedState& state, const L1StateBefore& before, L1StateAfterExit* kept)
{
    L1StateAfterExit computed;
    L1StateAfterExit& after = kept ? *kept : computed;
    if (!after.known || !(after.before == before)) {
        after.count = l1_state_after_exit(state.vmcs12, before, after.fields, after.ia32e);
        after.before = before;
        after.known = kept != nullptr;
    }
    const FieldValue* fields = after.fields;
    bool ia32e = after.ia32e;
    for (size_t i = 0; i < after.count; ++i) {
        if (fields[i].field == E::guest_pat && !(vmcs_read(vmx::VmcsField::entry_controls) &
                                                   uint32_t(vmx::EntryControl::load_pat))) {
            vcpu.set_guest_pat(fields[i].value);
            continue;
        }
        write_field(fields[i].field, fields[i].value);
    }
    /* L1 reads back the CR bits L0 owns as it set them. */
    write_field(E::cr0_read_shadow, read_field(E::guest_cr0));
    write_field(E::cr4_read_shadow, read_field(E::guest_cr4));
    write_field(E::guest_cr0, read_field(E::guest_cr0) | CR0_NE);
    write_field(E::guest_cr4, read_field(E::guest_cr4) | CR4_VMXE);
    uint64_t entry = read_field(E::entry_controls) & ~uint64_t(vmx::EntryControl::ia32e_mode_guest);
    write_field(E::entry_controls, entry | (ia32e ? uint32_t(vmx::EntryControl::ia32e_mode_guest) : 0));
    write_field(E::entry_interruption_information, 0);
    state.in_l2 = false;
    state.vmcs12_dirty = true;
}

namespace {

/* A VM entry that fails after the guest-state checks began ("VM-Entry Failures
 * During or After Loading Guest State"): L1 continues at its host RIP with exit
 * reason `reason` and bit 31 set. VMCS01 is current. */
void fail_entry_to_l1(VmxVcpu& vcpu, NestedState& state, uint32_t reason, uint64_t qualification)
{
    ExitRecord record;
    record.reason = reason | EXIT_REASON_ENTRY_FAILURE;
    record.qualification = qualification;
    record_exit(state.vmcs12, record);
    L1StateBefore before{read_field(E::guest_cr0), read_field(E::guest_efer), vcpu.guest_pat()};
    /* Computed afresh: the checks of this entry found VMCS12 changed or not,
     * but the kept state has not been told (enter_l2 does at a successful entry). */
    load_l1_host_state(vcpu, state, before, nullptr);
    ++vcpu.vm().statistics().nested.l2_exits_reflected;
}

/* What L0 needs from VMCS01 (current) for VMCS02. */
L0Requirements read_l0_requirements(VmxVcpu& vcpu)
{
    L0Requirements l0;
    l0.pin = uint32_t(read_field(E::pin_based_controls));
    l0.primary = uint32_t(read_field(E::primary_processor_controls));
    l0.secondary = uint32_t(read_field(E::secondary_processor_controls));
    l0.exit = uint32_t(read_field(E::exit_controls));
    l0.entry = uint32_t(read_field(E::entry_controls));
    l0.exception_bitmap = uint32_t(read_field(E::exception_bitmap));
    l0.cr0_mask = read_field(E::cr0_guest_host_mask);
    l0.cr4_mask = read_field(E::cr4_guest_host_mask);
    l0.cr0_forced_on = CR0_NE;
    l0.cr4_forced_on = CR4_VMXE;
    l0.tsc_offset01 = vcpu.tsc_offset();
    l0.l1_efer = read_field(E::guest_efer);
    l0.l1_pat = vcpu.guest_pat();
    l0.l1_eptp = read_field(E::ept_pointer);
    return l0;
}

/* VMCS01's host-state fields (HOST_PAT last, read only when VMCS01's exit
 * controls load PAT) and MSR areas: VMCS02 takes them as they are, so that an
 * exit from L2 lands in L0 as one from L1 does. */
constexpr E HOST_FIELDS[] = {
    E::host_es_selector, E::host_cs_selector, E::host_ss_selector, E::host_ds_selector, E::host_fs_selector,
    E::host_gs_selector, E::host_tr_selector, E::host_efer, E::host_sysenter_cs, E::host_cr0, E::host_cr3,
    E::host_cr4, E::host_fs_base, E::host_gs_base, E::host_tr_base, E::host_gdtr_base, E::host_idtr_base,
    E::host_sysenter_esp, E::host_sysenter_eip, E::host_rsp, E::host_rip, E::host_pat,
};
constexpr size_t HOST_FIELD_COUNT = sizeof(HOST_FIELDS) / sizeof(HOST_FIELDS[0]);
constexpr E AREA_FIELDS[] = {E::exit_msr_store_address, E::exit_msr_store_count, E::exit_msr_load_address,
                             E::exit_msr_load_count,   E::entry_msr_load_address, E::entry_msr_load_count};
constexpr size_t AREA_FIELD_COUNT = sizeof(AREA_FIELDS) / sizeof(AREA_FIELDS[0]);
static_assert(HOST_FIELD_COUNT == sizeof(L2Context::host01) / sizeof(uint64_t), "L2Context::host01 holds them");
static_assert(AREA_FIELD_COUNT == sizeof(L2Context::areas01) / sizeof(uint64_t), "L2Context::areas01 holds them");

bool load_pat_on_exit(const L0Requirements& l0) { return l0.exit & uint32_t(vmx::ExitControl::load_pat); }

/* From VMCS01 (current). */
void read_vmcs01_host(const L0Requirements& l0, uint64_t* host, uint64_t* areas)
{
    for (size_t i = 0; i + 1 < HOST_FIELD_COUNT; ++i)
        host[i] = read_field(HOST_FIELDS[i]);
    host[HOST_FIELD_COUNT - 1] = load_pat_on_exit(l0) ? read_field(E::host_pat) : 0;
    for (size_t i = 0; i < AREA_FIELD_COUNT; ++i)
        areas[i] = read_field(AREA_FIELDS[i]);
}

/* Into VMCS02 (current). */
void write_host_fields(const L0Requirements& l0, const uint64_t* host)
{
    for (size_t i = 0; i + 1 < HOST_FIELD_COUNT; ++i)
        write_field(HOST_FIELDS[i], host[i]);
    if (load_pat_on_exit(l0))
        write_field(E::host_pat, host[HOST_FIELD_COUNT - 1]);
}

void write_area_fields(const uint64_t* areas)
{
    for (size_t i = 0; i < AREA_FIELD_COUNT; ++i)
        write_field(AREA_FIELDS[i], areas[i]);
}

bool same_values(const uint64_t* a, const uint64_t* b, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The VMCS02 fields written at every entry, kept VMCS02 or not: L0 changes
 * them in VMCS02 while L2 runs (the interrupt window in the primary controls,
 * the events it injects and re-injects, the CR0/CR4 bits only L0 owns and
 * their read shadows, EFER and DEBUGCTL saved by an exit), and the event is
 * L1's for this entry only. The control words are cheap to write, and writing
 * them keeps any change an exit handler made for L1 out of the next entry. */
void write_entry_fields(const Vmcs02Controls& c, const Vmcs12& vmcs12)
{
    write_field(E::pin_based_controls, c.pin);
    write_field(E::primary_processor_controls, c.primary);
    write_field(E::secondary_processor_controls, c.secondary);
    write_field(E::exit_controls, c.exit);
    write_field(E::entry_controls, c.entry);
    write_field(E::exception_bitmap, c.exception_bitmap);
    write_field(E::cr0_read_shadow, c.cr0_shadow);
    write_field(E::cr4_read_shadow, c.cr4_shadow);
    write_field(E::guest_cr0, c.guest_cr0);
    write_field(E::guest_cr4, c.guest_cr4);
    write_field(E::guest_efer, c.guest_efer);
    if (c.entry & uint32_t(vmx::EntryControl::load_pat))
        write_field(E::guest_pat, c.guest_pat);
    if (c.entry & uint32_t(vmx::EntryControl::load_debug_controls))
        write_field(E::guest_debugctl, vmcs12.get(E::guest_debugctl));
    write_field(E::entry_interruption_information, c.entry_interruption_information);
    write_field(E::entry_exception_error_code, c.entry_exception_error_code);
    write_field(E::entry_instruction_length, c.entry_instruction_length);
}

/* The VMCS02 controls that follow from VMCS12's controls and L0's requirements
 * alone (nothing changes them while L2 runs). */
void write_derived_controls(const Vmcs02Controls& c)
{
    write_field(E::page_fault_error_code_mask, c.page_fault_mask);
    write_field(E::page_fault_error_code_match, c.page_fault_match);
    write_field(E::cr0_guest_host_mask, c.cr0_mask);
    write_field(E::cr4_guest_host_mask, c.cr4_mask);
    write_field(E::tsc_offset, c.tsc_offset);
    write_field(E::ept_pointer, c.eptp);
    if (c.vpid)
        write_field(E::vpid, c.vpid);
    write_field(E::cr3_target_count, c.cr3_target_count);
    const E targets[] = {E::cr3_target_value_0, E::cr3_target_value_1, E::cr3_target_value_2, E::cr3_target_value_3};
    for (uint32_t i = 0; i < c.cr3_target_count; ++i)
        write_field(targets[i], c.cr3_targets[i]);
}

/* VMCS02 (current) brought up to date: built whole when it is new or just
 * VMCLEARed (`fresh`), else what VMCS01 gives it when that changed, the fields
 * of every entry, and what `work` names. */
void write_vmcs02(const L2Context& l2, const Vmcs12& vmcs12, const Vmcs02Controls& c, const EntryWork& work,
                  bool fresh, bool host_changed, bool areas_changed)
{
    if (fresh || host_changed)
        write_host_fields(l2.l0, l2.host01);
    if (fresh || areas_changed)
        write_area_fields(l2.areas01);
    write_entry_fields(c, vmcs12);
    if (fresh || work.write_controls)
        write_derived_controls(c);
    if (fresh)
        write_field(E::vmcs_link_pointer, ~0ull);
    for (size_t word = 0; word < 4; ++word) {
        for (uint64_t bits = work.guest_fields.words[word]; bits; bits &= bits - 1) {
            size_t slot = word * 64 + size_t(__builtin_ctzll(bits));
            write_field(supported_field(slot), vmcs12.get_slot(slot));
        }
    }
}

/* The entry checks `work` names (all of them for a VMCS02 built afresh), in
 * the SDM's order: a check left out passed before on the same values, so the
 * first failure is the one a full run would find. Returns whether they passed;
 * else `result` is what enter_l2() answers. */
bool run_entry_checks(VmxVcpu& vcpu, NestedState& state, const EntryContext& context, const EntryWork& work,
                 InstructionResult& result)
{
    const Vmcs12& vmcs12 = state.vmcs12;
    EntryCheck check;
    if (work.check_control_fields)
        check = check_control_fields(vmcs12, context);
    if (check.ok())
        check = check_event_injection(vmcs12, context);
    if (!check.ok()) {
        log(LogCategory::vmx, "vm%d: nested VM entry: %s", vcpu.vm().id(), check.rule);
        result = {Outcome::fail_valid, 7};
        return false;
    }
    if (work.check_host_state)
        check = check_host_state(vmcs12, context);
    if (!check.ok()) {
        log(LogCategory::vmx, "vm%d: nested VM entry: %s", vcpu.vm().id(), check.rule);
        result = {Outcome::fail_valid, 8};
        return false;
    }
    check = check_guest_state(vmcs12, context, work.guest_passed);
    if (!check.ok()) {
        log(LogCategory::vmx, "vm%d: nested VM entry failed: %s", vcpu.vm().id(), check.rule);
        fail_entry_to_l1(vcpu, state, uint32_t(ExitReason::entry_failure_invalid_guest_state), check.qualification);
        result = {Outcome::entered_l2, 0};
        return false;
    }
    return true;
}

} // namespace

namespace {

/* The VMCS12 slots of VMCS02_GUEST_FIELDS, looked up at the first exit: the
 * copy runs at every exit to L1 (51 fields), where the lookup by encoding cost
 * about a third of its 2.7k cycles in Bochs. Every one is a supported field. */
uint8_t guest_field_slots[64];
bool guest_field_slots_known = false;

void find_guest_field_slots()
{
    KERNEL_ASSERT(VMCS02_GUEST_FIELD_COUNT <= sizeof(guest_field_slots));
    for (size_t i = 0; i < VMCS02_GUEST_FIELD_COUNT; ++i) {
        int slot = field_slot(uint64_t(VMCS02_GUEST_FIELDS[i]));
        KERNEL_ASSERT(slot >= 0);
        guest_field_slots[i] = uint8_t(slot);
    }
    guest_field_slots_known = true;
}

} // namespace

/* A VM exit from L2 to L1 ("VM Exits"), VMCS02 current on entry, VMCS01 on return. */
void reflect_to_l1(VmxVcpu& vcpu, NestedState& state, L2Context& l2, const ExitRecord& record)
{
    Vmcs12& vmcs12 = state.vmcs12;
    if (!guest_field_slots_known) [[unlikely]]
        find_guest_field_slots();
    for (size_t i = 0; i < VMCS02_GUEST_FIELD_COUNT; ++i)
        vmcs12.set_slot_within_width(guest_field_slots[i], read_field(VMCS02_GUEST_FIELDS[i]));
    L2ComposedState composed;
    composed.cr0 = l2_control_register_for_l1(read_field(E::guest_cr0), read_field(E::cr0_read_shadow),
                                              l2.l0.cr0_mask & ~l2.cr0_mask12);
    composed.cr4 = l2_control_register_for_l1(read_field(E::guest_cr4), read_field(E::cr4_read_shadow),
                                              l2.l0.cr4_mask & ~l2.cr4_mask12);
    composed.efer = read_field(E::guest_efer);
    composed.pat = (read_field(E::entry_controls) & uint32_t(vmx::EntryControl::load_pat)) ? read_field(E::guest_pat)
                                                                                            : l2.l0.l1_pat;
    composed.preemption_timer = l1_timer_saved_value(l2, record.reason);
    save_composed_state(vmcs12, composed);
    record_exit(vmcs12, record);
    write_field(E::entry_interruption_information, 0);

    uint32_t failed = store_exit_msr_area(vcpu, vmcs12);
    vcpu.make_vmcs01_current(); /* VMCS02 stays active and launched for the next VMRESUME */
    load_l1_host_state(vcpu, state, l1_state_before(l2), &l2.l1_after_exit);
    push(vcpu, state); /* L1's VMREADs through its shadow VMCS see the exit */
    if (!failed)
        failed = load_exit_msr_area(vcpu, vmcs12);
    if (failed) {
        /* "VMX Aborts": L1's logical processor would shut down; ours ends. */
        vcpu.vm().end(VmRunState::failed, -1, "nested: VMX abort, VM-exit MSR area entry %lu failed", uint64_t(failed));
    }
    ++vcpu.vm().statistics().nested.l2_exits_reflected;
}

ExitRecord record_from_vmcs02(uint32_t reason)
{
    ExitRecord record;
    record.reason = reason;
    record.qualification = read_field(E::exit_qualification);
    record.guest_linear_address = read_field(E::guest_linear_address);
    record.guest_physical_address = read_field(E::guest_physical_address);
    record.interruption_information = uint32_t(read_field(E::exit_interruption_information));
    record.interruption_error_code = uint32_t(read_field(E::exit_interruption_error_code));
    record.idt_vectoring_information = uint32_t(read_field(E::idt_vectoring_information));
    record.idt_vectoring_error_code = uint32_t(read_field(E::idt_vectoring_error_code));
    record.instruction_length = uint32_t(read_field(E::exit_instruction_length));
    record.instruction_information = uint32_t(read_field(E::exit_instruction_information));
    return record;
}

InstructionResult enter_l2(VmxVcpu& vcpu, NestedState& state, bool launch)
{
    Vm& vm = vcpu.vm();
    vmx::VmxCapabilities offered = offered_to_l1(vm.cpu().config().vmx_capabilities);
    uint8_t bits = l1_physical_address_bits(vcpu);
    bool l1_ia32e = read_field(E::guest_efer) & EFER_LMA;
    EntryContext context{offered, bits, l1_ia32e, vm.memory()};

    /* VMCS02 and the checks' outcome are kept from the last entry of this VMCS12
     * (KVM's "clean fields", computed here from the values themselves): what
     * changed since is in vmcs12.changes(), whoever changed it (VMWRITE, the
     * shadow VMCS, VMPTRLD, L0 at an exit). VMLAUNCH starts afresh. */
    bool kept = !launch && state.l2 && state.l2->vmcs02_for == state.current_vmcs12 &&
                state.l2->l1_ia32e == l1_ia32e;
    /* The checks see what changed since the last entry's checks: its entry
     * MSR-load area wrote VMCS12 after them (SYSENTER, EFER, PAT). */
    FieldSet to_check = state.vmcs12.changes();
    if (kept)
        to_check = to_check | state.l2->changed_after_checks;
    InstructionResult failed_check;
    if (!run_entry_checks(vcpu, state, context, entry_work(to_check, kept), failed_check))
        return failed_check;

    if (!state.l2) {
        state.l2 = new (std::nothrow) L2Context(vcpu, ept_capabilities(offered, bits));
        if (!state.l2 || !state.l2->vmcs02.allocate(host_vmx_capabilities().basic.revision_id())) {
            delete state.l2;
            state.l2 = nullptr;
            vm.end(VmRunState::failed, -1, "nested: out of host memory for VMCS02");
            return {Outcome::not_completed, 0};
        }
        if (read_field(E::secondary_processor_controls) & uint32_t(vmx::SecondaryProcessorControl::vpid)) {
            InterruptGuard guard;
            state.l2->vpid02 = vmx::vpid_pool().allocate();
        }
    }
    L2Context& l2 = *state.l2;
    FieldSet checked = state.vmcs12.changes();
    /* The SDM's semantics: the entry MSR-load area is loaded at every entry,
     * whether its address and count changed or not (the SYSENTER MSRs land in
     * VMCS12's guest fields, and in changes()). */
    if (uint32_t failed = load_entry_msr_area(vcpu, state.vmcs12)) {
        fail_entry_to_l1(vcpu, state, uint32_t(ExitReason::entry_failure_msr_loading), failed);
        return {Outcome::entered_l2, 0};
    }
    bool ept12 = (state.vmcs12.get(E::primary_processor_controls) &
                  uint32_t(vmx::PrimaryProcessorControl::secondary_controls)) &&
                 (state.vmcs12.get(E::secondary_processor_controls) & uint32_t(vmx::SecondaryProcessorControl::ept));
    if (ept12 && !l2.shadow.use(state.vmcs12.get(E::ept_pointer))) {
        vm.end(VmRunState::failed, -1, "nested: out of host memory for the shadow EPT");
        return {Outcome::not_completed, 0};
    }

    /* Everything VMCS02 takes from VMCS01, read while VMCS01 is current. */
    L0Requirements l0 = read_l0_requirements(vcpu);
    l0.shadow_eptp = l2.shadow.active() ? l2.shadow.pointer() : 0;
    l0.vpid02 = l2.vpid02;
    bool l0_changed = !kept || !(l0 == l2.l0);
    l2.l0 = l0;
    l2.l1_cr0 = read_field(E::guest_cr0);
    uint64_t host[HOST_FIELD_COUNT], areas[AREA_FIELD_COUNT];
    read_vmcs01_host(l0, host, areas);
    bool host_changed = !same_values(host, l2.host01, HOST_FIELD_COUNT);
    bool areas_changed = !same_values(areas, l2.areas01, AREA_FIELD_COUNT);
    memcpy(l2.host01, host, sizeof(host));
    memcpy(l2.areas01, areas, sizeof(areas));

    /* L1's RIP stays at its VMLAUNCH: the next exit to L1 sets it to the host RIP.
     * The work again, now that the entry MSR-load area may have changed fields. */
    EntryWork work = entry_work(state.vmcs12.changes(), kept);
    work.write_controls = work.write_controls || l0_changed;
    Vmcs02Controls c = compose_vmcs02(state.vmcs12, l2.l0);
    if (kept) {
        ++vm.statistics().nested.vmcs02_kept;
    } else {
        l2.vmcs02.clear();
    }
    l2.vmcs02.make_current();
    write_vmcs02(l2, state.vmcs12, c, work, !kept, host_changed, areas_changed);
    l2.cr0_mask12 = state.vmcs12.get(E::cr0_guest_host_mask);
    l2.cr4_mask12 = state.vmcs12.get(E::cr4_guest_host_mask);
    l2.l1_timer = state.vmcs12.get(E::pin_based_controls) & uint32_t(vmx::PinBasedControl::preemption_timer);
    vcpu.make_vmcs01_current();
    if (!kept || changes_l1_state_after_exit(state.vmcs12.changes()))
        l2.l1_after_exit.known = false;
    l2.changed_after_checks = state.vmcs12.changes().without(checked);
    state.vmcs12.forget_changes();
    l2.vmcs02_for = state.current_vmcs12;
    l2.l1_ia32e = l1_ia32e;
    if (launch)
        state.vmcs12.set_launched(true);
    state.vmcs12_dirty = true;
    state.in_l2 = true;
    l2.l1_interrupts_from_ns = clock::nanoseconds() + L2_FIRST_RUN_NS;
    start_l1_timer(l2, state.vmcs12);
    return {Outcome::entered_l2, 0};
}

void forget_vmcs02(NestedState& state)
{
    if (state.l2)
        state.l2->vmcs02_for = NO_CURRENT_VMCS;
}

void release_l2(NestedState& state)
{
    delete state.l2;
    state.l2 = nullptr;
    state.in_l2 = false;
}

void invalidate_l2_ept(VmxVcpu&, NestedState& state, uint64_t type, uint64_t eptp)
{
    if (!state.l2)
        return;
    /* INVEPT type 1 (single-context) names an EPTP12, type 2 is all-context. */
    if (type == 1)
        state.l2->shadow.invalidate_context(eptp);
    else
        state.l2->shadow.invalidate_all();
}

void invalidate_l2_vpid(VmxVcpu&, NestedState& state, uint64_t, uint16_t, uint64_t)
{
    /* Every L2 VPID of L1 maps to the one VPID02: any INVVPID flushes it. */
    if (state.l2 && state.l2->vpid02)
        vmx::invalidate_vpid(state.l2->vpid02);
}

} // namespace nested
