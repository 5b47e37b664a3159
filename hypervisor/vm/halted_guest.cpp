/* The halted guest's sleep; see halted_guest.h. */
#include "hypervisor/vm/halted_guest.h"

#include "arch/x86_64/cpu.h"
#include "hypervisor/vm/vm.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace halted_guest {

uint64_t sleep_until_interrupt(Vm& vm)
{
    VirtualPlatform& platform = vm.platform();
    uint64_t asleep = cpu::rdtsc();
    for (;;) {
        uint64_t now = clock::nanoseconds();
        if (platform.update(now) || vm.stop_requested())
            break;
        /* An event already due that raised nothing (its line masked) is behind
         * us: the devices moved on to their next one. */
        uint64_t next = platform.next_event_ns(now);
        uint64_t wait = next <= now || next - now > LONGEST_SLEEP_NS ? LONGEST_SLEEP_NS : next - now;
        Scheduler::instance().sleep_ns(wait);
    }
    return cpu::rdtsc() - asleep;
}

void wake(Vm& vm)
{
    if (vm.thread)
        Scheduler::instance().wake_early(vm.thread);
}

} // namespace halted_guest
