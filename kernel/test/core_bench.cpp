/* bench=core; see core_bench.h. */
#include "test/core_bench.h"

#include "arch/x86_64/cpu.h"
#include "boot/cmdline.h"
#include "console/log.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace {

constexpr uint64_t SWITCH_ROUNDS = 20000;
constexpr uint64_t PAGE_ROUNDS = 20000;

void yield_forever(void* rounds)
{
    for (uint64_t i = 0; i < *static_cast<uint64_t*>(rounds); ++i)
        Scheduler::instance().yield();
}

/* Per emulated second, from a count and the TSC ticks it took. */
uint64_t per_second(uint64_t count, uint64_t tsc_ticks)
{
    return tsc_ticks ? count * clock::tsc_hz() / tsc_ticks : 0;
}

void context_switches()
{
    Scheduler& scheduler = Scheduler::instance();
    uint64_t rounds = SWITCH_ROUNDS;
    uint64_t before = scheduler.context_switches();
    uint64_t start = cpu::rdtsc();
    Thread* partner = scheduler.spawn(yield_forever, &rounds, "bench partner");
    yield_forever(&rounds);
    scheduler.join(partner);
    uint64_t ticks = cpu::rdtsc() - start;
    uint64_t switches = scheduler.context_switches() - before;
    log(LogCategory::test, "BENCH context_switches: %lu in %lu TSC ticks, %lu per emulated second", switches, ticks,
        per_second(switches, ticks));
}

void page_allocations()
{
    PageManager& pages = PageManager::instance();
    uint64_t start = cpu::rdtsc();
    for (uint64_t i = 0; i < PAGE_ROUNDS; ++i) {
        MemoryResult<uint64_t> page = pages.allocate_page();
        if (!page.ok())
            break;
        pages.free_page(page.value());
    }
    uint64_t ticks = cpu::rdtsc() - start;
    log(LogCategory::test, "BENCH page_allocations: %lu (each freed again) in %lu TSC ticks, %lu per emulated second",
        PAGE_ROUNDS, ticks, per_second(PAGE_ROUNDS, ticks));
}

} // namespace

bool run_benchmarks(const CommandLine& cmdline)
{
    if (!cmdline.list_contains("bench", "core"))
        return false;
    log(LogCategory::test, "BENCH tsc_hz: %lu", clock::tsc_hz());
    context_switches();
    page_allocations();
    return true;
}
