/* When an SVM guest may take the next NMI. SVM without the vNMI feature (QEMU's
 * TCG has none) keeps no NMI mask for the guest: EVENTINJ delivers an NMI
 * whatever the guest is doing, so the hypervisor keeps the rule of the AMD64 APM
 * Vol. 2 (revision 3.42), "Nonmaskable Interrupt (NMI)" ("while an NMI handler
 * runs, further NMIs are held until the IRET that ends it") itself: after an
 * injected NMI, NMIs are blocked and IRET is intercepted ("Instruction
 * Intercepts"). The intercept happens before the IRET executes, so NMIs open
 * again only once the guest is past that IRET (its RIP moved), as KVM does.
 * Pure logic, unit-tested on the build machine (tests/unit/nmi_blocking_test.cpp). */
#pragma once
#include <stdint.h>

namespace svm {

class NmiBlocking {
public:
    /* An NMI was injected (or re-injected after an exit cut its delivery short). */
    void nmi_injected() { state_ = State::in_handler; }
    /* The guest is about to execute the IRET at `rip` (its intercept fired). */
    void iret_intercepted(uint64_t rip)
    {
        if (state_ == State::in_handler) {
            state_ = State::iret_pending;
            iret_rip_ = rip;
        }
    }
    /* Whether an NMI must wait, with the guest at `rip` now: an IRET that was
     * about to execute has completed once RIP moved. */
    bool blocked(uint64_t rip)
    {
        if (state_ == State::iret_pending && rip != iret_rip_)
            state_ = State::open;
        return state_ != State::open;
    }
    /* IRET needs intercepting while a handler runs that has not reached it. */
    bool wants_iret_intercept() const { return state_ == State::in_handler; }

private:
    enum class State : uint8_t { open, in_handler, iret_pending };
    State state_ = State::open;
    uint64_t iret_rip_ = 0;
};

} // namespace svm
