/* How a VM's thread waits while its guest is halted (HLT with interrupts on), the
 * same for both backends: it sleeps until the guest's next virtual device event
 * (the PIT's next IRQ 0 edge, the local APIC timer's expiry) and resumes the
 * guest only when an interrupt waits for it, so an idle guest costs one HLT exit
 * per interrupt and nothing in between. The sleep is a deadline of the host's
 * timer core (kernel/time/timer.h): when the host idles too it is programmed as
 * one PIT one-shot, so the guest's timer interrupt arrives at its programmed
 * time rather than at the host's next tick.
 *
 * Guest time is host time: the guest's TSC runs with the host's (a constant
 * offset, SDM Vol. 3C "Time-Stamp Counter Offsetting" / the VMCB's TSC_OFFSET,
 * changed only by a guest's own WRMSR), and the virtual timers read
 * clock::nanoseconds(). The time a descheduled VM thread loses is not hidden from
 * its guest: hiding it would make the TSC disagree with the PIT, the local APIC
 * timer and the CMOS clock, which all follow the host's time. */
#pragma once
#include <stdint.h>

class Vm;

namespace halted_guest {

/* A guest with nothing to do still has the host look at it this often (host
 * input and stop requests wake the VM's thread at once through wake(); this
 * bounds what nothing announces). */
constexpr uint64_t LONGEST_SLEEP_NS = 10'000'000;

/* Sleeps until an interrupt waits for the guest (the devices are brought up to
 * date) or the VM is asked to stop; returns the host TSC cycles spent asleep.
 * The VM's thread may be descheduled meanwhile: no VMCS or VMCB stays current. */
uint64_t sleep_until_interrupt(Vm& vm);

/* News for a halted guest (input queued for COM1 or the keyboard, a stop
 * request): its VM's thread, if it sleeps, looks at once instead of at its next
 * device event. The VM's thread sleeps nowhere else, so this wakes nothing else. */
void wake(Vm& vm);

} // namespace halted_guest
