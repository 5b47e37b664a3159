/* One handler per VM exit reason, and the dispatcher that picks it. Read next to
 * the Intel SDM (revision 084), Vol. 3C, chapter "VM Exits" ("Basic VM-Exit
 * Information": exit reason, qualification, instruction length) and Vol. 3D,
 * Appendix C "VMX Basic Exit Reasons". Every handler either completes the
 * guest's instruction (and advances RIP), injects the fault real hardware
 * would raise, or ends the VM with a reason a person can act on. */
#include "abi/hypercall.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "hypervisor/exercise.h"
#include "hypervisor/hypercall/hypercall.h"
#include "hypervisor/memory/mmio_instruction.h"
#include "hypervisor/vm/halted_guest.h"
#include "hypervisor/nested/vmx_emulation.h"
#include "hypervisor/vm/string_io.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vmx/exit_interruption.h"
#include "hypervisor/vmx/vmx_msr_backend.h"
#include "hypervisor/vmx/vmx_support.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace vmx {

namespace {

constexpr uint8_t VECTOR_UD = 6;
constexpr uint8_t VECTOR_GP = 13;
/* Ports where PC kernels power the machine off: QEMU's isa-debug-exit (our own
 * kernel uses it), and Bochs' shutdown port. */

ExitAction stop(VmxVcpu& vcpu, const char* format, uint64_t a = 0, uint64_t b = 0)
{
    vcpu.vm().end(VmRunState::failed, -1, format, a, b);
    return ExitAction::stop;
}

ExitAction handle_cpuid(VmxVcpu& vcpu)
{
    // SOLUTION BEGIN 4
    GuestRegisters& r = vcpu.registers();
    uint32_t leaf = uint32_t(r.rax), subleaf = uint32_t(r.rcx);
    CpuidLeaf result;
    /* Leaves 0x40000000-0x4FFFFFFF are the hypervisor's (no CPU defines them). */
    bool hypervisor_leaf = (leaf >> 28) == (HYPERVISOR_CPUID_BASE >> 28) && hypervisor_cpuid_leaf(leaf, result);
    if (!hypervisor_leaf) {
        /* Everything else is the CPU model's (hypervisor/cpu_model): host
         * features the model shows, nothing it does not. */
        cpu_model::CpuidRegisters model = vcpu.vm().cpu().cpuid(leaf, subleaf);
        result = {model.eax, model.ebx, model.ecx, model.edx};
        if (leaf == 0 && vcpu.vm().sweb_vendor)
            result.ebx = result.ecx = result.edx = HYPERVISOR_SIGNATURE_EBX; /* "SWEB" */
    }
    r.rax = result.eax;
    r.rbx = result.ebx;
    r.rcx = result.ecx;
    r.rdx = result.edx;
    vcpu.advance_rip();
    return ExitAction::resume;
    // SOLUTION STUB 4: return stop(vcpu, MILESTONE_NOT_DONE(4, "emulate CPUID: the CPU model's answer (hypervisor leaves at "
    // SOLUTION STUB 4:                                         "0x40000000), then move RIP on (handle_cpuid)"));
    // SOLUTION END 4
}

ExitAction handle_hlt(VmxVcpu& vcpu)
{
    // SOLUTION BEGIN 5
    /* Only an NMI could wake it, and no device here raises one: the guest is
     * done (a kernel's last `cli; hlt`), which is an end, not a failure. */
    if (!(vmcs_read(VmcsField::guest_rflags) & RFLAGS_IF)) {
        vcpu.vm().end(VmRunState::halted, 0, "HLT with interrupts disabled: the guest halted for good");
        return ExitAction::stop;
    }
    vcpu.advance_rip();
    /* Sleep until an interrupt waits for the guest: the CPU is the host's
     * meanwhile. This is the handler's last step, since another VM may make its
     * VMCS current. */
    vcpu.vm().statistics().halted_cycles += halted_guest::sleep_until_interrupt(vcpu.vm());
    return ExitAction::resume;
    // SOLUTION STUB 5: return stop(vcpu, MILESTONE_NOT_DONE(5, "handle HLT: end the VM when interrupts are off, "
    // SOLUTION STUB 5:                                         "else sleep until the next device event (handle_hlt)"));
    // SOLUTION END 5
}

/* One guest port write, and whether it turned the VM off. These writes power off
 * (docs/hostile-guests.md, "Power-off writes", lists them for the guests that
 * must avoid them): any write to 0xF4; 'S' to 0x8900; the 8042's reset line
 * (command 0xF0-0xFF with bit 0 clear, or 0xD1 and an output-port byte with bit 0
 * clear); SLP_EN in an ACPI PM1a control register (0x604, 0xB004). */
bool port_write_powers_off(VmxVcpu& vcpu, uint16_t port, unsigned size, uint32_t value, uint64_t now)
{
    bool off = vcpu.vm().write_port_powers_off(port, size, value, now);
    /* A write may reprogram a timer: the next entry brings the devices up to
     * date and re-reads the deadlines. The 8259s' ports (EOIs, masks) change no
     * deadline; only a PIT period remembered for a later IRQ 0 waits for the
     * PIC, so without one the guest's EOI after each timer interrupt costs no
     * device update. */
    bool pic_port = (port & ~1u) == 0x20 || (port & ~1u) == 0xA0;
    if (!pic_port || vcpu.vm().platform().pit().backlog())
        vcpu.devices_touched();
    return off;
}

/* INS and OUTS, with or without REP: the operands from the VM-exit instruction
 * information, the elements moved by run_string_io (hypervisor/vm/string_io.h). */
ExitAction handle_string_io(VmxVcpu& vcpu, uint64_t qualification, unsigned size, bool in, uint16_t port)
{
    constexpr VmcsFieldNatural SEGMENT_BASES[] = {VmcsField::guest_es_base, VmcsField::guest_cs_base, VmcsField::guest_ss_base,
                                           VmcsField::guest_ds_base, VmcsField::guest_fs_base, VmcsField::guest_gs_base};
    /* VM-exit instruction information for INS/OUTS: bits 9:7 address size,
     * bits 17:15 the segment (OUTS only; INS always writes through ES). */
    uint64_t information = vmcs_read(VmcsField::exit_instruction_information);
    unsigned address_size = (information >> 7) & 7;
    unsigned segment = in ? 0 : (information >> 15) & 7;
    if (address_size > 2 || segment > 5)
        return stop(vcpu, "string port I/O with an undecodable operand (information 0x%lx)", information);
    StringIo io{port, size, in, bool(qualification & (1u << 5)),
                bool(vmcs_read(VmcsField::guest_rflags) & RFLAGS_DF),
                address_size == 0 ? 0xFFFFull : address_size == 1 ? 0xFFFFFFFFull : ~0ull,
                vmcs_read(SEGMENT_BASES[segment])};
    guest_paging::PagedGuestMemory memory = vcpu.guest_address_space();
    StringIoEnd end = run_string_io(vcpu.vm(), vcpu.registers(), memory, io, vcpu.string_io_fault_sink());
    if (!in)
        vcpu.devices_touched();
    if (end == StringIoEnd::vm_ended)
        return ExitAction::stop;
    if (end == StringIoEnd::memory_fault) {
        vcpu.string_io_refused(memory.last_fault()); /* L0 acting for L1: nested delivers it */
        return ExitAction::resume;
    }
    if (end == StringIoEnd::complete)
        vcpu.advance_rip();
    return ExitAction::resume;
}

ExitAction handle_io(VmxVcpu& vcpu)
{
    uint64_t qualification = vcpu.exit_qualification();
    unsigned size = unsigned(qualification & 7) + 1;
    bool in = qualification & (1u << 3);
    bool string = qualification & (1u << 4);
    auto port = uint16_t(qualification >> 16);
    if (string)
        return handle_string_io(vcpu, qualification, size, in, port);
    // SOLUTION BEGIN 6
    Vm& vm = vcpu.vm();
    GuestRegisters& r = vcpu.registers();
    uint64_t now = clock::nanoseconds();
    uint64_t mask = size == 4 ? 0xFFFFFFFFull : (1ull << (size * 8)) - 1;
    if (in) {
        ++vm.statistics().port_reads;
        uint64_t value = vm.platform().io_bus().read(port, size, now) & mask;
        /* IN EAX zero-extends into RAX; IN AL and IN AX keep the upper bits. */
        r.rax = size == 4 ? value : (r.rax & ~mask) | value;
    } else {
        ++vm.statistics().port_writes;
        uint32_t value = uint32_t(r.rax & mask);
        if (port_write_powers_off(vcpu, port, size, value, now))
            return ExitAction::stop;
    }
    vcpu.advance_rip();
    return ExitAction::resume;
    // SOLUTION STUB 6: /* The writes that turn the machine off are the platform's; the rest is yours. */
    // SOLUTION STUB 6: uint64_t value_bits = size == 4 ? 0xFFFFFFFFull : (1ull << (size * 8)) - 1;
    // SOLUTION STUB 6: if (!in && port_write_powers_off(vcpu, port, size, uint32_t(vcpu.registers().rax & value_bits),
    // SOLUTION STUB 6:                                  clock::nanoseconds()))
    // SOLUTION STUB 6:     return ExitAction::stop;
    // SOLUTION STUB 6: return stop(vcpu, MILESTONE_NOT_DONE(6, "emulate IN and OUT through the I/O bus, from the exit "
    // SOLUTION STUB 6:                                         "qualification's port, size and direction (handle_io)"));
    // SOLUTION END 6
}

ExitAction handle_msr(VmxVcpu& vcpu, bool write)
{
    GuestRegisters& r = vcpu.registers();
    auto msr = uint32_t(r.rcx);
    cpu_model::GuestCpu& model = vcpu.vm().cpu();
    VmxMsrBackend backend(vcpu);
    bool ok;
    if (write) {
        ok = model.write_msr(msr, (r.rdx << 32) | uint32_t(r.rax), backend);
    } else {
        /* A faulting RDMSR changes no register (SDM "RDMSR": #GP(0) if ECX names
         * no MSR; a fault leaves the state as before the instruction), so EDX:EAX
         * are written only when the read succeeds. */
        uint64_t value = 0;
        ok = model.read_msr(msr, value, backend);
        if (ok) {
            r.rax = uint32_t(value);
            r.rdx = value >> 32;
        }
    }
    if (!ok) {
        vcpu.inject_exception(VECTOR_GP, true, 0);
        return ExitAction::resume;
    }
    /* IA32_APIC_BASE bit 11 switches the local APIC on or off as a whole. */
    if (write && msr == uint32_t(Msr::apic_base))
        vcpu.vm().platform().local_apic().set_globally_enabled(model.apic_base() & cpu_model::APIC_BASE_ENABLE,
                                                               clock::nanoseconds());
    vcpu.advance_rip();
    return ExitAction::resume;
}

/* MOV to CR0 with a value whose masked bits (NE) differ from the shadow: apply the
 * fixed bits, and do the IA-32e mode switch the CPU would have done. */
bool write_cr0(uint64_t value)
{
    if ((value & CR0_PG) && !(value & CR0_PE))
        return false;
    uint64_t old = vmcs_read(VmcsField::guest_cr0);
    uint64_t efer = vmcs_read(VmcsField::guest_efer);
    uint32_t entry = uint32_t(vmcs_read(VmcsField::entry_controls));
    if (!(old & CR0_PG) && (value & CR0_PG) && (efer & EFER_LME)) {
        efer |= EFER_LMA;
        entry |= uint32_t(EntryControl::ia32e_mode_guest);
    } else if ((old & CR0_PG) && !(value & CR0_PG)) {
        efer &= ~EFER_LMA;
        entry &= ~uint32_t(EntryControl::ia32e_mode_guest);
    }
    vmcs_write(VmcsField::guest_efer, efer);
    vmcs_write(VmcsField::entry_controls, entry);
    vmcs_write(VmcsField::guest_cr0, apply_fixed_bits(value, cr0_fixed_bits(host_vmx_capabilities(), true)));
    vmcs_write(VmcsField::cr0_read_shadow, value);
    return true;
}

bool write_cr4(VmxVcpu& vcpu, uint64_t value)
{
    /* XSAVE is hidden from the guest: setting its enable faults. VMX is offered
     * per VM (hypervisor/nested); without it, setting CR4.VMXE faults too. */
    if ((value & CR4_OSXSAVE) || !nested::cr4_write_allowed(vcpu, value))
        return false;
    vmcs_write(VmcsField::guest_cr4, apply_fixed_bits(value | CR4_VMXE, cr4_fixed_bits(host_vmx_capabilities())));
    vmcs_write(VmcsField::cr4_read_shadow, value);
    return true;
}

/* MOV to or from CR8: the guest local APIC's TPR[7:4] (SDM "Interaction of Task
 * Priorities between CR8 and APIC"; "MOV-Move to/from Control Registers":
 * #GP(0) when bits 63:4 of a value for CR8 are set). */
ExitAction handle_cr8_access(VmxVcpu& vcpu, bool to_cr8, unsigned gpr)
{
    devices::LocalApic& apic = vcpu.vm().platform().local_apic();
    uint64_t now = clock::nanoseconds();
    if (to_cr8) {
        uint64_t value = vcpu.read_gpr(gpr);
        if (value & ~0xFull) {
            vcpu.inject_exception(VECTOR_GP, true, 0);
            return ExitAction::resume;
        }
        apic.write(devices::LocalApic::tpr, uint32_t(value) << 4, now);
    } else {
        vcpu.write_gpr(gpr, (apic.read(devices::LocalApic::tpr, now) >> 4) & 0xF);
    }
    vcpu.advance_rip();
    return ExitAction::resume;
}

ExitAction handle_cr_access(VmxVcpu& vcpu)
{
    uint64_t qualification = vmcs_read(VmcsField::exit_qualification);
    unsigned cr = qualification & 15;
    unsigned type = (qualification >> 4) & 3;
    unsigned gpr = (qualification >> 8) & 15;
    /* Access type 0 is MOV to CR, 1 MOV from CR. */
    if (cr == 8 && type <= 1)
        return handle_cr8_access(vcpu, type == 0, gpr);
    if (type != 0 || (cr != 0 && cr != 4))
        return stop(vcpu, "unexpected control-register exit (qualification 0x%lx)", qualification);
    uint64_t value = vcpu.read_gpr(gpr);
    if (!(cr == 0 ? write_cr0(value) : write_cr4(vcpu, value))) {
        vcpu.inject_exception(VECTOR_GP, true, 0);
        return ExitAction::resume;
    }
    vcpu.advance_rip();
    return ExitAction::resume;
}

/* Past the hypercall instruction: VMCALL's exit gives its length, VMMCALL's
 * #UD does not (`length`: 3, its bytes 0F 01 D9). */
void complete_hypercall(VmxVcpu& vcpu, unsigned length)
{
    if (length)
        vcpu.advance_rip_by(length);
    else
        vcpu.advance_rip();
}

/* The null hypercall: answered here, without the dispatcher's set-up
 * (abi/hypercall.h, HYPERCALL_PING). The exercise tree's handle_vmcall stub
 * does not call it, hence maybe_unused. */
[[maybe_unused]] ExitAction answer_ping(VmxVcpu& vcpu, unsigned length = 0)
{
    vcpu.answer_ping();
    complete_hypercall(vcpu, length);
    return ExitAction::resume;
}

ExitAction handle_vmcall(VmxVcpu& vcpu, unsigned length = 0)
{
    // SOLUTION BEGIN 4
    GuestRegisters& r = vcpu.registers();
    if (r.rax == HYPERCALL_PING)
        return answer_ping(vcpu, length);
    HypercallRegisters h{r.rax, r.rbx, r.rcx, r.rdx, r.rsi};
    /* Everything the hypercall needs from the VMCS is read now: a file hypercall
     * may wait for the host's file system lock, so it runs with interrupts on,
     * and another VM's thread may make its own VMCS current meanwhile (the loop
     * makes ours current again before the next entry). */
    guest_paging::PagedGuestMemory memory = vcpu.guest_address_space();
    unsigned privilege_level = vcpu.guest_privilege_level();
    complete_hypercall(vcpu, length);
    cpu::sti();
    HypercallOutcome outcome = handle_hypercall(vcpu.vm(), h, memory, privilege_level);
    cpu::cli();
    if (outcome != HypercallOutcome::resume)
        return ExitAction::stop;
    r.rax = h.rax;
    r.rbx = h.rbx;
    return ExitAction::resume;
    // SOLUTION STUB 4: (void)length;
    // SOLUTION STUB 4: return stop(vcpu, MILESTONE_NOT_DONE(4, "hand the guest's registers to handle_hypercall() "
    // SOLUTION STUB 4:                                         "and move RIP on (handle_vmcall, hypervisor/vmx/exit_handlers.cpp)"));
    // SOLUTION END 4
}

/* CS access rights (SDM "Guest Segment Registers"): L (64-bit code), D/B. */
constexpr uint64_t ACCESS_LONG_MODE = 1u << 13, ACCESS_DEFAULT_BIG = 1u << 14;

/* A guest access to the local APIC's page, which EPT leaves unmapped so that
 * every access exits: the MOV at RIP is decoded (hypervisor/memory/
 * mmio_instruction.h), done on the APIC model, and RIP moves past it. An EPT
 * violation gives no instruction length, so the decoder's is used. */
ExitAction handle_local_apic_access(VmxVcpu& vcpu, uint64_t offset)
{
    uint64_t access_rights = vmcs_read(VmcsField::guest_cs_access_rights);
    bool long_mode = (vmcs_read(VmcsField::guest_efer) & EFER_LMA) && (access_rights & ACCESS_LONG_MODE);
    if (!long_mode && !(access_rights & ACCESS_DEFAULT_BIG))
        return stop(vcpu, "16-bit code accessed the local APIC at offset 0x%lx (not decoded)", offset);
    uint64_t rip = vmcs_read(VmcsField::guest_rip);
    uint64_t linear = long_mode ? rip : (vmcs_read(VmcsField::guest_cs_base) + rip) & 0xFFFFFFFF;
    mmio::Access access;
    guest_paging::PagedGuestMemory memory = vcpu.guest_address_space();
    mmio::DecodeError error =
        mmio::fetch_and_decode(memory, linear, long_mode ? mmio::CodeSize::bits64 : mmio::CodeSize::bits32, access);
    if (error != mmio::DecodeError::none) {
        vcpu.vm().end(VmRunState::failed, -1, "local APIC access at offset 0x%lx by the instruction at RIP 0x%lx: %s",
                      offset, rip, mmio::decode_error_text(error));
        return ExitAction::stop;
    }
    devices::LocalApic& apic = vcpu.vm().platform().local_apic();
    uint64_t now = clock::nanoseconds();
    if (access.write) {
        uint32_t value = access.immediate ? access.value : uint32_t(vcpu.read_gpr(access.reg));
        apic.write(uint32_t(offset), value, now);
        vcpu.devices_touched(); /* the timer may have been programmed */
    } else {
        /* A 32-bit load zero-extends into the 64-bit register. */
        vcpu.write_gpr(access.reg, apic.read(uint32_t(offset), now));
    }
    vcpu.advance_rip_by(access.length);
    return ExitAction::resume;
}

ExitAction handle_ept_violation(VmxVcpu& vcpu)
{
    uint64_t qualification = vmcs_read(VmcsField::exit_qualification);
    uint64_t address = vmcs_read(VmcsField::guest_physical_address);
    /* Fetches from the local APIC's page are not accesses to its registers. */
    if (vcpu.in_local_apic_page(address) && !(qualification & 4))
        return handle_local_apic_access(vcpu, address & 0xFFF);
    // SOLUTION BEGIN 7
    const char* access = qualification & 4 ? "instruction fetch" : qualification & 2 ? "write" : "read";
    vcpu.vm().end(VmRunState::failed, -1, "EPT violation: guest %s at guest-physical 0x%lx, outside its %lu MiB of RAM",
                  access, address, vcpu.vm().memory_bytes() >> 20);
    return ExitAction::stop;
    // SOLUTION STUB 7: return stop(vcpu, MILESTONE_NOT_DONE(7, "end the VM on an EPT violation, saying which access "
    // SOLUTION STUB 7:                                         "(exit qualification) at which guest-physical address"));
    // SOLUTION END 7
}

/* #UD: AMD's VMMCALL (0F 01 D9) is undefined on Intel; it is the same hypercall
 * as VMCALL, so that no guest depends on the vendor string (as KVM does). Any
 * other #UD goes back to the guest, as if nothing had intercepted it. The
 * instruction is read where the guest fetched it: CS base + RIP outside 64-bit
 * mode (SDM "Segment Registers"). */
ExitAction handle_invalid_opcode(VmxVcpu& vcpu)
{
    constexpr uint64_t ACCESS_RIGHTS_L = 1u << 13;
    uint64_t rip = vmcs_read(VmcsField::guest_rip);
    bool long_mode = (vmcs_read(VmcsField::guest_efer) & EFER_LMA) &&
                     (vmcs_read(VmcsField::guest_cs_access_rights) & ACCESS_RIGHTS_L);
    uint64_t linear = long_mode ? rip : (vmcs_read(VmcsField::guest_cs_base) + rip) & 0xFFFFFFFF;
    uint8_t bytes[3] = {};
    if (vcpu.read_guest_virtual(linear, bytes, sizeof(bytes)) && bytes[0] == 0x0F && bytes[1] == 0x01 &&
        bytes[2] == 0xD9) {
        /* Counted as a hypercall like VMCALL's (describe_exit sees only a #UD). */
        vcpu.note_hypercall(vcpu.registers().rax);
        return handle_vmcall(vcpu, 3);
    }
    vcpu.inject_exception(VECTOR_UD);
    return ExitAction::resume;
}

/* An exception-or-NMI exit (exit_interruption.h says which). A host NMI is
 * delivered to the host now, through its own IDT vector 2 with INT 2: the NMI
 * exit left NMIs blocked, as a delivered NMI would, and the handler's IRET
 * unblocks them, so the handler never nests on its IST stack. The guest was not
 * interrupted (its RIP and state are as they were), so it simply resumes.
 * The NMI never reached the guest, so without virtual NMIs the guest's
 * "blocking by NMI" must stay clear. A CPU may save it set (Bochs blocks the NMI
 * before it exits); left so, the next entry would block NMIs in the guest until
 * an IRET it may never execute, and every later host NMI would wait for the end
 * of the guest's slice. With virtual NMIs the bit is the guest's own
 * virtual-NMI blocking (its NMI handler runs) and stays. */
ExitAction handle_exception_or_nmi(VmxVcpu& vcpu)
{
    auto information = uint32_t(vmcs_read(VmcsField::exit_interruption_information));
    switch (decide_exception_or_nmi_exit(information)) {
    case ExceptionExitAction::pass_nmi_to_host: {
        uint32_t interruptibility = vmcs_read(VmcsField::guest_interruptibility_state);
        if ((interruptibility & BLOCKING_BY_NMI) && !vcpu.virtual_nmis())
            vmcs_write(VmcsField::guest_interruptibility_state, interruptibility & ~BLOCKING_BY_NMI);
        /* Logged at the 1st, 2nd, 4th ... only: an NMI source faster than a
         * log line (milliseconds on the polled UART) must not starve the guest. */
        uint64_t count = ++vcpu.vm().statistics().host_nmis;
        if ((count & (count - 1)) == 0)
            log(LogCategory::vmx, "vm%d: %lu host NMIs arrived while the guest ran; passed to the host, the guest goes on",
                vcpu.vm().id(), count);
        cpu::raise_nmi();
        return ExitAction::resume;
    }
    case ExceptionExitAction::emulate_invalid_opcode: return handle_invalid_opcode(vcpu);
    case ExceptionExitAction::end_vm_unexpected_exception:
        return stop(vcpu, "unexpected exception exit (interruption information 0x%lx): the exception bitmap is #UD only",
                    information);
    case ExceptionExitAction::end_vm_invalid_information: break;
    }
    return stop(vcpu, "exception-or-NMI exit without valid interruption information (0x%lx)", information);
}

ExitAction handle_entry_failure(VmxVcpu& vcpu, uint16_t reason)
{
    uint64_t qualification = vmcs_read(VmcsField::exit_qualification);
    dump_current_vmcs();
    const char* name = exit_reason_name(ExitReason(reason));
    vcpu.vm().end(VmRunState::failed, -1, "VM entry failed: %s (exit qualification %lu)", name ? name : "?", qualification);
    return ExitAction::stop;
}

} // namespace

/* CPUID for run()'s fast path (vmx_vcpu.cpp, handle_exit_on_fast_path, says
 * when it may): the handler touches no device, never sleeps and never ends
 * the VM. */
void VmxVcpu::answer_cpuid_on_fast_path() { handle_cpuid(*this); }

/* The local APIC's page (IA32_APIC_BASE), while the APIC is enabled. */
bool VmxVcpu::in_local_apic_page(uint64_t address)
{
    uint64_t apic_base = vm_.cpu().apic_base();
    bool apic_enabled = vm_.cpu().config().local_apic && (apic_base & cpu_model::APIC_BASE_ENABLE);
    uint64_t apic_page = apic_base & ~0xFFFull & ((1ull << 52) - 1);
    return apic_enabled && (address & ~0xFFFull) == apic_page;
}

ExitAction VmxVcpu::handle_exit_for_l1(uint16_t reason, guest_paging::GuestPhysicalMemory* l2_ram)
{
    exit_qualification_ = vmcs_read(VmcsField::exit_qualification);
    exit_rip_ = vmcs_read(VmcsField::guest_rip);
    walked_ram_ = l2_ram;
    string_io_refused_ = false;
    ExitAction action = handle_exit(reason, false);
    walked_ram_ = nullptr;
    return action;
}

ExitAction VmxVcpu::handle_local_apic_access_for_l1(uint64_t l1_physical, guest_paging::GuestPhysicalMemory& l2_ram)
{
    exit_rip_ = vmcs_read(VmcsField::guest_rip);
    walked_ram_ = &l2_ram;
    ExitAction action = handle_local_apic_access(*this, l1_physical & 0xFFF);
    walked_ram_ = nullptr;
    return action;
}

guest_paging::PagedGuestMemory VmxVcpu::guest_address_space()
{
    uint64_t pdptes[4] = {vmcs_read(VmcsField::guest_pdpte0), vmcs_read(VmcsField::guest_pdpte1),
                          vmcs_read(VmcsField::guest_pdpte2), vmcs_read(VmcsField::guest_pdpte3)};
    guest_paging::GuestPagingState paging{vmcs_read(VmcsField::guest_cr0), vmcs_read(VmcsField::guest_cr3),
                                          vmcs_read(VmcsField::guest_cr4), vmcs_read(VmcsField::guest_efer), pdptes};
    if (walked_ram_)
        return guest_paging::PagedGuestMemory(paging, *walked_ram_);
    return guest_paging::PagedGuestMemory(paging, vm_.memory());
}

unsigned VmxVcpu::guest_privilege_level()
{
    return unsigned(vmcs_read(VmcsField::guest_ss_access_rights) >> 5) & 3;
}

ExitAction VmxVcpu::handle_exit(uint16_t reason, bool entry_failure)
{
    if (entry_failure)
        return handle_entry_failure(*this, reason);

    switch (ExitReason(reason)) {
    case ExitReason::exception_or_nmi: return handle_exception_or_nmi(*this);
    case ExitReason::external_interrupt:
    case ExitReason::preemption_timer_expired:
    case ExitReason::interrupt_window: return ExitAction::resume; /* before_entry does the rest */
    case ExitReason::cpuid: return handle_cpuid(*this);
    case ExitReason::hlt: return handle_hlt(*this);
    case ExitReason::io_instruction: return handle_io(*this);
    case ExitReason::rdmsr: return handle_msr(*this, false);
    case ExitReason::wrmsr: return handle_msr(*this, true);
    case ExitReason::control_register_access: return handle_cr_access(*this);
    case ExitReason::vmcall: return handle_vmcall(*this);
    case ExitReason::ept_violation: return handle_ept_violation(*this);
    case ExitReason::ept_misconfiguration:
        return stop(*this, "EPT misconfiguration at guest-physical 0x%lx (a hypervisor bug)",
                    vmcs_read(VmcsField::guest_physical_address));
    case ExitReason::triple_fault:
        // SOLUTION BEGIN 5
        return stop(*this, "triple fault at guest RIP 0x%lx", vmcs_read(VmcsField::guest_rip));
        // SOLUTION STUB 5: return stop(*this, MILESTONE_NOT_DONE(5, "end the VM on a triple fault, saying where"));
        // SOLUTION END 5
    case ExitReason::invd:
        /* Caches are coherent with everything the guest can observe: nothing to do. */
        advance_rip();
        return ExitAction::resume;
    case ExitReason::xsetbv:
        /* Unreachable while CR4.OSXSAVE cannot be set (XSETBV raises #UD first);
         * if it comes, XCR0 cannot be changed here. */
        inject_exception(VECTOR_GP, true, 0);
        return ExitAction::resume;
    case ExitReason::vmclear:
    case ExitReason::vmlaunch:
    case ExitReason::vmptrld:
    case ExitReason::vmptrst:
    case ExitReason::vmread:
    case ExitReason::vmresume:
    case ExitReason::vmwrite:
    case ExitReason::vmxoff:
    case ExitReason::vmxon:
    case ExitReason::invept:
    case ExitReason::invvpid:
        /* Emulated for a VM offered VMX, #UD for the others (hypervisor/nested). */
        return nested::emulate_vmx_instruction(*this, ExitReason(reason));
    case ExitReason::vmfunc:
    case ExitReason::getsec:
    case ExitReason::mwait:
    case ExitReason::monitor:
        /* VM functions, SMX and MONITOR/MWAIT are not offered: the instruction
         * is undefined for this guest. */
        inject_exception(VECTOR_UD);
        return ExitAction::resume;
    default: {
        const char* name = exit_reason_name(ExitReason(reason));
        vm_.end(VmRunState::failed, -1, "unhandled VM exit %u (%s) at guest RIP 0x%lx", reason, name ? name : "unknown",
                vmcs_read(VmcsField::guest_rip));
        return ExitAction::stop;
    }
    }
}

} // namespace vmx
