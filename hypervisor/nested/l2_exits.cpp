/* A slice of L2 on VMCS02 and its exits (l2_entry.h, run_l2_slice): each exit is
 * reflected to L1 when VMCS12 asks for it (exit_reflection.h, vm_exit12.h), or
 * handled by L0 as the CPU would have for L1: host interrupts and L0's
 * preemption timer; the shadow EPT (shadow_ept.h); port I/O and MSRs L1's bitmaps
 * let through, done on L1's own devices and CPU model; HLT without HLT exiting;
 * MOV to CR0/CR4 changing bits only L0 owns; string I/O and L1's local APIC
 * reached through L1's EPT, on L2's memory through L1's EPT (l2_memory.h);
 * L1's interrupts delivered into L2 when VMCS12 does not exit on them, with
 * interrupt windows; an event whose
 * delivery an exit cut short delivered again, and an exception met while
 * delivering another combined into a double fault (l2_events.h). Intel SDM
 * (revision 084), Vol. 3C, "VMX Non-Root Operation" ("Instructions That Cause VM
 * Exits Conditionally", "Changes to Instruction Behavior in VMX Non-Root
 * Operation", "External-Interrupt Exiting"), "VM Exits" ("Information for VM
 * Exits That Occur During Event Delivery"), "VM Entries" ("Event Injection").
 * Whatever L0 cannot do yet ends the VM with a sentence, never the host. */
#include "hypervisor/nested/l2_entry.h"

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/msr.h"
#include "hypervisor/nested/exit_reflection.h"
#include "hypervisor/nested/l2_context.h"
#include "hypervisor/nested/l2_events.h"
#include "hypervisor/nested/l2_memory.h"
#include "hypervisor/nested/l2_msr_areas.h"
#include "hypervisor/nested/shadow_vmcs.h"
#include "hypervisor/vm/halted_guest.h"
#include "hypervisor/vm/platform.h"
#include "hypervisor/vmx/vmx_support.h"
#include "time/clock.h"

namespace nested {

using vmx::ExitReason;
using vmx::VmxVcpu;
using E = vmx::VmcsEncoding;

namespace {

constexpr uint64_t MAX_L2_SLICE_NS = 10'000'000;
constexpr uint32_t EVENT_VALID = interruption::VALID;
constexpr uint32_t NMI_UNBLOCKING = 1u << 12; /* of exit and IDT-vectoring information, not of the entry field */
constexpr uint32_t BLOCKING_BY_STI_OR_MOV_SS = 0x3;

bool l1_asks(const Vmcs12& vmcs12, vmx::PinBasedControl bit)
{
    return vmcs12.get(E::pin_based_controls) & uint32_t(bit);
}
bool l1_asks(const Vmcs12& vmcs12, vmx::PrimaryProcessorControl bit)
{
    return vmcs12.get(E::primary_processor_controls) & uint32_t(bit);
}
bool l1_uses_ept(const Vmcs12& vmcs12)
{
    return l1_asks(vmcs12, vmx::PrimaryProcessorControl::secondary_controls) &&
           (vmcs12.get(E::secondary_processor_controls) & uint32_t(vmx::SecondaryProcessorControl::ept));
}

/* An event written into VMCS02's entry fields (`information` valid; its error
 * code and, for software events, its instruction length). */
void inject_into_l2(uint32_t information, uint32_t error_code, uint64_t instruction_length)
{
    write_field(E::entry_interruption_information, information & ~NMI_UNBLOCKING);
    if (information & interruption::ERROR_CODE)
        write_field(E::entry_exception_error_code, error_code);
    if (interruption::type(information) >= 4)
        write_field(E::entry_instruction_length, instruction_length);
}

/* The event whose delivery into L2 this exit cut short (an EPT fault of the
 * shadow on L2's IDT or stack, a host interrupt meanwhile) goes in again at the
 * next entry, as for L1 (VmxVcpu::reinject_interrupted_event). Only for exits L0
 * keeps: a reflected exit gives L1 the IDT-vectoring information instead. */
void reinject_into_l2(ExitStatistics& statistics)
{
    auto vectoring = uint32_t(read_field(E::idt_vectoring_information));
    if (!(vectoring & EVENT_VALID))
        return;
    inject_into_l2(vectoring, uint32_t(read_field(E::idt_vectoring_error_code)),
                   read_field(E::exit_instruction_length));
    ++statistics.events_reinjected;
}

/* The exit L1 gets for an event its own controls ask for before L2 runs (an
 * external interrupt of L1's, an interrupt window of VMCS12): no instruction
 * caused it. An event VMCS02 was about to inject (L1's own injection, or one
 * L0 re-injects) counts as cut short: L1 finds it in the IDT-vectoring
 * information and injects it again ("Information for VM Exits That Occur During
 * Event Delivery"), so it is never lost. */
void exit_to_l1_before_entry(VmxVcpu& vcpu, NestedState& state, L2Context& l2, ExitReason reason)
{
    ExitRecord record;
    record.reason = uint32_t(reason);
    auto pending = uint32_t(read_field(E::entry_interruption_information));
    if (pending & EVENT_VALID) {
        record.idt_vectoring_information = pending;
        record.idt_vectoring_error_code = uint32_t(read_field(E::entry_exception_error_code));
        record.instruction_length = uint32_t(read_field(E::entry_instruction_length));
    }
    reflect_to_l1(vcpu, state, l2, record);
}

/* L1's pending interrupt while L2 is about to run. With "external-interrupt
 * exiting" in VMCS12 it is an exit to L1 (not acknowledged: "acknowledge
 * interrupt on exit" is offered but our L1 code paths leave the PIC to L1);
 * without, the CPU delivers it through L2's IDT when L2 can take it (RFLAGS.IF,
 * no STI/MOV SS blocking, no other event being injected), else an interrupt
 * window is L0's to ask for. Returns whether L1 got an exit. */
bool deliver_l1_interrupt(VmxVcpu& vcpu, NestedState& state, L2Context& l2, uint64_t now, bool& window,
                          uint64_t& slice_end)
{
    VirtualPlatform& platform = vcpu.vm().platform();
    window = false;
    if (!platform.has_pending_interrupt())
        return false;
    if (l1_asks(state.vmcs12, vmx::PinBasedControl::external_interrupt_exiting)) {
        if (now < l2.l1_interrupts_from_ns) {
            /* L2's first run after an entry (L2_FIRST_RUN_NS): the exit waits. */
            slice_end = l2.l1_interrupts_from_ns;
            return false;
        }
        exit_to_l1_before_entry(vcpu, state, l2, ExitReason::external_interrupt);
        return true;
    }
    bool injecting = read_field(E::entry_interruption_information) & EVENT_VALID;
    bool can_take = (read_field(E::guest_rflags) & RFLAGS_IF) &&
                    !(read_field(E::guest_interruptibility_state) & BLOCKING_BY_STI_OR_MOV_SS);
    if (injecting || !can_take) {
        window = true;
        return false;
    }
    uint8_t vector = platform.acknowledge_interrupt();
    write_field(E::entry_interruption_information, EVENT_VALID | vector);
    ++vcpu.vm().statistics().interrupts_injected;
    return false;
}

/* Interrupt-window exiting in VMCS02: L1's request or L0's (above). */
void set_interrupt_window(const Vmcs12& vmcs12, bool l0_wants)
{
    constexpr auto WINDOW = uint32_t(vmx::PrimaryProcessorControl::interrupt_window_exiting);
    bool wanted = l0_wants || l1_asks(vmcs12, vmx::PrimaryProcessorControl::interrupt_window_exiting);
    uint64_t primary = read_field(E::primary_processor_controls);
    uint64_t changed = wanted ? primary | WINDOW : primary & ~uint64_t(WINDOW);
    if (changed != primary)
        write_field(E::primary_processor_controls, changed);
}

/* An exception L0 raises in L2 (`information`: a valid hardware exception):
 * combined with the event whose delivery the exit cut short (a #DF, or a triple
 * fault, which is always L1's exit), then an exit to L1 when VMCS12's exception
 * bitmap takes it, else delivered through L2's IDT at the next entry. */
void raise_in_l2(VmxVcpu& vcpu, NestedState& state, L2Context& l2, uint32_t information, uint32_t error_code)
{
    auto vectoring = uint32_t(read_field(E::idt_vectoring_information));
    CombinedEvent combined = combine_events(vectoring, information);
    if (combined.kind == CombinedEvent::Kind::triple_fault) {
        ExitRecord record = record_from_vmcs02(uint32_t(ExitReason::triple_fault));
        record.qualification = 0;
        record.interruption_information = 0;
        record.idt_vectoring_information = 0;
        reflect_to_l1(vcpu, state, l2, record);
        return;
    }
    if (combined.kind == CombinedEvent::Kind::double_fault) {
        information = combined.information;
        error_code = 0;
        vectoring = 0; /* the #DF replaces both events */
    }
    if (exception_exits(state.vmcs12, interruption::vector(information), error_code)) {
        ExitRecord record = record_from_vmcs02(uint32_t(ExitReason::exception_or_nmi));
        record.qualification = 0;
        record.interruption_information = information & ~NMI_UNBLOCKING;
        record.interruption_error_code = error_code;
        record.idt_vectoring_information = vectoring;
        reflect_to_l1(vcpu, state, l2, record);
        return;
    }
    inject_into_l2(information, error_code, read_field(E::exit_instruction_length));
}

/* HLT in L2 without HLT exiting in VMCS12: L2 halts until an interrupt for L1
 * arrives, which either exits to L1 (external-interrupt exiting) or is delivered
 * through L2's IDT at the next slice. Without external-interrupt exiting and with
 * RFLAGS.IF clear nothing can wake it but an NMI, which no device of L1 raises:
 * L1's processor is stuck for good, as L0 ends an L1 that halts so. */
vmx::ExitAction halt_l2(VmxVcpu& vcpu, NestedState& state, L2Context& l2)
{
    bool l1_interrupts_exit = l1_asks(state.vmcs12, vmx::PinBasedControl::external_interrupt_exiting);
    if (!l1_interrupts_exit && !(read_field(E::guest_rflags) & RFLAGS_IF)) {
        vcpu.vm().end(VmRunState::halted, 0, "nested: L2 executed HLT with interrupts disabled and L1 does not "
                                             "exit on them: L1's processor halted for good");
        return vmx::ExitAction::stop;
    }
    write_field(E::guest_rip, read_field(E::guest_rip) + read_field(E::exit_instruction_length));
    uint64_t blocking = read_field(E::guest_interruptibility_state);
    if (blocking & BLOCKING_BY_STI_OR_MOV_SS)
        write_field(E::guest_interruptibility_state, blocking & ~uint64_t(BLOCKING_BY_STI_OR_MOV_SS));
    /* L2 made its progress (L2_FIRST_RUN_NS is for that): the interrupt that
     * wakes it exits at once, as it would on the CPU. */
    l2.l1_interrupts_from_ns = 0;
    /* The sleep may switch threads: VMCS02 is made current again by the next slice. */
    vcpu.vm().statistics().halted_cycles += halted_guest::sleep_until_interrupt(vcpu.vm());
    return vmx::ExitAction::resume;
}

/* MOV to CR0/CR4 that L1 lets through but L0 intercepts (a bit only L0 owns,
 * CR0.NE, CR4.VMXE or CR4.OSXSAVE, changes): done as the CPU would, with the
 * read shadow L2 must see. OSXSAVE faults as it does for L1 (XSAVE is hidden),
 * as does CR0.PG without CR0.PE. CR3 and CR8 accesses L1 lets through reach L1's
 * own state: CR8 is L1's local APIC TPR, done by the backend's handler. */
vmx::ExitAction write_control_register(VmxVcpu& vcpu, NestedState& state, L2Context& l2, uint64_t qualification)
{
    unsigned cr = qualification & 15, type = (qualification >> 4) & 3;
    if (cr == 8 && type <= 1)
        return vcpu.handle_exit_for_l1(uint16_t(ExitReason::control_register_access));
    if (type != 0 || (cr != 0 && cr != 4))
        return vcpu.stop_vm("nested: L2 control-register access (qualification 0x%lx) that L1 lets through and L0 "
                            "does not emulate", qualification);
    uint64_t value = vcpu.read_gpr(unsigned(qualification >> 8) & 15);
    constexpr uint32_t GP = EVENT_VALID | interruption::ERROR_CODE |
                            (interruption::TYPE_HARDWARE_EXCEPTION << interruption::TYPE_SHIFT) | 13;
    if ((cr == 0 && (value & CR0_PG) && !(value & CR0_PE)) || (cr == 4 && (value & CR4_OSXSAVE))) {
        raise_in_l2(vcpu, state, l2, GP, 0);
        return vmx::ExitAction::resume;
    }
    ControlRegisterWrite write =
        cr == 0 ? l2_control_register_write(value, state.vmcs12.get(E::cr0_read_shadow), l2.cr0_mask12,
                                            l2.l0.cr0_forced_on)
                : l2_control_register_write(value, state.vmcs12.get(E::cr4_read_shadow), l2.cr4_mask12,
                                            l2.l0.cr4_forced_on);
    if (cr == 0) {
        /* PG and PE are not L0's bits (unrestricted guest): only NE exits here,
         * so the IA-32e mode switch stays the CPU's. */
        write_field(E::guest_cr0, write.guest);
        write_field(E::cr0_read_shadow, write.shadow);
    } else {
        write_field(E::guest_cr4, write.guest);
        write_field(E::cr4_read_shadow, write.shadow);
    }
    write_field(E::guest_rip, read_field(E::guest_rip) + read_field(E::exit_instruction_length));
    return vmx::ExitAction::resume;
}

/* L2's RIP past the instruction that exited, as the CPU moves it: STI and MOV
 * SS blocking end with it. */
void skip_l2_instruction()
{
    write_field(E::guest_rip, read_field(E::guest_rip) + read_field(E::exit_instruction_length));
    uint64_t blocking = read_field(E::guest_interruptibility_state);
    if (blocking & BLOCKING_BY_STI_OR_MOV_SS)
        write_field(E::guest_interruptibility_state, blocking & ~uint64_t(BLOCKING_BY_STI_OR_MOV_SS));
}

/* RDMSR of IA32_TIME_STAMP_COUNTER that L1's MSR bitmap lets through: L2 reads
 * the TSC it runs with, as RDTSC gives it (l2_tsc(): L1's TSC plus VMCS12's TSC
 * offset when L1 uses TSC offsetting), not L1's own. */
vmx::ExitAction read_l2_tsc(VmxVcpu& vcpu)
{
    uint64_t value = l2_tsc();
    vcpu.registers().rax = uint32_t(value);
    vcpu.registers().rdx = value >> 32;
    skip_l2_instruction();
    return vmx::ExitAction::resume;
}

/* WRMSR of IA32_TIME_STAMP_COUNTER that L1's MSR bitmap lets through: WRMSR
 * in VMX non-root operation writes the TSC itself, which "use TSC offsetting"
 * does not change ("Changes to Instruction Behavior in VMX Non-Root Operation"
 * names no TSC case for WRMSR): L1's TSC becomes the value, and L2 reads it plus
 * VMCS12's offset. L1's offset lives in VMCS01 (set_guest_tsc), VMCS02 gets the
 * composed one at once. */
vmx::ExitAction write_l2_tsc(VmxVcpu& vcpu, NestedState& state, L2Context& l2)
{
    uint64_t value = (vcpu.registers().rdx << 32) | uint32_t(vcpu.registers().rax);
    uint64_t offset12 =
        l1_asks(state.vmcs12, vmx::PrimaryProcessorControl::tsc_offsetting) ? state.vmcs12.get(E::tsc_offset) : 0;
    vcpu.make_vmcs01_current();
    vcpu.set_guest_tsc(value);
    l2.l0.tsc_offset01 = vcpu.tsc_offset();
    l2.vmcs02.make_current();
    uint64_t offset = l2.l0.tsc_offset01 + offset12;
    constexpr auto OFFSETTING = uint32_t(vmx::PrimaryProcessorControl::tsc_offsetting);
    uint64_t primary = read_field(E::primary_processor_controls);
    write_field(E::primary_processor_controls, offset ? primary | OFFSETTING : primary & ~uint64_t(OFFSETTING));
    write_field(E::tsc_offset, offset);
    skip_l2_instruction();
    return vmx::ExitAction::resume;
}

/* An element of L2's string I/O that L1 let through, refused on its way to
 * L1's RAM: by L1's EPT, an EPT violation (or misconfiguration) to L1 as the
 * CPU would deliver it ("Exit Qualification for EPT Violations": the access,
 * L1's rights, the linear address valid and, unless a paging entry of L2's was
 * being read, the translation of it), with L2 stopped at the instruction and
 * its elements before this one done; by L2's own paging (a #PF in L2, not
 * emulated here) or by landing in L1's device memory, the end of the VM. */
vmx::ExitAction deliver_string_io_refusal(VmxVcpu& vcpu, NestedState& state, L2Context& l2, const L2Memory& l2_ram,
                                          const VmxVcpu::StringIoRefusal& refused)
{
    namespace bits = ept_violation_bits;
    const L2Memory::Refusal& ept = l2_ram.refusal();
    bool paging_entry = refused.walk == guest_paging::PageWalkFault::table_outside_ram;
    bool l1s_ept = ept.valid && (paging_entry || refused.walk == guest_paging::PageWalkFault::page_outside_ram ||
                                 refused.walk == guest_paging::PageWalkFault::none /* the walk passed, the copy did not */);
    if (!l1s_ept)
        return vcpu.stop_vm("nested: L2's string I/O at guest-linear 0x%lx failed in L2's own paging or reached L1's "
                            "device memory (not emulated)", refused.element.linear);
    --vcpu.vm().statistics().nested.l2_exits_handled; /* reflected after all */
    bool misconfiguration = ept.misconfiguration;
    ExitRecord record = record_from_vmcs02(uint32_t(misconfiguration ? ExitReason::ept_misconfiguration
                                                                     : ExitReason::ept_violation));
    record.guest_physical_address = ept.l2_physical;
    record.instruction_information = 0;
    if (misconfiguration) {
        record.qualification = 0;
        record.guest_linear_address = 0;
    } else {
        uint64_t access = refused.element.write && !paging_entry ? bits::WRITE : bits::READ;
        record.qualification = access | (uint64_t(ept.rights) << bits::RIGHTS_SHIFT) | bits::LINEAR_VALID |
                               (paging_entry ? 0 : bits::LINEAR_TRANSLATION);
        record.guest_linear_address = refused.element.linear;
    }
    reflect_to_l1(vcpu, state, l2, record);
    return vmx::ExitAction::resume;
}

/* An exit L1 did not ask for and L0 must act on for L1 (not a host event, not
 * the shadow EPT): the instruction as the CPU would have executed it for L1. */
vmx::ExitAction act_for_l1(VmxVcpu& vcpu, NestedState& state, L2Context& l2, ExitReason reason, uint64_t qualification)
{
    ExitStatistics& statistics = vcpu.vm().statistics();
    ++statistics.nested.l2_exits_handled;
    switch (reason) {
    case ExitReason::io_instruction:
    case ExitReason::rdmsr:
    case ExitReason::wrmsr: {
        if (uint32_t(vcpu.registers().rcx) == uint32_t(Msr::time_stamp_counter) && reason != ExitReason::io_instruction)
            return reason == ExitReason::rdmsr ? read_l2_tsc(vcpu) : write_l2_tsc(vcpu, state, l2);
        /* String I/O walks L2's memory: with L1's EPT between L2 and L1's RAM,
         * through it (l2_memory.h); without, L2-physical is L1-physical. */
        L2Memory l2_ram(vcpu.vm().memory(), state.vmcs12.get(E::ept_pointer), l2.shadow.capabilities());
        bool string_io = reason == ExitReason::io_instruction && (qualification & (1u << 4));
        vmx::ExitAction action =
            vcpu.handle_exit_for_l1(uint16_t(reason), string_io && l1_uses_ept(state.vmcs12) ? &l2_ram : nullptr);
        if (const VmxVcpu::StringIoRefusal* refused = vcpu.string_io_refusal(); refused && action == vmx::ExitAction::resume)
            return deliver_string_io_refusal(vcpu, state, l2, l2_ram, *refused);
        /* A #GP the model raised (an MSR L1's CPU does not have) is L2's. */
        auto injected = uint32_t(read_field(E::entry_interruption_information));
        if (action == vmx::ExitAction::resume && (injected & EVENT_VALID)) {
            write_field(E::entry_interruption_information, 0);
            raise_in_l2(vcpu, state, l2, injected, uint32_t(read_field(E::entry_exception_error_code)));
        }
        return action;
    }
    case ExitReason::hlt: return halt_l2(vcpu, state, l2);
    case ExitReason::control_register_access: return write_control_register(vcpu, state, l2, qualification);
    case ExitReason::interrupt_window:
        /* L0's own window: the next slice delivers L1's interrupt into L2. */
        return vmx::ExitAction::resume;
    default: break;
    }
    return vcpu.stop_vm("nested: L2 exit %lu would need the host to act for L1 (not done yet)", uint64_t(reason));
}

/* L2 reached L1's device memory through L1's EPT (a page L1's EPT maps onto
 * L1-physical memory the host's EPT for L1 leaves unmapped): the access L1's
 * CPU would make, emulated as L0 emulates L1's own MMIO (the local APIC, the
 * only device memory L0 models), with L2's registers, and the instruction read
 * at L2's RIP through L2's paging and L1's EPT (l2_memory.h). Anything else (an
 * instruction fetch, another page, L2's page walk, an access while delivering an
 * event) ends the VM with a sentence. */
vmx::ExitAction access_l1_device_memory(VmxVcpu& vcpu, NestedState& state, uint64_t l1_physical, uint64_t qualification)
{
    namespace bits = ept_violation_bits;
    /* A walk of L2's own paging structures through that page is no register access. */
    bool paging_structure = (qualification & bits::LINEAR_VALID) && !(qualification & bits::LINEAR_TRANSLATION);
    if (!vcpu.in_local_apic_page(l1_physical) || (qualification & bits::FETCH) || paging_structure)
        return vcpu.stop_vm("nested: L2 accessed L1 page 0x%lx, which is neither L1 RAM nor L1's local APIC "
                            "registers (qualification 0x%lx)", l1_physical, qualification);
    if (read_field(E::idt_vectoring_information) & EVENT_VALID)
        return vcpu.stop_vm("nested: L2 reached L1's local APIC at 0x%lx while delivering an event (not emulated)",
                            l1_physical);
    ++vcpu.vm().statistics().nested.l2_exits_handled;
    L2Memory l2_ram(vcpu.vm().memory(), state.vmcs12.get(E::ept_pointer), state.l2->shadow.capabilities());
    return vcpu.handle_local_apic_access_for_l1(l1_physical, l2_ram);
}

/* The shadow EPT's verdict on an EPT violation of VMCS02. */
vmx::ExitAction handle_l2_ept_violation(VmxVcpu& vcpu, NestedState& state, L2Context& l2)
{
    ExitStatistics& statistics = vcpu.vm().statistics();
    uint64_t address = read_field(E::guest_physical_address);
    uint64_t qualification = read_field(E::exit_qualification);
    if (!l1_uses_ept(state.vmcs12))
        return vcpu.stop_vm("nested: L2 without EPT touched L1 page 0x%lx outside L1's RAM", address);
    ShadowFault fault = l2.shadow.handle_violation(address, qualification);
    switch (fault.kind) {
    case ShadowFault::Kind::resolved:
        reinject_into_l2(statistics);
        ++statistics.nested.l2_exits_handled;
        return vmx::ExitAction::resume;
    case ShadowFault::Kind::reflect_violation: {
        ExitRecord record = record_from_vmcs02(uint32_t(ExitReason::ept_violation));
        record.qualification = fault.qualification12;
        reflect_to_l1(vcpu, state, l2, record);
        return vmx::ExitAction::resume;
    }
    case ShadowFault::Kind::reflect_misconfiguration: {
        ExitRecord record = record_from_vmcs02(uint32_t(ExitReason::ept_misconfiguration));
        record.qualification = 0;
        reflect_to_l1(vcpu, state, l2, record);
        return vmx::ExitAction::resume;
    }
    case ShadowFault::Kind::l1_fault: return access_l1_device_memory(vcpu, state, fault.l1_physical, qualification);
    case ShadowFault::Kind::out_of_memory: return vcpu.stop_vm("nested: out of host memory for the shadow EPT");
    }
    return vmx::ExitAction::stop;
}

/* One exit of VMCS02 (current): reflected, handled by L0, or the end of the VM. */
vmx::ExitAction handle_l2_exit(VmxVcpu& vcpu, NestedState& state, L2Context& l2, uint32_t raw_reason)
{
    auto reason = ExitReason(raw_reason & 0xFFFF);
    ExitStatistics& statistics = vcpu.vm().statistics();
    if (raw_reason & EXIT_REASON_ENTRY_FAILURE) {
        /* The CPU refused L2's state although our checks let it pass: L1 gets
         * the failure it would get from hardware; the host is untouched. */
        ExitRecord record = record_from_vmcs02(raw_reason);
        vcpu.make_vmcs01_current();
        /* L2's state in VMCS02 is not copied back here: VMCS02 is built afresh. */
        l2.vmcs02_for = NO_CURRENT_VMCS;
        record_exit(state.vmcs12, record);
        load_l1_host_state(vcpu, state, l1_state_before(l2), nullptr);
        push(vcpu, state);
        ++statistics.nested.l2_exits_reflected;
        return vmx::ExitAction::resume;
    }
    switch (reason) {
    case ExitReason::external_interrupt:
    case ExitReason::preemption_timer_expired:
        if (reason == ExitReason::external_interrupt || !l2.l1_timer) {
            /* The host's own: sti delivers it, the next slice goes on (with
             * the event it may have cut short). */
            reinject_into_l2(statistics);
            ++statistics.nested.l2_exits_handled;
            return vmx::ExitAction::resume;
        }
        break;
    case ExitReason::ept_violation: return handle_l2_ept_violation(vcpu, state, l2);
    case ExitReason::ept_misconfiguration:
        return vcpu.stop_vm("nested: shadow EPT misconfiguration at 0x%lx (a hypervisor bug)",
                            read_field(E::guest_physical_address));
    default: break;
    }

    if (reason == ExitReason::exception_or_nmi) {
        auto information = uint32_t(read_field(E::exit_interruption_information));
        if (interruption::type(information) == interruption::TYPE_NMI) {
            /* A host NMI: the host's, as for L1 (exit_handlers.cpp). */
            uint64_t blocking = read_field(E::guest_interruptibility_state);
            write_field(E::guest_interruptibility_state, blocking & ~uint64_t(vmx::BLOCKING_BY_NMI));
            reinject_into_l2(statistics);
            ++statistics.host_nmis;
            cpu::raise_nmi();
            return vmx::ExitAction::resume;
        }
    }

    L2Exit exit;
    exit.reason = reason;
    exit.qualification = read_field(E::exit_qualification);
    exit.interruption_information = uint32_t(read_field(E::exit_interruption_information));
    exit.interruption_error_code = uint32_t(read_field(E::exit_interruption_error_code));
    exit.msr = uint32_t(vcpu.registers().rcx);
    if (reason == ExitReason::control_register_access)
        exit.source_value = vcpu.read_gpr(unsigned(exit.qualification >> 8) & 15);
    if (exit_owner(state.vmcs12, exit, vcpu.vm().memory()) == ExitOwner::l1) {
        reflect_to_l1(vcpu, state, l2, record_from_vmcs02(uint32_t(reason)));
        return vmx::ExitAction::resume;
    }
    if (reason == ExitReason::exception_or_nmi) {
        /* An exception only L0 intercepts (#UD, for AMD's VMMCALL in L1) is L2's
         * own: raised in L2 as it happened, combined with an event it may have
         * interrupted. */
        ++statistics.nested.l2_exits_handled;
        raise_in_l2(vcpu, state, l2, exit.interruption_information, exit.interruption_error_code);
        return vmx::ExitAction::resume;
    }
    return act_for_l1(vcpu, state, l2, reason, exit.qualification);
}

/* IA32_VMX_MISC bits 4:0, the rate of VMCS02's timer and of the one offered to L1. */
unsigned preemption_timer_shift() { return unsigned(host_vmx_capabilities().misc & 0x1F); }

} // namespace

void start_l1_timer(L2Context& l2, const Vmcs12& vmcs12)
{
    if (l2.l1_timer)
        l2.l1_deadline.start(uint32_t(vmcs12.get(E::preemption_timer_value)), cpu::rdtsc(), preemption_timer_shift());
    else
        l2.l1_deadline.stop();
}

uint32_t l1_timer_saved_value(const L2Context& l2, uint32_t reason)
{
    if (ExitReason(reason & 0xFFFF) == ExitReason::preemption_timer_expired)
        return 0;
    uint64_t left = l2.l1_deadline.counts_left(cpu::rdtsc());
    return left > 0xFFFFFFFF ? 0xFFFFFFFF : uint32_t(left);
}

vmx::ExitAction run_l2_slice(VmxVcpu& vcpu)
{
    NestedState& state = vcpu.nested_state();
    L2Context& l2 = *state.l2;
    VirtualPlatform& platform = vcpu.vm().platform();
    cpu::cli();
    l2.vmcs02.make_current();
    uint64_t now = clock::nanoseconds();
    platform.update(now);
    bool l0_window = false;
    uint64_t deferred_exit = devices::Pit8254::NO_DEADLINE;
    if (deliver_l1_interrupt(vcpu, state, l2, now, l0_window, deferred_exit)) {
        cpu::sti();
        return vmx::ExitAction::resume;
    }
    set_interrupt_window(state.vmcs12, l0_window);
    uint64_t next = platform.next_event_ns(now);
    if (deferred_exit < next)
        next = deferred_exit;
    uint64_t slice = MAX_L2_SLICE_NS;
    if (next != devices::Pit8254::NO_DEADLINE)
        slice = next <= now ? 0 : (next - now < slice ? next - now : slice);
    uint64_t ticks = (clock::tsc_hz() * slice / 1000000000ull) >> preemption_timer_shift();
    L1PreemptionTimer::Armed armed = l2.l1_deadline.arm(cpu::rdtsc(), ticks);
    write_field(E::preemption_timer_value, armed.counts > 0xFFFFFFFF ? 0xFFFFFFFF : armed.counts);
    write_field(E::host_cr3, cpu::read_cr3());
    if (l2.shadow.take_flush_request())
        flush_shadow_mappings(l2.shadow.pointer());
    if (l2.shadow.active())
        write_field(E::ept_pointer, l2.shadow.pointer());

    /* L2 runs with the vCPU's syscall MSRs, which it shares with L1: L1's
     * (or what VMCS12's entry MSR-load area put there). */
    vcpu.load_swapped_msrs();
    int status = vmx_enter_guest(&vcpu.registers(), l2.vmcs02.launched());
    if (status != VM_ENTER_EXITED) {
        uint64_t error = status == VM_ENTER_FAIL_VALID ? read_field(E::vm_instruction_error) : 0;
        vmx::dump_current_vmcs();
        vcpu.make_vmcs01_current();
        cpu::sti();
        return vcpu.stop_vm("nested: VMCS02 entry failed with VM-instruction error %lu (a hypervisor bug)", error);
    }
    l2.vmcs02.set_launched(true);
    auto raw_reason = uint32_t(read_field(E::exit_reason));
    if (l2.l1_timer && ExitReason(raw_reason) == ExitReason::preemption_timer_expired && !armed.l1_first) {
        /* L0's slice ended first: L1's deadline stays where it is. */
        reinject_into_l2(vcpu.vm().statistics());
        ++vcpu.vm().statistics().nested.l2_exits_handled;
        cpu::sti();
        return vmx::ExitAction::resume;
    }
    vmx::ExitAction action = handle_l2_exit(vcpu, state, l2, raw_reason);
    cpu::sti();
    return action;
}

} // namespace nested
