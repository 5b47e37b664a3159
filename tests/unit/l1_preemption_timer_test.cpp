/* hypervisor/nested/l1_preemption_timer.h: L1's VMX-preemption timer for L2 as
 * L0 keeps it, a TSC deadline from the VMLAUNCH/VMRESUME that counts down across
 * L0's own slices and exits and gives what remains at an exit to L1. */
#include "hypervisor/nested/l1_preemption_timer.h"
#include "unit_test.h"

using namespace nested;

namespace {
/* Bochs' Skylake reports rate 5: one count per 32 TSC cycles. */
constexpr unsigned SHIFT = 5;
} // namespace

UNIT_TEST(l1_preemption_timer_inactive_leaves_the_slice_to_l0)
{
    L1PreemptionTimer timer;
    CHECK(!timer.active());
    L1PreemptionTimer::Armed armed = timer.arm(1000, 777);
    CHECK_EQ(armed.counts, 777u);
    CHECK(!armed.l1_first);
    timer.start(10, 0, SHIFT);
    timer.stop();
    CHECK(!timer.active());
    CHECK(!timer.arm(0, 5).l1_first);
}

UNIT_TEST(l1_preemption_timer_counts_down_across_l0_slices)
{
    L1PreemptionTimer timer;
    timer.start(1000, 64000, SHIFT); /* deadline 64000 + 32000 */
    CHECK_EQ(timer.deadline_tsc(), 96000u);
    /* L0's slice is shorter: L0's end first, L1's timer keeps its deadline. */
    L1PreemptionTimer::Armed armed = timer.arm(64000, 300);
    CHECK_EQ(armed.counts, 300u);
    CHECK(!armed.l1_first);
    /* 300 counts later (and whatever L0 spent meanwhile, 100 cycles here). */
    armed = timer.arm(64000 + 300 * 32 + 100, 300);
    CHECK_EQ(armed.counts, 300u);
    /* What remains: 1000 - 300 counts and 100 cycles, rounded up. */
    CHECK_EQ(timer.counts_left(64000 + 300 * 32 + 100), 700u - 100 / 32);
    armed = timer.arm(64000 + 900 * 32, 300);
    CHECK_EQ(armed.counts, 100u);
    CHECK(armed.l1_first);
    /* Equal counts: the exit is L1's. */
    CHECK(timer.arm(64000 + 900 * 32, 100).l1_first);
}

UNIT_TEST(l1_preemption_timer_saved_value_is_zero_only_at_the_deadline)
{
    L1PreemptionTimer timer;
    timer.start(3, 100, SHIFT); /* deadline 196 */
    CHECK_EQ(timer.counts_left(100), 3u);
    CHECK_EQ(timer.counts_left(101), 3u); /* rounded up: never 0 before the deadline */
    CHECK_EQ(timer.counts_left(195), 1u);
    CHECK_EQ(timer.counts_left(196), 0u);
    CHECK_EQ(timer.counts_left(100000), 0u);
    /* Past its deadline, the next slice ends at once with L1's exit. */
    L1PreemptionTimer::Armed armed = timer.arm(200, 1000);
    CHECK_EQ(armed.counts, 0u);
    CHECK(armed.l1_first);
}

UNIT_TEST(l1_preemption_timer_zero_value_exits_before_l2_runs)
{
    L1PreemptionTimer timer;
    timer.start(0, 5000, SHIFT);
    CHECK(timer.active());
    L1PreemptionTimer::Armed armed = timer.arm(5000, 1000);
    CHECK_EQ(armed.counts, 0u);
    CHECK(armed.l1_first);
}

UNIT_TEST(l1_preemption_timer_keeps_huge_values_and_rates)
{
    L1PreemptionTimer timer;
    /* The largest value at the slowest rate does not wrap the deadline. */
    timer.start(0xFFFFFFFF, 1000, 31);
    CHECK_EQ(timer.counts_left(1000), 0xFFFFFFFFull);
    CHECK(!timer.arm(1000, 1000).l1_first);
    /* A deadline that would pass the TSC's end stays in the far future. */
    timer.start(0xFFFFFFFF, ~0ull - 10, 31);
    CHECK(timer.active());
    CHECK(timer.counts_left(~0ull - 10) > 0);
    /* Rate 0: one count per cycle. */
    timer.start(7, 10, 0);
    CHECK_EQ(timer.counts_left(12), 5u);
    /* Bits above 4:0 of the rate are not the rate. */
    timer.start(1, 0, 0x20 | SHIFT);
    CHECK_EQ(timer.deadline_tsc(), 32u);
}
