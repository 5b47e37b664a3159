/* One SVM virtual CPU: its VMCB, nested page tables and ASID, its general
 * registers, and the loop that enters the guest with VMRUN and handles each
 * #VMEXIT. The VMCB is filled in svm_vcpu.cpp (controls, then guest state), the
 * exits are handled in exit_handlers.cpp. The AMD twin of vmx::VmxVcpu. */
#pragma once
#include "hypervisor/svm/nmi_blocking.h"
#include "hypervisor/svm/npt.h"
#include "hypervisor/svm/vmcb.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/exit_statistics.h"
#include "hypervisor/vmx/guest_registers.h"
#include "time/deadline_queue.h"
#include "hypervisor/memory/guest_page_walk.h"
#include "hypervisor/memory/guest_virtual_memory.h"

extern "C" void svm_enter_guest(GuestRegisters* registers, uint64_t vmcb, uint64_t host_vmsave_area);

namespace svm {

enum class ExitAction { resume, stop };

class SvmVcpu final : public Vcpu, private NptPageAllocator {
public:
    explicit SvmVcpu(Vm& vm) : vm_(vm), npt_(*this) {}
    ~SvmVcpu() override;

    [[nodiscard]] Result<void> prepare(const guest_loader::MultibootEntryState& entry, Failure& why) override;
    void run() override;

    /* For the exit handlers. */
    Vm& vm() { return vm_; }
    Vmcb& vmcb() { return *vmcb_; }
    GuestRegisters& registers() { return registers_; }
    /* General registers by their encoding (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
     * 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15); RAX and RSP live in the VMCB. */
    uint64_t read_gpr(unsigned number);
    void write_gpr(unsigned number, uint64_t value);
    /* The next VMRUN flushes this guest's TLB entries (after an emulated write
     * that changes the guest's paging, "TLB Control"). */
    void flush_guest_tlb();
    /* Completes an emulated instruction of `length` bytes (QEMU's SVM saves no
     * next RIP and decodes nothing, so each handler knows its instruction's
     * length), or moves to the saved next RIP where the CPU has NRIP save. An
     * interrupt shadow (STI, MOV SS) ends with any completed instruction. */
    void advance_rip(unsigned length);
    void set_rip(uint64_t rip)
    {
        vmcb_->save.rip = rip;
        vmcb_->control.interrupt_shadow &= ~1ull;
    }
    void inject_exception(uint8_t vector, bool has_error_code = false, uint32_t error_code = 0);
    /* The guest's CR8 (TPR[7:4]) becomes `tpr_class`, in its local APIC and in
     * V_TPR: a CR8 write by the guest, seen after the exit or intercepted. */
    void write_task_priority(uint8_t tpr_class);
    /* The guest's address space as it is now (its paging registers from the VMCB). */
    guest_paging::PagedGuestMemory guest_address_space();
    unsigned guest_privilege_level() const { return vmcb_->save.cpl & 3; }
    [[nodiscard]] bool read_guest_virtual(uint64_t address, void* out, size_t length)
    {
        return guest_address_space().read(address, out, length);
    }
    [[nodiscard]] bool write_guest_virtual(uint64_t address, const void* bytes, size_t length)
    {
        return guest_address_space().write(address, bytes, length);
    }
    /* A port write may reprogram a timer: the next entry brings the devices up to date. */
    void devices_touched() { devices_due_ = true; }
    /* The guest is about to execute an IRET (its intercept): the end of an NMI
     * handler opens NMIs once it completed (nmi_blocking.h). */
    void iret_intercepted() { nmi_blocking_.iret_intercepted(vmcb_->save.rip); }
    /* The exit being handled is the hypercall `number` (by VMMCALL or VMCALL). */
    void note_hypercall(uint64_t number) { hypercall_ = number; }
    const NestedPageTables& npt() const { return npt_; }
    uint16_t asid() const { return asid_; }

private:
    [[nodiscard]] Result<void> setup_memory(Failure& why);
    void setup_controls();
    void setup_guest_state(const guest_loader::MultibootEntryState& entry);

    void before_entry();
    void request_interrupt_window(bool on);
    void inject_nmi_when_open();
    void take_guest_tpr();
    ExitEvent describe_exit(uint64_t exit_tsc);
    void reinject_interrupted_event();
    bool handle_exit_on_fast_path(uint64_t& entered, uint64_t exited);
    /* exit_handlers.cpp */
    ExitAction handle_exit(uint64_t code);
    void release();

    /* NptPageAllocator, on the PageManager. */
    Page allocate_table() override;
    uint64_t* table_at(uint64_t physical) override;
    void free_table(uint64_t physical) override;

    Vm& vm_;
    NestedPageTables npt_;
    Vmcb* vmcb_ = nullptr;
    uint64_t vmcb_physical_ = 0;
    GuestRegisters registers_ = {};
    uint16_t asid_ = 0;
    bool devices_due_ = true;
    uint64_t next_event_tsc_ = 0;
    /* SVM has no preemption timer: a host timer interrupt ends the guest's run
     * (INTR intercept). With the host's tick stopped while this VM thread runs
     * alone (Scheduler::stop_tick_if_alone), this deadline at the slice's end
     * (the next device event) makes the timer core's one-shot interrupt come
     * then; it needs no fire function, the interrupt is the point. */
    timer::Deadline slice_end_;
    uint64_t hypercall_ = ExitEvent::NO_HYPERCALL;
    /* An NMI from the local APIC waits for an entry that may inject it. */
    bool nmi_waiting_ = false;
    NmiBlocking nmi_blocking_;
    /* The TPR class (TPR[7:4]) the last entry put in V_TPR: a different V_TPR
     * after an exit is a CR8 write by the guest. */
    uint8_t tpr_shown_ = 0;
};

} // namespace svm
