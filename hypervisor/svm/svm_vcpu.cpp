/* The SVM vCPU's life: fill the VMCB, then VMRUN the guest and handle each
 * #VMEXIT until the VM ends. Read next to the AMD64 APM Vol. 2 (revision 3.42),
 * chapter "Secure Virtual Machine": "VMCB Layout", "Intercept Operation",
 * "Nested Paging", "TLB Control", "Interrupt and LDTR Virtualization" (V_IRQ,
 * V_INTR_MASKING) and "Event Injection" (EVENTINJ, EXITINTINFO). */
#include "hypervisor/svm/svm_vcpu.h"

#include "abi/errno.h"
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "hypervisor/svm/svm_constants.h"
#include "hypervisor/svm/asid_pool.h"
#include "hypervisor/svm/svm_support.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_report.h"
#include "lib/format.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "time/clock.h"
#include "time/timer.h"

#include <new>

namespace svm {

namespace {

constexpr uint64_t RFLAGS_IF = 1ull << 9;
constexpr uint8_t VECTOR_NMI = 2, VECTOR_UD = 6;
/* The longest the devices wait for the host to look again while the guest runs
 * without exits; a host timer interrupt ends every run (INTR intercept): the
 * host's tick, or the one-shot of slice_end_ while the tick is stopped. */
constexpr uint64_t MAX_SLICE_NS = 2 * clock::NS_PER_MS;
/* The PAT's power-on value (AMD64 APM Vol. 2, "PAT Register"). */
constexpr uint64_t PAT_DEFAULT = 0x0007040600070406ull;
constexpr uint16_t ATTRIBUTES_TSS32_BUSY = 0x8B;
constexpr uint16_t ATTRIBUTES_LDT = 0x82;
/* Control-register intercepts: reads in bits 15:0, writes in bits 31:16. */
constexpr uint32_t CR0_WRITE_INTERCEPT = 1u << 16, CR4_WRITE_INTERCEPT = 1u << 20, CR8_WRITE_INTERCEPT = 1u << 24;


} // namespace

AsidPool& asid_pool()
{
    static AsidPool pool;
    return pool;
}

SvmVcpu::~SvmVcpu()
{
    timer::cancel(slice_end_);
    release();
}

/* The ASID goes back to the pool; its stale translations are flushed by the next
 * VM that gets it (its first VMRUN, TlbControl). The nested tables and the VMCB
 * are ordinary pages again: no CPU caches them once no VMRUN names them. */
void SvmVcpu::release()
{
    npt_.destroy();
    if (asid_) {
        InterruptGuard guard;
        asid_pool().free(asid_);
        asid_ = 0;
    }
    if (vmcb_physical_)
        PageManager::instance().free_page(vmcb_physical_);
    vmcb_physical_ = 0;
    vmcb_ = nullptr;
}

NptPageAllocator::Page SvmVcpu::allocate_table()
{
    MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
    if (!page.ok())
        return {0, nullptr};
    return {page.value(), phys_to_virt<uint64_t>(page.value())};
}

uint64_t* SvmVcpu::table_at(uint64_t physical) { return phys_to_virt<uint64_t>(physical); }

void SvmVcpu::free_table(uint64_t physical) { PageManager::instance().free_page(physical); }

Result<void> SvmVcpu::setup_memory(Failure& why)
{
    if (npt_.create() != NptError::none)
        return why.set(ENOMEM, "out of host memory for the nested page tables");
    for (size_t i = 0; i < vm_.memory().run_count(); ++i) {
        const GuestMemory::Run& run = vm_.memory().runs()[i];
        NptError error = npt_.map(run.guest_physical, run.host_physical, run.length);
        if (error == NptError::out_of_memory)
            return why.set(ENOMEM, "out of host memory for the nested page tables");
        if (error != NptError::none)
            return why.set(EINVAL, "nested paging of guest RAM failed: %s", npt_error_text(error));
    }
    return {};
}

Result<void> SvmVcpu::prepare(const guest_loader::MultibootEntryState& entry, Failure& why)
{
    MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
    if (!page.ok())
        return why.set(ENOMEM, "out of host memory for the VMCB");
    vmcb_physical_ = page.value();
    vmcb_ = phys_to_virt<Vmcb>(vmcb_physical_);
    TRY(setup_memory(why));
    {
        InterruptGuard guard;
        asid_ = asid_pool().allocate(host_svm_capabilities().asid_count);
    }
    if (asid_ == AsidPool::NONE)
        return why.set(EAGAIN, "every ASID is in use by another VM");
    setup_controls();
    setup_guest_state(entry);
    return {};
}

/* The control area ("Intercept Operation"): everything that touches the host's
 * devices, CPU features the guest must not see, or a way to stop the host from
 * getting its CPU back, exits. */
void SvmVcpu::setup_controls()
{
    VmcbControl& c = vmcb_->control;
    /* #UD: VMCALL (Intel's hypercall instruction) raises it here and is emulated. */
    c.exception_intercepts = 1u << VECTOR_UD;
    c.intercepts3 = intercept_mask(Intercept3::intr, Intercept3::nmi, Intercept3::smi, Intercept3::init,
                                   Intercept3::cpuid, Intercept3::invd, Intercept3::hlt, Intercept3::invlpga,
                                   Intercept3::ioio_prot, Intercept3::msr_prot, Intercept3::shutdown,
                                   Intercept3::rsm);
    /* VMRUN must be intercepted or VMRUN fails ("Canonicalization and Consistency
     * Checks"); the other SVM instructions are not offered either. */
    c.intercepts4 = intercept_mask(Intercept4::vmrun, Intercept4::vmmcall, Intercept4::vmload, Intercept4::vmsave,
                                   Intercept4::stgi, Intercept4::clgi, Intercept4::skinit, Intercept4::monitor,
                                   Intercept4::mwait, Intercept4::mwait_conditional, Intercept4::xsetbv);
    /* Port 0x80 reaches the host's POST port unless vm_port80=exit said otherwise. */
    c.iopm_base = iopm_physical(!VirtualPlatform::exit_on_every_port());
    c.msrpm_base = msrpm_physical();
    /* CR0 and CR4 writes are checked here: QEMU's TCG lets a guest set CR0.PG
     * without PE or NW without CD, and CR4.VMXE, which hardware refuses with
     * #GP (and VMRUN then with invalid guest state). */
    c.cr_intercepts = CR0_WRITE_INTERCEPT | CR4_WRITE_INTERCEPT;
    c.guest_asid = asid_;
    /* The ASID may have tagged another VM's translations: flush them once. */
    flush_guest_tlb();
    /* Physical interrupts follow the host's IF, the guest's IF only virtual ones. */
    c.interrupt_control = vintr_bits::V_INTR_MASKING;
    c.nested_control = 1; /* NP_ENABLE */
    c.nested_cr3 = npt_.root_physical();
}

/* The machine state of the Multiboot specification ("Machine state"): 32-bit
 * protected mode, flat segments, paging off, EAX = magic, EBX = information.
 * With nested paging the guest's CR0, CR3 and CR4 are its own: no fixed bits. */
void SvmVcpu::setup_guest_state(const guest_loader::MultibootEntryState& entry)
{
    VmcbStateSave& s = vmcb_->save;
    auto segment = [](const guest_loader::SegmentState& state) {
        return VmcbSegment{state.selector, vmcb_attributes(state.attributes), state.limit, state.base};
    };
    s.cs = segment(entry.cs);
    s.ds = segment(entry.ds);
    s.es = segment(entry.es);
    s.fs = segment(entry.fs);
    s.gs = segment(entry.gs);
    s.ss = segment(entry.ss);
    /* No LDT yet; TR a busy 32-bit TSS, as VMLOAD loads it before the guest has one. */
    s.ldtr = {0, ATTRIBUTES_LDT, 0, 0};
    s.tr = {0, ATTRIBUTES_TSS32_BUSY, 0xFFFF, 0};
    s.gdtr = {0, 0, entry.gdtr_limit, entry.gdtr_base};
    s.idtr = {0, 0, entry.idtr_limit, entry.idtr_base};
    s.cpl = 0;
    /* EFER.SVME must be 1 in the guest's EFER, or VMRUN fails; the guest reads
     * its EFER through the MSR intercept, which hides SVME. */
    s.efer = EFER_SVME;
    s.cr0 = entry.cr0;
    s.cr3 = 0;
    s.cr4 = entry.cr4;
    s.dr6 = 0xFFFF0FF0;
    s.dr7 = 0x400;
    s.rflags = entry.eflags | 0x2;
    s.rip = entry.eip;
    s.rsp = entry.esp;
    s.rax = entry.eax;
    s.g_pat = PAT_DEFAULT;
    registers_ = {};
    registers_.rbx = entry.ebx;
}

uint64_t SvmVcpu::read_gpr(unsigned number)
{
    const uint64_t* registers[16] = {nullptr,         &registers_.rcx, &registers_.rdx, &registers_.rbx,
                                     nullptr,         &registers_.rbp, &registers_.rsi, &registers_.rdi,
                                     &registers_.r8,  &registers_.r9,  &registers_.r10, &registers_.r11,
                                     &registers_.r12, &registers_.r13, &registers_.r14, &registers_.r15};
    number &= 15;
    if (number == 0)
        return vmcb_->save.rax;
    if (number == 4)
        return vmcb_->save.rsp;
    return *registers[number];
}

void SvmVcpu::write_gpr(unsigned number, uint64_t value)
{
    uint64_t* registers[16] = {&vmcb_->save.rax, &registers_.rcx, &registers_.rdx, &registers_.rbx,
                               &vmcb_->save.rsp, &registers_.rbp, &registers_.rsi, &registers_.rdi,
                               &registers_.r8,   &registers_.r9,  &registers_.r10, &registers_.r11,
                               &registers_.r12,  &registers_.r13, &registers_.r14, &registers_.r15};
    *registers[number & 15] = value;
}

void SvmVcpu::flush_guest_tlb()
{
    vmcb_->control.tlb_control = uint8_t(host_svm_capabilities().has(feature::FLUSH_BY_ASID) ? TlbControl::flush_this_asid
                                                                                           : TlbControl::flush_all);
}

void SvmVcpu::advance_rip(unsigned length)
{
    uint64_t next = host_svm_capabilities().has(feature::NRIP_SAVE) && vmcb_->control.next_rip
                        ? vmcb_->control.next_rip
                        : vmcb_->save.rip + length;
    set_rip(next);
}

void SvmVcpu::inject_exception(uint8_t vector, bool has_error_code, uint32_t error_code)
{
    vmcb_->control.event_injection = event_injection(EventType::exception, vector, has_error_code, error_code);
}

guest_paging::PagedGuestMemory SvmVcpu::guest_address_space()
{
    const VmcbStateSave& s = vmcb_->save;
    guest_paging::GuestPagingState paging{s.cr0, s.cr3, s.cr4, s.efer & ~EFER_SVME, nullptr};
    return guest_paging::PagedGuestMemory(paging, vm_.memory());
}

/* V_IRQ with the VINTR intercept: the CPU exits as soon as the guest could take
 * a virtual interrupt (IF = 1, no interrupt shadow), which is the interrupt
 * window ("Virtual Interrupt Intercept"); V_IGN_TPR makes the priority moot.
 * While the window is asked for, MOV to CR8 exits too (handle_cr_write): QEMU
 * 7.2's TCG re-evaluates V_IRQ on a guest CR8 write without holding its global
 * lock and aborts on its own assertion ("tcg_handle_interrupt: assertion
 * failed"); emulated, the write never reaches that path. Hardware needs no such
 * care, and CR8 writes with the window closed still run at full speed. */
void SvmVcpu::request_interrupt_window(bool on)
{
    VmcbControl& c = vmcb_->control;
    constexpr uint64_t WINDOW = vintr_bits::V_IRQ | vintr_bits::V_IGN_TPR | (0xFull << vintr_bits::V_INTR_PRIO_SHIFT);
    if (on) {
        c.interrupt_control |= WINDOW;
        c.intercepts3 |= uint32_t(Intercept3::vintr);
        c.cr_intercepts |= CR8_WRITE_INTERCEPT;
    } else {
        c.interrupt_control &= ~WINDOW;
        c.intercepts3 &= ~uint32_t(Intercept3::vintr);
        c.cr_intercepts &= ~CR8_WRITE_INTERCEPT;
    }
}

/* Before each VMRUN: devices catch up with time when an event was due, and a
 * pending virtual interrupt is injected when the guest can take it, else an
 * interrupt window is asked for. */
void SvmVcpu::before_entry()
{
    VirtualPlatform& platform = vm_.platform();
    uint64_t now_tsc = cpu::rdtsc();
    if (devices_due_ || now_tsc >= next_event_tsc_) {
        uint64_t now = clock::nanoseconds();
        platform.update(now);
        uint64_t next_event = platform.next_event_ns(now);
        uint64_t slice = MAX_SLICE_NS;
        if (next_event != devices::Pit8254::NO_DEADLINE)
            slice = next_event <= now ? 0 : (next_event - now < slice ? next_event - now : slice);
        next_event_tsc_ = now_tsc + clock::tsc_hz() * slice / 1000000000ull;
        timer::arm(slice_end_, now + slice);
        devices_due_ = false;
    }
    VmcbControl& c = vmcb_->control;
    inject_nmi_when_open();
    /* The local APIC's vector above its priority, else the 8259's through LINT0. */
    bool pending = platform.has_pending_interrupt();
    if (pending && !(c.event_injection & event_bits::VALID)) {
        bool can_take = (vmcb_->save.rflags & RFLAGS_IF) && !(c.interrupt_shadow & 1);
        if (can_take) {
            uint8_t vector = platform.acknowledge_interrupt();
            c.event_injection = event_injection(EventType::external_interrupt, vector);
            ++vm_.statistics().interrupts_injected;
            pending = false;
        }
    }
    request_interrupt_window(pending);
    /* The guest's CR8 is V_TPR (V_INTR_MASKING): the APIC's TPR class, whoever
     * wrote it last (CR8, or the TPR register through the APIC page). */
    tpr_shown_ = uint8_t(platform.local_apic().task_priority() >> 4);
    c.interrupt_control = (c.interrupt_control & ~vintr_bits::V_TPR_MASK) | tpr_shown_;
}

/* An NMI from the local APIC (LINT1 in NMI mode, a self-NMI) goes in by EVENTINJ
 * before any interrupt, when no other event is being injected, the guest is in
 * no interrupt shadow (an NMI right after MOV SS would run on a half-switched
 * stack) and no NMI handler of the guest still runs (nmi_blocking.h). Otherwise
 * it waits for a later entry: every exit, and at the latest the end of each
 * slice (MAX_SLICE_NS, a host tick), looks again. While a handler runs, IRET is
 * intercepted to see it end. */
void SvmVcpu::inject_nmi_when_open()
{
    VmcbControl& c = vmcb_->control;
    if (vm_.platform().local_apic().take_nmi())
        nmi_waiting_ = true;
    bool blocked = nmi_blocking_.blocked(vmcb_->save.rip);
    if (nmi_waiting_ && !blocked && !(c.event_injection & event_bits::VALID) && !(c.interrupt_shadow & 1)) {
        c.event_injection = event_injection(EventType::nmi, VECTOR_NMI);
        nmi_blocking_.nmi_injected();
        nmi_waiting_ = false;
    }
    if (nmi_blocking_.wants_iret_intercept())
        c.intercepts3 |= uint32_t(Intercept3::iret);
    else
        c.intercepts3 &= ~uint32_t(Intercept3::iret);
}

/* After an exit: a V_TPR other than the one the entry showed is the guest's
 * MOV to CR8, which sets TPR[7:4] and clears TPR[3:0] (Intel SDM "Interaction of
 * Task Priorities between CR8 and APIC"; AMD64 APM Vol. 2 "CR8 (Task Priority
 * Register, TPR)"). CR8 writes do not exit: one that lowers the priority below
 * an interrupt the APIC holds back is seen at the guest's next exit (at the
 * latest a host tick later). */
void SvmVcpu::take_guest_tpr()
{
    auto tpr_class = uint8_t(vmcb_->control.interrupt_control & vintr_bits::V_TPR_MASK);
    if (tpr_class != tpr_shown_)
        write_task_priority(tpr_class);
}

void SvmVcpu::write_task_priority(uint8_t tpr_class)
{
    vm_.platform().local_apic().write(devices::LocalApic::tpr, uint32_t(tpr_class & 0xF) << 4, clock::nanoseconds());
    VmcbControl& c = vmcb_->control;
    c.interrupt_control = (c.interrupt_control & ~vintr_bits::V_TPR_MASK) | (tpr_class & 0xF);
    tpr_shown_ = tpr_class & 0xF;
}

/* An event whose delivery the #VMEXIT cut short (a nested page fault on the
 * guest's IDT or stack, an intercepted interrupt meanwhile) is in EXITINTINFO;
 * injecting it again completes the delivery ("Event Injection"). A software
 * interrupt (INTn) is not re-injected: RIP still points at the instruction,
 * which runs again. */
void SvmVcpu::reinject_interrupted_event()
{
    uint64_t info = vmcb_->control.exit_interrupt_info;
    if (!(info & event_bits::VALID))
        return;
    vmcb_->control.exit_interrupt_info = 0;
    if (EventType((info & event_bits::TYPE_MASK) >> event_bits::TYPE_SHIFT) == EventType::software_interrupt)
        return;
    vmcb_->control.event_injection = info;
    ++vm_.statistics().events_reinjected;
}

/* What the exit statistics and the trace keep: the reason is the exit code's
 * slot in svm_data.py, as the statistics count 80 reasons per VM. */
ExitEvent SvmVcpu::describe_exit(uint64_t exit_tsc)
{
    const VmcbControl& c = vmcb_->control;
    ExitEvent event;
    event.reason = exit_code_slot(c.exit_code);
    event.entry_failure = c.exit_code == uint64_t(ExitCode::invalid);
    event.qualification = c.exit_info1;
    event.guest_rip = vmcb_->save.rip;
    event.exit_tsc = exit_tsc;
    if (c.exit_code == uint64_t(ExitCode::ioio)) {
        event.port = uint32_t(c.exit_info1 >> ioio_bits::PORT_SHIFT) & 0xFFFF;
        event.port_in = c.exit_info1 & ioio_bits::TYPE_IN;
    }
    return event;
}

/* The fast path, the twin of VMX's (vmx_vcpu.cpp, handle_exit_on_fast_path):
 * CPUID, the null hypercall and the PIC's EOI need neither the devices nor the scheduler, so
 * they are answered here and the guest entered again without the loop's
 * before_entry() and STI. Sound only while before_entry() would change
 * nothing: no device event due (the TSC is before next_event_tsc_, no port was
 * written), no NMI waiting, no interrupt window asked for, nothing to re-inject (CPUID and
 * VMMCALL exit when they execute, never during event delivery; so does an OUT
 * to a PIC command port, which the exit's EXITINTINFO check above confirms). A host
 * interrupt that arrives meanwhile is held (IF = 0) and makes the next VMRUN
 * exit at once (INTR intercept), which takes the full loop. */
bool SvmVcpu::handle_exit_on_fast_path(uint64_t& entered, uint64_t exited)
{
    VmcbControl& c = vmcb_->control;
    if (devices_due_ || nmi_waiting_ || exited >= next_event_tsc_ || (c.intercepts3 & uint32_t(Intercept3::vintr)) ||
        (c.exit_interrupt_info & event_bits::VALID))
        return false;
    bool ping = c.exit_code == uint64_t(ExitCode::vmmcall) && vmcb_->save.rax == HYPERCALL_PING;
    /* OUT AL to a PIC command port (the guest's EOI after each timer
     * interrupt): EXITINFO1 bits 2 STRING, 3 REP, 0 IN clear, SZ8 alone. */
    auto port = uint16_t(c.exit_info1 >> ioio_bits::PORT_SHIFT);
    bool pic_command = c.exit_code == uint64_t(ExitCode::ioio) &&
                       (c.exit_info1 & 0x7F) == (1ull << ioio_bits::SIZE_SHIFT) &&
                       (port == devices::Pic8259Pair::MASTER_COMMAND || port == devices::Pic8259Pair::SLAVE_COMMAND) &&
                       !vm_.platform().pit().backlog();
    if (c.exit_code != uint64_t(ExitCode::cpuid) && !ping && !pic_command)
        return false;
    ExitEvent event;
    event.reason = exit_code_slot(c.exit_code);
    event.guest_rip = vmcb_->save.rip;
    event.exit_tsc = exited;
    event.guest_cycles = exited - entered;
    if (ping)
        event.hypercall = HYPERCALL_PING;
    if (pic_command) {
        /* The PIC model's own write, as handle_io does it, without the device
         * update it forces: an EOI or OCW3 moves no deadline (with a PIT
         * backlog the full path goes, to let the held period out). An
         * interrupt the write unblocked is injected, or a window asked for,
         * by before_entry(), which changes nothing else here. */
        event.port = port;
        ++vm_.statistics().port_writes;
        vm_.platform().pic().write(port, 1, uint32_t(vmcb_->save.rax & 0xFF), 0);
        set_rip(c.exit_info2);
        /* The guest's CR8 writes since the entry first (the full loop's order). */
        take_guest_tpr();
        if (vm_.platform().has_pending_interrupt())
            before_entry();
    } else {
        (void)handle_exit(c.exit_code); /* neither handler can end the VM */
    }
    entered = cpu::rdtsc();
    event.handler_cycles = entered - exited;
    /* vm_stats=off, vm_trace=off (vm_report.h): nothing recorded. */
    if (vm_report::keeps_statistics()) {
        ExitStatistics& statistics = vm_.statistics();
        ++statistics.fast_exits;
        statistics.record(event);
    }
    if (vm_report::keeps_trace())
        vm_.trace().push(event);
    return true;
}

void SvmVcpu::run()
{
    vm_.set_running();
    while (!vm_.ended()) {
        if (vm_.stop_requested()) {
            vm_.end(VmRunState::stopped, 0, "stopped by the host");
            break;
        }
        cpu::cli();
        /* Alone on the CPU, the VM thread needs no host tick (VmxVcpu::run). */
        Scheduler::instance().stop_tick_if_alone();
        uint64_t preparing = cpu::rdtsc();
        before_entry();
        uint64_t entered = cpu::rdtsc();
        /* Taken now: a fast-path exit moves `entered` on, its own preparation
         * being part of its handler's cycles. */
        uint64_t entry_cycles = entered - preparing;
        uint64_t exited;
        /* Exits answered on the fast path go straight back into the guest. */
        for (;;) {
            svm_enter_guest(&registers_, vmcb_physical_, host_vmsave_area_physical());
            exited = cpu::rdtsc();
            /* VMEXIT_INVALID is -1 in the 64-bit EXITCODE; QEMU writes it as a
             * 32-bit -1. Either way it is the same failed VMRUN. */
            if (vmcb_->control.exit_code == 0xFFFFFFFF)
                vmcb_->control.exit_code = uint64_t(ExitCode::invalid);
            /* Translations of this ASID are current from now on. */
            vmcb_->control.tlb_control = uint8_t(TlbControl::nothing);
            /* EVENTINJ was consumed by this VMRUN (or is in EXITINTINFO now). */
            vmcb_->control.event_injection = 0;
            if (!handle_exit_on_fast_path(entered, exited))
                break;
        }
        ExitEvent event = describe_exit(exited);
        event.entry_cycles = entry_cycles;
        event.guest_cycles = exited - entered;
        take_guest_tpr();
        reinject_interrupted_event();
        uint64_t halted = vm_.statistics().halted_cycles;
        hypercall_ = ExitEvent::NO_HYPERCALL;
        ExitAction action = handle_exit(vmcb_->control.exit_code);
        event.hypercall = hypercall_;
        event.handler_cycles = cpu::rdtsc() - exited - (vm_.statistics().halted_cycles - halted);
        if (vm_report::keeps_statistics())
            vm_.statistics().record(event);
        if (vm_report::keeps_trace())
            vm_.trace().push(event);
        /* A host interrupt behind an INTR intercept is still pending: the host
         * takes it now, and its end may reschedule. */
        cpu::sti();
        if (action == ExitAction::stop)
            break;
    }
    /* The queue must not keep a deadline of a vCPU that goes away. */
    timer::cancel(slice_end_);
}

} // namespace svm
