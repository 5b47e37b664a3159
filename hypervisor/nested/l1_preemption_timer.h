/* L1's VMX-preemption timer for L2 (VMCS12's pin-based control "activate
 * VMX-preemption timer"), kept by L0 as a TSC deadline: started from VMCS12's
 * timer value at each VMLAUNCH/VMRESUME, it counts down across every slice of L2
 * and every exit L0 handles for L1 (L1 cannot tell L0's work from L2's time), and
 * at an exit to L1 it gives what remains for "save VMX-preemption timer value".
 * Before, L0 re-armed VMCS12's full value after each exit it kept and saved 0 at
 * each exit reflected to L1: our kernel as L1 (which saves the timer and writes
 * it only for a new deadline) then re-entered L2 with 0 after each exit, and L2
 * took a preemption-timer round trip through L1 for nothing until L1's next
 * deadline. Intel SDM (revision 084), Vol. 3C, "VMX-Preemption Timer", "Saving
 * Guest State" and Appendix A.6 (IA32_VMX_MISC bits 4:0: the timer counts down
 * by 1 each time bit X of the TSC changes). Pure logic, unit-tested in
 * tests/unit/l1_preemption_timer_test.cpp. */
#pragma once
#include <stdint.h>

namespace nested {

class L1PreemptionTimer {
public:
    static constexpr uint64_t NO_DEADLINE = ~0ull;

    /* VM entry with the timer active: `value` (VMCS12's 32-bit field) counts
     * from `now_tsc` at one count per 2^`shift` TSC cycles. */
    constexpr void start(uint32_t value, uint64_t now_tsc, unsigned shift)
    {
        shift_ = shift & 0x1F;
        uint64_t cycles = uint64_t(value) << shift_;
        deadline_tsc_ = now_tsc + cycles < now_tsc ? NO_DEADLINE - 1 : now_tsc + cycles;
    }
    /* VM entry without the timer. */
    constexpr void stop() { deadline_tsc_ = NO_DEADLINE; }
    constexpr bool active() const { return deadline_tsc_ != NO_DEADLINE; }

    /* The counts that remain at `now_tsc`, rounded up: 0 only once the deadline
     * is reached, so that a value saved for an exit that was not the timer's
     * never makes the next entry exit at once, and never more than the value
     * started with. */
    constexpr uint64_t counts_left(uint64_t now_tsc) const
    {
        if (!active() || now_tsc >= deadline_tsc_)
            return 0;
        uint64_t cycles = deadline_tsc_ - now_tsc;
        return (cycles >> shift_) + ((cycles & ((1ull << shift_) - 1)) ? 1 : 0);
    }

    /* VMCS02's timer for the next slice of L2: the sooner of L0's own slice
     * (`l0_counts`, same rate) and what remains of L1's; `l1_first` says the
     * exit at its end is L1's (the timer's exit reflected to L1) rather than
     * the end of L0's slice. */
    struct Armed {
        uint64_t counts;
        bool l1_first;
    };
    constexpr Armed arm(uint64_t now_tsc, uint64_t l0_counts) const
    {
        if (!active())
            return {l0_counts, false};
        uint64_t left = counts_left(now_tsc);
        return left <= l0_counts ? Armed{left, true} : Armed{l0_counts, false};
    }

    constexpr uint64_t deadline_tsc() const { return deadline_tsc_; }

private:
    uint64_t deadline_tsc_ = NO_DEADLINE;
    unsigned shift_ = 0;
};

} // namespace nested
