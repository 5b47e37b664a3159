/* In-kernel tests of VMs as host threads (set "hypervisor"); they skip where the
 * CPU has no VMX. The test guests they boot are in guests/ (docs/test-guests.md). */
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "drivers/pit8254.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vmx/vmx_support.h"
#include "interrupts/irq.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"
#include "time/clock.h"
#include "time/timer.h"

namespace {

bool skip_without_vmx(TestContext& t)
{
    if (virtualization_backend() != VirtualizationBackend::none)
        return false;
    t.skip("this CPU has neither VMX nor SVM");
    return true;
}

int start_vm(TestContext& t, const char* path, uint64_t memory_mib, const char* cmdline = "")
{
    vm_manager::StartRequest request;
    request.path = path;
    request.memory_mib = memory_mib;
    request.cmdline = cmdline;
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok())
        t.fail("vm start %s: %s", path, started.error);
    return started.id;
}

size_t free_and_heap_pages()
{
    return PageManager::instance().free_page_count() + kernel_heap::stats().region_bytes / PAGE_SIZE;
}

volatile uint64_t host_progress;
volatile bool host_stop;

void count_on_the_host(void*)
{
    while (!host_stop)
        host_progress = host_progress + 1;
}

} // namespace

KERNEL_TEST(hypervisor, every_page_of_a_vm_comes_back)
{
    if (skip_without_vmx(t))
        return;
    /* The first VM grows the heap for the VM records; the second must leave the
     * free pages, counted with the heap's (which may give a region back as the VM
     * ends), exactly where it found them. */
    int first = start_vm(t, "/guests/cpuid", 16);
    vm_manager::wait(first);
    size_t before = free_and_heap_pages();
    int second = start_vm(t, "/guests/cpuid", 16);
    vm_manager::wait(second);
    EXPECT(vm_manager::find(second)->state() == VmRunState::stopped);
    EXPECT_EQ(free_and_heap_pages(), before);
}

KERNEL_TEST(hypervisor, host_thread_runs_while_a_guest_runs)
{
    if (skip_without_vmx(t))
        return;
    /* Our own kernel running its scheduler tests keeps its vCPU busy for seconds. */
    int id = start_vm(t, "/boot/kernel", 32, "test=sched");
    host_progress = 0;
    host_stop = false;
    Thread* counter = Scheduler::instance().spawn(count_on_the_host, nullptr, "host counter");
    Scheduler::instance().sleep_ns(300 * clock::NS_PER_MS);
    host_stop = true;
    Scheduler::instance().join(counter);
    Vm* vm = vm_manager::find(id);
    EXPECT(vm && !vm->ended());
    EXPECT(vm && vm->statistics().total > 100);
    EXPECT(host_progress > 1000);
    EXPECT(vm_manager::stop(id));
    vm_manager::wait(id);
    EXPECT(vm->state() == VmRunState::stopped);
    EXPECT(__builtin_strcmp(vm->stop_reason(), "stopped by the host") == 0);
}

/* A VM thread alone on the CPU stops the host's tick (Scheduler::stop_tick_if_alone):
 * while this thread sleeps and a busy guest runs, the host takes a handful of
 * timer interrupts (its one-shots) instead of one per millisecond, which would
 * each cost the guest an exit. VMX only: SVM has no preemption timer, so its
 * slice end is a host one-shot for every guest device event. */
KERNEL_TEST(hypervisor, busy_guest_alone_on_the_cpu_runs_without_host_ticks)
{
    if (skip_without_vmx(t))
        return;
    if (virtualization_backend() != VirtualizationBackend::vmx) {
        t.skip("SVM ends its slices with host one-shots (no preemption timer)");
        return;
    }
    if (!timer::tickless()) {
        t.skip("tickless idle is off (tickless=off)");
        return;
    }
    /* A guest that spins with interrupts off until it is stopped: busy all the
     * time, and it makes no exit of its own besides its slices' ends. */
    int id = start_vm(t, "/guests/hostile_spin", 4, "seed=2");
    Vm* vm = vm_manager::find(id);
    if (!vm)
        return;
    Scheduler::instance().sleep_ns(50 * clock::NS_PER_MS);
    const ExitStatistics& statistics = vm->statistics();
    uint64_t guest_before = statistics.guest_cycles;
    uint64_t alone_before = timer::statistics().alone_entries;
    uint64_t irqs_before = interrupts::irq_count(pit8254::IRQ);
    uint64_t tsc_before = cpu::rdtsc();
    Scheduler::instance().sleep_ns(300 * clock::NS_PER_MS);
    uint64_t irqs = interrupts::irq_count(pit8254::IRQ) - irqs_before;
    uint64_t interval = cpu::rdtsc() - tsc_before;
    uint64_t guest = statistics.guest_cycles - guest_before;
    bool ran = !vm->ended();
    EXPECT(vm_manager::stop(id));
    vm_manager::wait(id);
    log(LogCategory::test, "300 ms beside a busy guest: %lu host timer interrupts, guest ran %lu of %lu cycles", irqs,
        guest, interval);
    if (!ran) {
        t.fail("the guest ended before the measurement did: %s", vm->stop_reason());
        return;
    }
    /* The guest must have run most of the time, or the host idled tickless anyway. */
    if (guest * 2 < interval)
        t.fail("the guest ran only %lu of %lu cycles: no busy guest to measure beside", guest, interval);
    EXPECT(timer::statistics().alone_entries > alone_before);
    /* The periodic tick gives 300; the one-shots wait for this thread's sleep or 54.9 ms. */
    if (irqs > 30)
        t.fail("%lu host timer interrupts in 300 ms with a VM thread alone on the CPU (the tick gives 300)", irqs);
}

KERNEL_TEST(hypervisor, stopping_an_unknown_vm_fails)
{
    EXPECT(!vm_manager::stop(999));
    EXPECT(vm_manager::find(999) == nullptr);
}
