/* The fault injector's decisions (kernel/mm/fault_injector.cpp): which counted
 * allocation fails in nth and every mode, the site filter, and the command-line
 * values it accepts and refuses. */
#include "mm/fault_injector.h"
#include "unit_test.h"

namespace {

using Site = FaultInjector::Site;

/* The 1-based numbers of the failing calls among `calls` allocations of `site`. */
unsigned failures_among(FaultInjector& injector, unsigned calls, Site site = Site::heap)
{
    unsigned mask = 0;
    for (unsigned i = 1; i <= calls; ++i) {
        if (injector.should_fail(site))
            mask |= 1u << i;
    }
    return mask;
}

} // namespace

UNIT_TEST(fault_injector_off_fails_nothing_and_counts_nothing)
{
    FaultInjector injector;
    CHECK_EQ(failures_among(injector, 20), 0u);
    CHECK_EQ(injector.counted(), uint64_t(0));
}

UNIT_TEST(fault_injector_nth_fails_exactly_the_nth_once_and_keeps_counting)
{
    FaultInjector injector;
    injector.arm(FaultInjector::Mode::nth, 3);
    CHECK_EQ(failures_among(injector, 10), 1u << 3);
    CHECK_EQ(injector.failed(), uint64_t(1));
    CHECK_EQ(injector.disarm(), uint64_t(10));
    CHECK(!injector.should_fail(Site::heap));
}

UNIT_TEST(fault_injector_rearming_counts_from_zero_again)
{
    FaultInjector injector;
    injector.arm(FaultInjector::Mode::nth, 2);
    (void)failures_among(injector, 5);
    injector.arm(FaultInjector::Mode::nth, 1);
    CHECK_EQ(failures_among(injector, 3), 1u << 1);
    CHECK_EQ(injector.counted(), uint64_t(3));
}

UNIT_TEST(fault_injector_every_fails_each_multiple)
{
    FaultInjector injector;
    injector.arm(FaultInjector::Mode::every, 4);
    CHECK_EQ(failures_among(injector, 12), (1u << 4) | (1u << 8) | (1u << 12));
    CHECK_EQ(injector.failed(), uint64_t(3));
}

UNIT_TEST(fault_injector_counts_only_the_sites_it_is_armed_for)
{
    FaultInjector injector;
    injector.arm(FaultInjector::Mode::nth, 1, FaultInjector::SITE_PAGE);
    CHECK(!injector.should_fail(Site::heap));
    CHECK_EQ(injector.counted(), uint64_t(0));
    CHECK(injector.should_fail(Site::page));
}

UNIT_TEST(fault_injector_interval_zero_or_mode_off_disarms)
{
    FaultInjector injector;
    injector.arm(FaultInjector::Mode::every, 0);
    CHECK(injector.mode() == FaultInjector::Mode::off);
    CHECK_EQ(failures_among(injector, 5), 0u);
}

UNIT_TEST(fault_injector_parses_the_command_line_values)
{
    FaultInjector injector;
    CHECK(injector.arm_from_text("5"));
    CHECK(injector.mode() == FaultInjector::Mode::nth);
    CHECK_EQ(failures_among(injector, 6), 1u << 5);
    CHECK(injector.arm_from_text("every:2"));
    CHECK(injector.mode() == FaultInjector::Mode::every);
    CHECK_EQ(failures_among(injector, 4), (1u << 2) | (1u << 4));
}

UNIT_TEST(fault_injector_refuses_bad_values_and_stays_as_it_was)
{
    FaultInjector injector;
    const char* bad[] = {"", "0", "every:", "every:0", "-3", "3x", "every:x", "every", "99999999999999999999", nullptr};
    for (const char* text : bad)
        CHECK(!injector.arm_from_text(text));
    CHECK(injector.mode() == FaultInjector::Mode::off);
}

UNIT_TEST(fault_injector_filter_limits_the_next_arm_from_text)
{
    FaultInjector injector;
    CHECK(!injector.set_filter_from_text(""));
    CHECK(!injector.set_filter_from_text("heap,slab"));
    CHECK(injector.set_filter_from_text("page"));
    CHECK(injector.arm_from_text("1"));
    CHECK(!injector.should_fail(Site::heap));
    CHECK(injector.should_fail(Site::page));
    CHECK(injector.set_filter_from_text("heap,page"));
    CHECK(injector.arm_from_text("2"));
    CHECK(!injector.should_fail(Site::page));
    CHECK(injector.should_fail(Site::heap));
}
