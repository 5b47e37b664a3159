/* The host-side VM benchmarks; see vm_bench.h. Both measure in the host's own
 * terms (free frames of the PageManager, loop iterations of a host thread), so
 * the figures repeat run to run in an emulator whose time is its instruction count. */
#include "hypervisor/bench/vm_bench.h"

#include "arch/x86_64/cpu.h"
#include "boot/cmdline.h"
#include "console/log.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace {

constexpr uint64_t GUEST_MIB = 32;
constexpr uint64_t COUNT_NS = 500 * clock::NS_PER_MS;

volatile uint64_t progress;
volatile bool stop_counting;

void count(void*)
{
    while (!stop_counting)
        progress = progress + 1;
}

/* Loop iterations a host thread makes in COUNT_NS while the boot thread sleeps. */
uint64_t host_progress()
{
    progress = 0;
    stop_counting = false;
    Thread* counter = Scheduler::instance().spawn(count, nullptr, "bench counter");
    Scheduler::instance().sleep_ns(COUNT_NS);
    stop_counting = true;
    Scheduler::instance().join(counter);
    return progress;
}

/* Bytes the host has handed out: frames taken from the PageManager, except that
 * the heap's frames count only as far as its blocks are in use. */
uint64_t host_memory_in_use()
{
    uint64_t frames = PageManager::instance().total_page_count() - PageManager::instance().free_page_count();
    HeapArena::Stats heap = kernel_heap::stats();
    return frames * PAGE_SIZE - heap.region_bytes + heap.used_bytes;
}

/* The baseline of a guest's CPUID round trip: CPUID on the host, no exit. */
void native_cpuid()
{
    constexpr unsigned COUNT = 1000;
    uint64_t start = cpu::rdtsc();
    for (unsigned i = 0; i < COUNT; ++i)
        (void)cpu::cpuid(0);
    log(LogCategory::vmx, "bench native cpuid_cycles=%lu count=%u", cpu::rdtsc() - start, COUNT);
}

void benchmark_host()
{
    native_cpuid();
    uint64_t alone = host_progress();
    uint64_t before = host_memory_in_use();
    vm_manager::StartRequest request;
    request.path = "/guests/bench";
    request.memory_mib = GUEST_MIB;
    request.cmdline = "spin";
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok()) {
        log(LogCategory::vmx, "bench host: cannot start the busy guest: %s", started.error);
        return;
    }
    /* Let the guest reach its loop: its memory is all taken by now. */
    Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    uint64_t during = host_memory_in_use();
    uint64_t with_guest = host_progress();
    Vm* vm = vm_manager::find(started.id);
    uint64_t guest_ram = vm ? vm->memory_bytes() : GUEST_MIB << 20;
    uint64_t exits = vm ? vm->statistics().total : 0;
    vm_manager::stop(started.id);
    vm_manager::wait(started.id);
    uint64_t overhead = during - before - guest_ram;
    log(LogCategory::vmx, "bench vm_memory guest_ram=%lu host_bytes=%lu overhead_bytes=%lu vm_record_bytes=%zu",
        guest_ram, during - before, overhead, sizeof(Vm));
    log(LogCategory::vmx, "bench host_progress alone=%lu with_busy_guest=%lu guest_exits=%lu count_ns=%lu", alone,
        with_guest, exits, COUNT_NS);
}

} // namespace

bool run_vm_benchmarks_from_command_line(const CommandLine& cmdline)
{
    char which[16];
    if (!cmdline.value("vm_bench", which, sizeof(which)))
        return false;
    if (__builtin_strcmp(which, "host") == 0)
        benchmark_host();
    else
        log(LogCategory::vmx, "vm_bench=%s: unknown benchmark (host)", which);
    return true;
}
