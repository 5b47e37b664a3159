/* In-kernel tests of the hypervisor's hardware-state safety (set "vmx_safety",
 * docs/hostile-guests.md, "Hardware state the host keeps safe"): a host NMI that
 * arrives while a guest runs goes to the host and the guest goes on; an ended VM
 * invalidates its EPT root and its VPID; VPIDs come from a pool that wraps from
 * 65,535 to 1 and skips those of running VMs; two guests doing SSE arithmetic side
 * by side keep their own XMM registers, and their own syscall MSRs while the
 * host's come back for every other thread. The host NMI test runs everywhere; the
 * rest skip where the CPU has no VMX. Follows the Intel SDM (revision 084),
 * Vol. 3A, "Advanced Programmable Interrupt Controller (APIC)" ("Interrupt
 * Command Register (ICR)") and the 82093AA I/O APIC datasheet ("I/O Redirection
 * Table Registers"). */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupt_guard.h"
#include "arch/x86_64/syscall_msrs.h"
#include "console/log.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/test/vm_test_support.h"
#include "hypervisor/vmx/vmx_support.h"
#include "hypervisor/vmx/vmx_tlb.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "hypervisor/vmx/vpid_pool.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "test/kernel_test.h"
#include "time/clock.h"

#include <initializer_list>

namespace {

constexpr const char* SPIN_GUEST = "/guests/hostile_spin";
constexpr const char* SSE_GUEST = "/guests/sse_state";
constexpr const char* SYSCALL_MSRS_GUEST = "/guests/syscall_msrs";

constexpr uint64_t APIC_BASE_ENABLE = 1ull << 11;
constexpr uint64_t APIC_BASE_ADDRESS = 0xFFFFFF000ull;
constexpr uint32_t CPUID1_EDX_APIC = 1u << 9;
constexpr uint32_t LAPIC_ID = 0x20, LAPIC_ICR_LOW = 0x300, LAPIC_ICR_HIGH = 0x310;
constexpr uint32_t ICR_DELIVERY_NMI = 4u << 8, ICR_LEVEL_ASSERT = 1u << 14, ICR_SEND_PENDING = 1u << 12;

/* The I/O APIC where PC firmware puts it; the PIT's IRQ 0 arrives at its pin 2
 * (the ISA interrupt-source override every PC firmware reports). */
constexpr uint64_t IOAPIC_BASE = 0xFEC00000;
constexpr uint32_t IOAPIC_VERSION = 0x01, IOAPIC_REDIRECTION = 0x10;
constexpr unsigned PIT_IOAPIC_PIN = 2;
constexpr uint32_t REDIRECTION_MASKED = 1u << 16, REDIRECTION_NMI = 4u << 8;

bool skip_without_vmx(TestContext& t)
{
    if (cpu_has_vmx())
        return false;
    t.skip("this CPU has no VMX");
    return true;
}

void stop_and_wait(int id)
{
    if (id <= 0)
        return;
    vm_manager::stop(id);
    vm_manager::wait(id);
}

/* The local APIC's registers, or nullptr where there is none or it is off. */
volatile uint32_t* local_apic()
{
    if (!(cpu::cpuid(1).edx & CPUID1_EDX_APIC))
        return nullptr;
    uint64_t base = cpu::rdmsr(Msr::apic_base);
    if (!(base & APIC_BASE_ENABLE))
        return nullptr;
    return phys_to_virt<volatile uint32_t>(base & APIC_BASE_ADDRESS);
}

/* An NMI to this CPU through the ICR: physical destination = our own APIC id
 * (the "self" shorthand is valid only with fixed delivery, SDM table "Valid
 * Combinations for the ... Interrupt Command Register"). */
void send_nmi_to_self(volatile uint32_t* apic)
{
    uint32_t own_id = apic[LAPIC_ID / 4] >> 24;
    apic[LAPIC_ICR_HIGH / 4] = own_id << 24;
    apic[LAPIC_ICR_LOW / 4] = ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT;
    for (int spins = 0; (apic[LAPIC_ICR_LOW / 4] & ICR_SEND_PENDING) && spins < 100000; ++spins)
        cpu::pause();
}

class IoApic {
public:
    IoApic() : registers_(phys_to_virt<volatile uint32_t>(IOAPIC_BASE)) {}
    /* An absent I/O APIC reads as all ones. */
    bool present() { return read(IOAPIC_VERSION) != 0xFFFFFFFF; }
    /* Pin `pin` delivers an NMI to APIC `apic_id` on each rising edge (or is masked). */
    void route_as_nmi(unsigned pin, uint32_t apic_id, bool on)
    {
        InterruptGuard guard;
        write(IOAPIC_REDIRECTION + 2 * pin + 1, apic_id << 24);
        write(IOAPIC_REDIRECTION + 2 * pin, on ? REDIRECTION_NMI : REDIRECTION_MASKED);
    }

private:
    uint32_t read(uint32_t index)
    {
        registers_[0] = index;
        return registers_[4];
    }
    void write(uint32_t index, uint32_t value)
    {
        registers_[0] = index;
        registers_[4] = value;
    }
    volatile uint32_t* registers_;
};

} // namespace

/* The NMI path used to panic ("non-maskable interrupt (NMI, vector 2) in kernel
 * mode"): an NMI is an event, so it is counted and the host goes on. */
KERNEL_TEST(vmx_safety, host_nmi_through_the_local_apic_is_counted_not_fatal)
{
    volatile uint32_t* apic = local_apic();
    if (!apic) {
        t.skip("no enabled local APIC");
        return;
    }
    uint64_t before = exceptions::nmi_count();
    send_nmi_to_self(apic);
    EXPECT_EQ(exceptions::nmi_count(), before + 1);
    send_nmi_to_self(apic);
    EXPECT_EQ(exceptions::nmi_count(), before + 2);
}

/* NMIs on every PIT tick, through the I/O APIC, while a guest spins: those that
 * arrive in VMX non-root operation exit (exit reason 0, type NMI), the hypervisor
 * passes each to the host's handler, and the guest runs on. The bug it pins: the
 * exit was unhandled and ended the VM. */
KERNEL_TEST(vmx_safety, host_nmi_while_a_guest_runs_goes_to_the_host_and_the_guest_goes_on)
{
    if (skip_without_vmx(t))
        return;
    volatile uint32_t* apic = local_apic();
    IoApic ioapic;
    if (!apic || !ioapic.present()) {
        t.skip("no local APIC or I/O APIC to send NMIs with");
        return;
    }
    int id = start_test_vm(t, SPIN_GUEST, "seed=2");
    if (id < 0)
        return;
    Vm* vm = vm_manager::find(id);
    uint64_t host_before = exceptions::nmi_count();
    ioapic.route_as_nmi(PIT_IOAPIC_PIN, apic[LAPIC_ID / 4] >> 24, true);
    /* The guest has the CPU whenever this thread sleeps. */
    for (int i = 0; i < 50 && vm->statistics().host_nmis < 3; ++i)
        Scheduler::instance().sleep_ns(10 * clock::NS_PER_MS);
    ioapic.route_as_nmi(PIT_IOAPIC_PIN, 0, false);
    uint64_t guest_nmis = vm->statistics().host_nmis;
    uint64_t host_nmis = exceptions::nmi_count() - host_before;
    EXPECT(guest_nmis >= 3);
    EXPECT(host_nmis >= guest_nmis); /* each one the guest saw was passed on */
    Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    EXPECT(!vm->ended());
    stop_and_wait(id);
    EXPECT(vm->state() == VmRunState::stopped);
    EXPECT(::starts_with(vm->stop_reason(), "stopped by the host"));
}

/* A freed EPT root page may become the next VM's root: the mappings the CPU
 * derived from it must be gone first (and likewise for the VPID). */
KERNEL_TEST(vmx_safety, ended_vm_invalidates_its_ept_root_and_its_vpid)
{
    if (skip_without_vmx(t))
        return;
    vmx::InvalidationCounts before = vmx::invalidation_counts();
    int id = start_test_vm(t, SPIN_GUEST, "seed=2");
    if (id < 0)
        return;
    Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    stop_and_wait(id);
    vmx::InvalidationCounts after = vmx::invalidation_counts();
    EXPECT_EQ(after.invept, before.invept + 1);
    EXPECT_EQ(after.last_eptp & 0x3F, 0x1Eu); /* write-back, 4-level walk (ept.h) */
    uint64_t secondary_allowed = host_vmx_capabilities().secondary_processor >> 32;
    if (secondary_allowed & uint32_t(vmx::SecondaryProcessorControl::vpid))
        EXPECT_EQ(after.invvpid, before.invvpid + 1);
}

/* A VM entry that fails the SDM's guest-state checks ("VM-entry failure due to
 * invalid guest state", exit reason 33 with bit 31 set) ends the VM as failed,
 * with the reason by name in its record, and gives the host its CPU back. */
KERNEL_TEST(vmx_safety, failed_vm_entry_is_reported_with_its_reason)
{
    if (skip_without_vmx(t))
        return;
    vmx::VmxVcpu::break_next_first_entry_for_test();
    int id = start_test_vm(t, SPIN_GUEST, "seed=2");
    if (id < 0)
        return;
    vm_manager::wait(id);
    Vm* vm = vm_manager::find(id);
    EXPECT(vm && vm->state() == VmRunState::failed);
    if (vm) {
        const char* reason = vm->stop_reason();
        bool named = false;
        for (const char* at = reason; *at && !named; ++at)
            named = starts_with(at, "invalid_guest_state") || starts_with(at, "invalid guest state");
        if (!starts_with(reason, "VM entry failed: ") || !named)
            t.fail("the VM ended with \"%s\"", reason);
    }
}

/* The VPID was the VM id cut to 16 bits: VM 65,536 got VPID 0 (VM entry fails)
 * and later ones collided with running VMs. The pool's cursor is moved near the
 * wrap (the test hook), and VMs started across it must run. */
KERNEL_TEST(vmx_safety, vpids_wrap_from_65535_to_1_and_skip_those_of_running_vms)
{
    if (skip_without_vmx(t))
        return;
    if (!((host_vmx_capabilities().secondary_processor >> 32) & uint32_t(vmx::SecondaryProcessorControl::vpid))) {
        t.skip("this CPU has no VPIDs");
        return;
    }
    vmx::VpidPool& pool = vmx::vpid_pool();
    {
        InterruptGuard guard;
        pool.restart_at(65534);
    }
    constexpr uint16_t EXPECTED[] = {65534, 65535, 1};
    int ids[4] = {-1, -1, -1, -1};
    for (int i = 0; i < 3; ++i) {
        EXPECT(!pool.in_use(EXPECTED[i]));
        ids[i] = start_test_vm(t, SPIN_GUEST, "seed=2");
        EXPECT(pool.in_use(EXPECTED[i]));
    }
    /* 65535 and 1 are taken by running VMs: the next one gets 2. */
    {
        InterruptGuard guard;
        pool.restart_at(65535);
    }
    ids[3] = start_test_vm(t, SPIN_GUEST, "seed=2");
    EXPECT(pool.in_use(2));
    EXPECT(!pool.in_use(0));
    Scheduler::instance().sleep_ns(30 * clock::NS_PER_MS);
    for (int id : ids) {
        Vm* vm = id > 0 ? vm_manager::find(id) : nullptr;
        EXPECT(vm && !vm->ended());
    }
    vmx::InvalidationCounts before = vmx::invalidation_counts();
    for (int id : ids)
        stop_and_wait(id);
    for (int id : ids) {
        Vm* vm = id > 0 ? vm_manager::find(id) : nullptr;
        EXPECT(vm && ::starts_with(vm->stop_reason(), "stopped by the host"));
    }
    EXPECT_EQ(vmx::invalidation_counts().invvpid, before.invvpid + 4);
    for (uint16_t vpid : {uint16_t(65534), uint16_t(65535), uint16_t(1), uint16_t(2)})
        EXPECT(!pool.in_use(vpid));
    EXPECT_EQ(pool.in_use_count(), 0u);
}

/* VM entries and exits do not switch x87/SSE state: the host's context switch
 * must, or these two guests read each other's XMM registers. */
KERNEL_TEST(vmx_safety, two_guests_doing_sse_side_by_side_keep_their_xmm_registers)
{
    if (skip_without_vmx(t))
        return;
    int first = start_test_vm(t, SSE_GUEST, "seed=11");
    int second = start_test_vm(t, SSE_GUEST, "seed=12");
    if (first < 0 || second < 0) {
        stop_and_wait(first);
        stop_and_wait(second);
        return;
    }
    Vm* vms[2] = {vm_manager::find(first), vm_manager::find(second)};
    /* How often each VM's thread was switched in while both ran: the guests
     * must have taken turns many times for the check to mean anything. */
    uint64_t switches[2] = {0, 0};
    while (!vms[0]->ended() || !vms[1]->ended()) {
        {
            InterruptGuard guard;
            if (!vms[0]->ended() && !vms[1]->ended()) {
                for (int i = 0; i < 2; ++i)
                    switches[i] = vms[i]->thread ? vms[i]->thread->switches_in() : switches[i];
            }
        }
        Scheduler::instance().sleep_ns(5 * clock::NS_PER_MS);
    }
    vm_manager::wait(first);
    vm_manager::wait(second);
    for (int i = 0; i < 2; ++i) {
        EXPECT(vms[i]->state() == VmRunState::stopped);
        EXPECT(::starts_with(vms[i]->stop_reason(), "guest powered off with status 0"));
        EXPECT(switches[i] >= 5);
    }
}

namespace {

volatile bool msr_checker_stop;
volatile uint64_t msr_checker_runs;
volatile uint64_t msr_checker_wrong;
uint64_t host_syscall_msrs[syscall_msrs::COUNT];

/* A host thread between the VM threads: each time it runs, the CPU must hold
 * the host's syscall MSRs (a user program's SYSCALL would land on LSTAR). */
void check_host_syscall_msrs(void*)
{
    while (!msr_checker_stop) {
        for (size_t i = 0; i < syscall_msrs::COUNT; ++i)
            if (cpu::rdmsr(syscall_msrs::MSRS[i]) != host_syscall_msrs[i])
                msr_checker_wrong = msr_checker_wrong + 1;
        msr_checker_runs = msr_checker_runs + 1;
        Scheduler::instance().sleep_ns(clock::NS_PER_MS);
    }
}

} // namespace

/* The VMX backend passes the five syscall MSRs through, keeps a guest's values
 * in the CPU across exits and switches them with the host's lazily, at thread
 * switches and when the run loop returns (arch/x86_64/syscall_msrs.h), instead
 * of MSR areas at every entry and exit. Two guests/syscall_msrs with their own
 * values halt (each HLT sleeps the VM's thread) and spin while this thread and
 * a checker thread run between them: each guest reads back its own values
 * every time, the checker finds the host's every time, and the host's are back
 * once both run loops returned (without run()'s own restore, the vCPU's
 * destructor right after it would find its values still loaded: a panic). */
KERNEL_TEST(vmx_safety, two_guests_keep_their_syscall_msrs_and_host_threads_find_the_hosts)
{
    if (skip_without_vmx(t))
        return;
    for (size_t i = 0; i < syscall_msrs::COUNT; ++i)
        host_syscall_msrs[i] = cpu::rdmsr(syscall_msrs::MSRS[i]);
    msr_checker_stop = false;
    msr_checker_runs = 0;
    msr_checker_wrong = 0;
    uint64_t restores = syscall_msrs::statistics().host_restores;
    Thread* checker = Scheduler::instance().spawn(check_host_syscall_msrs, nullptr, "msr checker");
    EXPECT(checker != nullptr);
    int first = start_test_vm(t, SYSCALL_MSRS_GUEST, "seed=1");
    int second = start_test_vm(t, SYSCALL_MSRS_GUEST, "seed=2");
    for (int id : {first, second}) {
        if (id <= 0)
            continue;
        vm_manager::wait(id);
        Vm* vm = vm_manager::find(id);
        if (vm && !::starts_with(vm->stop_reason(), "guest powered off with status 0"))
            t.fail("vm%d (%s) ended: %s", id, SYSCALL_MSRS_GUEST, vm->stop_reason());
    }
    msr_checker_stop = true;
    if (checker)
        Scheduler::instance().join(checker);
    uint64_t restored = syscall_msrs::statistics().host_restores - restores;
    log(LogCategory::test, "syscall MSRs: the host's restored %lu times, the checker ran %lu times", restored,
        uint64_t(msr_checker_runs));
    EXPECT(syscall_msrs::owner() == nullptr);
    for (size_t i = 0; i < syscall_msrs::COUNT; ++i)
        EXPECT_EQ(cpu::rdmsr(syscall_msrs::MSRS[i]), host_syscall_msrs[i]);
    EXPECT_EQ(msr_checker_wrong, 0u);
    /* Each guest halts 21 times, most of them a thread switch with its values
     * loaded (48 in Bochs). */
    EXPECT(restored >= 20);
    EXPECT(msr_checker_runs >= 10);
}
