/* One VMX virtual CPU: its VMCS, EPT, MSR and I/O bitmaps, its syscall MSRs,
 * its general registers, and the loop that enters the guest and handles each VM
 * exit. The VMCS is set up in vmcs_setup.cpp (split by SDM area), the exits are
 * handled in exit_handlers.cpp. */
#pragma once
#include "abi/hypercall.h"
#include "arch/x86_64/msr.h"
#include "arch/x86_64/syscall_msrs.h"
#include "hypervisor/cpu_model/cpu_model.h"
#include "hypervisor/hypercall/hypercall.h"
#include "hypervisor/nested/vmcs12.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/exit_statistics.h"
#include "hypervisor/vm/string_io.h"
#include "hypervisor/vmx/ept.h"
#include "hypervisor/vmx/guest_registers.h"
#include "hypervisor/vmx/vmcs.h"
#include "hypervisor/vmx/vmx_controls.h"

namespace vmx {

/* Guest interruptibility state: blocking by STI (bit 0) and by MOV SS (bit 1),
 * blocking by NMI (bit 3). */
constexpr uint32_t BLOCKING_BY_STI_OR_MOV_SS = 0x3;
constexpr uint32_t BLOCKING_BY_NMI = 1u << 3;

/* What an exit handler tells the loop. */
enum class ExitAction { resume, stop };

class VmxVcpu final : public Vcpu, private EptPageAllocator {
public:
    explicit VmxVcpu(Vm& vm) : vm_(vm), ept_(*this) {}
    ~VmxVcpu() override;

    [[nodiscard]] Result<void> prepare(const guest_loader::MultibootEntryState& entry, Failure& why) override;
    void run() override;

    /* Test hook: the next VM to enter for the first time gets guest RFLAGS 0 (bit 1
     * must be 1, SDM "Checks on Guest RIP, RFLAGS, and SSP"), so that its VMLAUNCH
     * fails its guest-state checks and the failure must be reported by name. */
    static void break_next_first_entry_for_test() { break_next_first_entry_ = true; }

    /* For the exit handlers. */
    Vm& vm() { return vm_; }
    GuestRegisters& registers() { return registers_; }
    /* General registers by the SDM's encoding (0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
     * 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15); RSP lives in the VMCS. */
    uint64_t read_gpr(unsigned number);
    void write_gpr(unsigned number, uint64_t value);
    /* Completes an emulated instruction: RIP moves past it (the exit's
     * instruction length), and an STI or MOV SS right before it no longer
     * blocks interrupts, as after any completed instruction (SDM
     * "Interruptibility State"). Inline: every fast-path exit does this. */
    void advance_rip() { advance_rip_by(vmcs_read(VmcsField::exit_instruction_length)); }
    /* The same for an instruction whose length the exit does not give (an EPT
     * violation's: the MMIO decoder measured it). */
    void advance_rip_by(uint64_t length)
    {
        vmcs_write(VmcsField::guest_rip, exit_rip_ + length);
        uint32_t interruptibility = vmcs_read(VmcsField::guest_interruptibility_state);
        if (interruptibility & BLOCKING_BY_STI_OR_MOV_SS)
            vmcs_write(VmcsField::guest_interruptibility_state, interruptibility & ~BLOCKING_BY_STI_OR_MOV_SS);
    }
    /* The null hypercall's answer (abi/hypercall.h, HYPERCALL_PING): the ABI
     * version in RAX, RBX + 1. Inline: the run loop's fast path gives it too. */
    void answer_ping()
    {
        registers_.rax = HYPERCALL_ABI_VERSION;
        registers_.rbx += 1;
    }
    /* The exit being handled, as describe_exit() read it once. */
    uint64_t exit_qualification() const { return exit_qualification_; }
    bool virtual_nmis() const { return virtual_nmis_; }
    /* The exit being handled is the hypercall `number` although its exit reason
     * is not VMCALL (a VMMCALL emulated from its #UD): the statistics count it. */
    void note_hypercall(uint64_t number) { hypercall_ = number; }
    /* A port write may reprogram a timer: the next entry re-reads the deadlines. */
    void devices_touched() { next_event_tsc_ = 0; }
    void inject_exception(uint8_t vector, bool has_error_code = false, uint32_t error_code = 0);
    const EptHierarchy& ept() const { return ept_; }
    /* The guest's address space as it is now: its paging registers (and PAE's
     * PDPTEs) read from the VMCS, which must be current, over its RAM. The copy
     * stays valid while the guest does not run. */
    guest_paging::PagedGuestMemory guest_address_space();
    /* The guest's CPL: SS.DPL (SDM "Guest Register State"). */
    unsigned guest_privilege_level();
    [[nodiscard]] bool read_guest_virtual(uint64_t address, void* out, size_t length)
    {
        return guest_address_space().read(address, out, length);
    }
    [[nodiscard]] bool write_guest_virtual(uint64_t address, const void* bytes, size_t length)
    {
        return guest_address_space().write(address, bytes, length);
    }
    /* Asks for an interrupt-window exit (or stops asking). */
    void set_interrupt_window_exiting(bool on);

    /* Guest MSRs the backend keeps (cpu_model::MsrBackend, exit_handlers.cpp).
     * The TSC: the guest reads host TSC + offset, through "use TSC offsetting"
     * where the CPU has it (else a guest write is dropped: FIXME). PAT: per VM,
     * loaded on entry by "load IA32_PAT" where the CPU has it (else kept for
     * the guest to read back, while the host's PAT stays in force). */
    uint64_t tsc_offset() const { return tsc_offset_; }
    void set_guest_tsc(uint64_t value);
    uint64_t guest_pat() const { return guest_pat_; }
    void set_guest_pat(uint64_t value);
    /* The swapped MSRs: the five syscall MSRs (syscall_msrs::MSRS), which the
     * guest reads and writes without exits (the MSR bitmap passes them
     * through). Their guest values are switched with the host's lazily
     * (arch/x86_64/syscall_msrs.h), not by VM-entry and VM-exit MSR areas:
     * loaded before the first entry after the host's were in place, kept in
     * the CPU across exits while the VM thread runs, the host's back at a
     * thread switch and when run() returns.
     * The guest's value of `msr` if it is one of them (from the CPU while
     * they are loaded): whether it is. */
    [[nodiscard]] bool read_swapped_msr(Msr msr, uint64_t& value);
    /* Sets the guest's value of `msr` if it is one of them: whether it is. */
    [[nodiscard]] bool write_swapped_msr(Msr msr, uint64_t value);
    /* Loads the guest's swapped MSRs unless they are in the CPU already: before
     * every VM entry, interrupts off from here to the entry (run() and
     * hypervisor/nested's slice of L2, which shares them with L1). */
    void load_swapped_msrs() { syscall_msrs::load_guest(swapped_msrs_); }
    /* The guest's own VMX state when it is a hypervisor too (hypervisor/nested). */
    nested::NestedState& nested_state() { return nested_; }
    /* For hypervisor/nested: back to VMCS01 after work on VMCS02, and ending the
     * VM with a sentence from an L2 exit. */
    void make_vmcs01_current() { vmcs_.make_current(); }
    ExitAction stop_vm(const char* format, uint64_t a = 0, uint64_t b = 0);
    /* For hypervisor/nested: an exit of L2 that L1 let through (port I/O, an MSR,
     * CR8), handled by this backend's own handlers on the current VMCS (VMCS02)
     * as if L1 had executed the instruction: L1's devices, CPU model and APIC. */
    /* `l2_ram`: L2's guest-physical memory through L1's EPT, which the string
     * I/O walk reads under L2's paging instead of L1's RAM (nullptr: L1's RAM). */
    ExitAction handle_exit_for_l1(uint16_t reason, guest_paging::GuestPhysicalMemory* l2_ram = nullptr);
    /* After handle_exit_for_l1 with `l2_ram`: the string I/O element whose
     * memory L2's paging or L1's EPT refused (the VM goes on; nested decides
     * what L1 gets), nullptr when none was. */
    struct StringIoRefusal {
        StringIoFault element;
        guest_paging::PageWalkFault walk; /* page_outside_ram: the data, table_outside_ram: a paging entry */
    };
    const StringIoRefusal* string_io_refusal() const { return string_io_refused_ ? &string_io_refusal_ : nullptr; }
    /* For handle_string_io: where a refused element goes (nullptr: it ends the VM). */
    StringIoFault* string_io_fault_sink() { return walked_ram_ ? &string_io_refusal_.element : nullptr; }
    void string_io_refused(guest_paging::PageWalkFault walk)
    {
        string_io_refusal_.walk = walk;
        string_io_refused_ = true;
    }
    /* For hypervisor/nested: whether `l1_physical` lies in L1's local APIC page
     * (enabled), and L2's access to it (L1's EPT maps L2's page there): the MOV
     * at L2's RIP read through L2's paging over `l2_ram`, done on L1's APIC. */
    bool in_local_apic_page(uint64_t l1_physical);
    ExitAction handle_local_apic_access_for_l1(uint64_t l1_physical, guest_paging::GuestPhysicalMemory& l2_ram);

private:
    static inline bool break_next_first_entry_ = false;

    /* vmcs_setup.cpp, one function per SDM area ("VM-Execution Control Fields",
     * "VM-Exit Control Fields", "VM-Entry Control Fields", "Host-State Area",
     * "Guest-State Area"). */
    [[nodiscard]] Result<void> setup_controls(Failure& why);
    void setup_io_bitmaps();
    void setup_host_state();
    void setup_guest_state(const guest_loader::MultibootEntryState& entry);
    [[nodiscard]] Result<void> setup_memory(Failure& why);

    void before_entry();
    ExitEvent describe_exit(uint64_t exit_tsc);
    void reinject_interrupted_event();
    ExitAction handle_exit(uint16_t reason, bool entry_failure);
    bool handle_exit_on_fast_path(uint64_t& entered, uint64_t exited);
    void account_fast_exit(ExitReason reason, uint64_t hypercall, uint64_t& entered, uint64_t exited,
                           uint32_t port = ExitEvent::NO_PORT);
    bool write_pic_command_on_fast_path();
    bool prepare_entry_on_fast_path(uint64_t& entered, uint64_t exited);
    /* exit_handlers.cpp: CPUID answered for the fast path (exit_rip_ read). */
    void answer_cpuid_on_fast_path();
    void report_failed_entry(int status);
    void release();

    /* EptPageAllocator, on the PageManager. */
    Page allocate_table() override;
    uint64_t* table_at(uint64_t physical) override;
    void free_table(uint64_t physical) override;

    Vm& vm_;
    Vmcs vmcs_;
    EptHierarchy ept_;
    GuestRegisters registers_ = {};
    uint64_t msr_bitmap_ = 0;    /* physical page */
    uint64_t io_bitmap_a_ = 0;   /* physical pages: ports 0-0x7FFF, 0x8000-0xFFFF */
    uint64_t io_bitmap_b_ = 0;
    /* The guest's swapped MSRs while they are not in the CPU. */
    syscall_msrs::GuestValues swapped_msrs_;
    uint16_t vpid_ = 0;
    uint64_t cr0_mask_ = 0, cr4_mask_ = 0;
    uint32_t primary_controls_ = 0;
    uint64_t preemption_timer_shift_ = 0;
    bool saves_preemption_timer_ = false;
    /* An NMI from the local APIC waits for an entry that may inject it. */
    bool nmi_waiting_ = false;
    /* "Blocking by NMI" is the guest's virtual-NMI blocking (setup_controls). */
    bool virtual_nmis_ = false;
    bool offsets_tsc_ = false;
    bool loads_pat_ = false;
    uint64_t tsc_offset_ = 0;
    uint64_t guest_pat_ = cpu_model::PAT_POWER_ON;
    uint64_t next_event_tsc_ = 0; /* before_entry brings the devices up to date from here on */
    /* The run loop's fast path may answer exits until this TSC: next_event_tsc_,
     * or 0 when the last before_entry() left work for the next one (an interrupt
     * window asked for, an NMI waiting) or the CPU does not keep the
     * preemption timer counting across exits. */
    uint64_t fast_path_until_tsc_ = 0;
    /* vm_stats=off, vm_trace=off (vm_report.h): read once when run() starts. */
    bool keeps_statistics_ = true;
    bool keeps_trace_ = true;
    uint64_t host_cr3_ = 0;       /* what HOST_CR3 holds */
    uint64_t exit_qualification_ = 0;
    uint64_t exit_rip_ = 0;
    uint64_t hypercall_ = ExitEvent::NO_HYPERCALL; /* note_hypercall() of the exit being handled */
    nested::NestedState nested_;
    /* What guest_address_space() walks instead of the VM's RAM while L0 acts
     * for L1 on an exit of L2 (handle_exit_for_l1); nullptr otherwise. */
    guest_paging::GuestPhysicalMemory* walked_ram_ = nullptr;
    StringIoRefusal string_io_refusal_ = {};
    bool string_io_refused_ = false;
};

} // namespace vmx
