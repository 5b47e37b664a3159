/* InterruptGuard: keeps interrupts off for the lifetime of a scope and then puts
 * RFLAGS.IF back as it was, so guards nest and work with interrupts on or off.
 * On one CPU this makes a short section atomic against interrupt handlers; it is
 * no lock between CPUs. */
#pragma once
#include "arch/x86_64/cpu.h"

class InterruptGuard {
public:
    InterruptGuard() : were_enabled_(cpu::interrupts_enabled()) { cpu::cli(); }
    ~InterruptGuard()
    {
        if (were_enabled_)
            cpu::sti();
    }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    /* Whether interrupts were on when the guard was made. */
    bool were_enabled() const { return were_enabled_; }

private:
    bool were_enabled_;
};
