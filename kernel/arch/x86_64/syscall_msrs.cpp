/* The syscall MSRs switched lazily between the host and a guest; see
 * syscall_msrs.h. */
#include "arch/x86_64/syscall_msrs.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "debug/panic.h"

namespace syscall_msrs {

namespace {

/* Invariant: owner_ == nullptr exactly when the CPU holds the host's values;
 * otherwise it holds owner_'s (as the guest last wrote them) and host_ the
 * host's as they were when owner_'s went in. */
GuestValues* owner_ = nullptr;
uint64_t host_[COUNT] = {};
Statistics statistics_;

} // namespace

void load_guest(GuestValues& guest)
{
    KERNEL_ASSERT(!cpu::interrupts_enabled());
    if (owner_ == &guest)
        return;
    restore_host();
    for (size_t i = 0; i < COUNT; ++i) {
        host_[i] = cpu::rdmsr(MSRS[i]);
        if (guest.values[i] != host_[i])
            cpu::wrmsr(MSRS[i], guest.values[i]);
    }
    owner_ = &guest;
    ++statistics_.guest_loads;
}

void restore_host()
{
    if (!owner_)
        return;
    KERNEL_ASSERT(!cpu::interrupts_enabled());
    for (size_t i = 0; i < COUNT; ++i) {
        uint64_t value = cpu::rdmsr(MSRS[i]);
        owner_->values[i] = value;
        if (value != host_[i])
            cpu::wrmsr(MSRS[i], host_[i]);
    }
    owner_ = nullptr;
    ++statistics_.host_restores;
}

const GuestValues* owner() { return owner_; }

uint64_t read(GuestValues& guest, size_t index)
{
    KERNEL_ASSERT(index < COUNT);
    /* With interrupts on, a thread switch could restore the host's values
     * between the comparison and the RDMSR. */
    InterruptGuard guard;
    return owner_ == &guest ? cpu::rdmsr(MSRS[index]) : guest.values[index];
}

void write(GuestValues& guest, size_t index, uint64_t value)
{
    KERNEL_ASSERT(index < COUNT);
    InterruptGuard guard;
    if (owner_ == &guest)
        cpu::wrmsr(MSRS[index], value);
    else
        guest.values[index] = value;
}

Statistics statistics() { return statistics_; }

} // namespace syscall_msrs
