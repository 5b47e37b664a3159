/* The kernel's fault injector; see fault_injection.h. */
#include "mm/fault_injection.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"

namespace fault_injection {

namespace {

FaultInjector injector;

const char* site_name(FaultInjector::Site site) { return site == FaultInjector::Site::heap ? "heap" : "page"; }

} // namespace

bool should_fail(FaultInjector::Site site)
{
    bool fail;
    uint64_t number;
    {
        InterruptGuard guard;
        fail = injector.should_fail(site);
        number = injector.counted();
    }
    if (fail)
        log(LogCategory::memory, "fault injection: failing %s allocation #%lu", site_name(site), number);
    return fail;
}

void configure(const CommandLine& cmdline)
{
    char text[32];
    InterruptGuard guard;
    if (cmdline.value("fail_alloc_filter", text, sizeof(text)) && !injector.set_filter_from_text(text))
        log(LogCategory::memory, "fault injection: fail_alloc_filter=%s ignored (a list of heap, page)", text);
    if (!cmdline.value("fail_alloc", text, sizeof(text)))
        return;
    if (injector.arm_from_text(text))
        log(LogCategory::memory, "fault injection: fail_alloc=%s armed", text);
    else
        log(LogCategory::memory, "fault injection: fail_alloc=%s ignored (N or every:N, N >= 1)", text);
}

void arm(FaultInjector::Mode mode, uint64_t interval, unsigned sites)
{
    InterruptGuard guard;
    injector.arm(mode, interval, sites);
}

uint64_t disarm()
{
    InterruptGuard guard;
    return injector.disarm();
}

} // namespace fault_injection
