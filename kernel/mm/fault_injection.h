/* The kernel's one FaultInjector (mm/fault_injector.h), consulted by kmalloc and
 * new (std::nothrow) (mm/kernel_heap.cpp) and by PageClaim::ordinary page
 * allocations (mm/page_manager.cpp). Armed at boot by the command line
 * (fail_alloc=N, fail_alloc=every:N, fail_alloc_filter=heap,page) or at run time
 * by the fail_alloc system call (docs/syscalls.md), which the fault-walk program
 * (user/programs/faultwalk.cpp) uses to fail each allocation of an operation in
 * turn. docs/hostile-guests.md, "Memory". */
#pragma once
#include "boot/cmdline.h"
#include "mm/fault_injector.h"

namespace fault_injection {

/* True when this allocation of `site` shall fail (interrupt safe: one CPU, the
 * injector's counters are updated with interrupts off). Logs each failure. */
bool should_fail(FaultInjector::Site site);
/* Arms the injector as the command line asks; logs what it did or why not. */
void configure(const CommandLine& cmdline);
/* The fail_alloc system call's two halves. */
void arm(FaultInjector::Mode mode, uint64_t interval, unsigned sites);
uint64_t disarm();

} // namespace fault_injection
