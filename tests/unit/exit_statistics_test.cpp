/* hypervisor/vm/exit_statistics.h: counts and cycles per exit reason, I/O port
 * and hypercall with their bounds, and the exit trace that keeps the latest exits. */
#include "hypervisor/vm/exit_statistics.h"
#include "unit_test.h"

namespace {

ExitEvent exit_of(uint16_t reason, uint64_t handler_cycles)
{
    ExitEvent event;
    event.reason = reason;
    event.handler_cycles = handler_cycles;
    event.guest_cycles = 10;
    event.entry_cycles = 1;
    return event;
}

ExitEvent port_exit(uint32_t port, bool in, uint64_t cycles)
{
    ExitEvent event = exit_of(30, cycles);
    event.port = port;
    event.port_in = in;
    return event;
}

} // namespace

UNIT_TEST(exit_statistics_count_and_time_each_reason)
{
    ExitStatistics s;
    s.record(exit_of(10, 100));
    s.record(exit_of(10, 300));
    s.record(exit_of(12, 50));
    CHECK_EQ(s.total, uint64_t(3));
    CHECK_EQ(s.by_reason[10].count, uint64_t(2));
    CHECK_EQ(s.by_reason[10].cycles, uint64_t(400));
    CHECK_EQ(s.by_reason[12].count, uint64_t(1));
    CHECK_EQ(s.handler_cycles, uint64_t(450));
    CHECK_EQ(s.guest_cycles, uint64_t(30));
    CHECK_EQ(s.entry_cycles, uint64_t(3));
}

UNIT_TEST(exit_statistics_count_a_reason_beyond_the_table_only_in_the_total)
{
    ExitStatistics s;
    s.record(exit_of(ExitStatistics::REASONS + 5, 7));
    CHECK_EQ(s.total, uint64_t(1));
    CHECK_EQ(s.handler_cycles, uint64_t(7));
}

UNIT_TEST(exit_statistics_keep_reads_and_writes_per_port)
{
    ExitStatistics s;
    s.record(port_exit(0x3F8, false, 20));
    s.record(port_exit(0x3F8, false, 20));
    s.record(port_exit(0x3FD, true, 5));
    s.record(port_exit(0x3F8, true, 1));
    CHECK_EQ(s.port_count, size_t(2));
    const PortCounter* com1 = s.port_counter(0x3F8);
    CHECK(com1 != nullptr);
    CHECK_EQ(com1->writes, uint64_t(2));
    CHECK_EQ(com1->reads, uint64_t(1));
    CHECK_EQ(com1->cycles, uint64_t(41));
    CHECK(s.port_counter(0x60) == nullptr);
}

UNIT_TEST(exit_statistics_put_ports_beyond_the_table_into_other)
{
    ExitStatistics s;
    for (uint32_t port = 0; port < ExitStatistics::PORTS + 3; ++port)
        s.record(port_exit(port, true, 2));
    s.record(port_exit(0, false, 2));
    CHECK_EQ(s.port_count, ExitStatistics::PORTS);
    CHECK_EQ(s.other_ports.reads, uint64_t(3));
    CHECK_EQ(s.other_ports.cycles, uint64_t(6));
    CHECK_EQ(s.port_counter(0)->writes, uint64_t(1));
    CHECK(s.port_counter(ExitStatistics::PORTS) == nullptr);
}

UNIT_TEST(exit_statistics_count_hypercalls_with_high_numbers_in_the_last_slot)
{
    ExitStatistics s;
    ExitEvent ping = exit_of(18, 9);
    ping.hypercall = 0;
    s.record(ping);
    ExitEvent high = exit_of(18, 4);
    high.hypercall = 1000;
    s.record(high);
    high.hypercall = ExitStatistics::HYPERCALLS - 1;
    s.record(high);
    CHECK_EQ(s.hypercalls[0].count, uint64_t(1));
    CHECK_EQ(s.hypercalls[0].cycles, uint64_t(9));
    CHECK_EQ(s.hypercalls[ExitStatistics::HYPERCALLS - 1].count, uint64_t(2));
    CHECK_EQ(s.by_reason[18].count, uint64_t(3));
}

UNIT_TEST(exit_trace_keeps_every_exit_until_full)
{
    ExitTrace<4> trace;
    CHECK_EQ(trace.size(), size_t(0));
    trace.push(exit_of(1, 0));
    trace.push(exit_of(2, 0));
    CHECK_EQ(trace.size(), size_t(2));
    CHECK_EQ(trace.at(0).reason, uint16_t(1));
    CHECK_EQ(trace.at(1).reason, uint16_t(2));
    CHECK_EQ(trace.sequence(0), uint64_t(0));
}

UNIT_TEST(exit_trace_overwrites_the_oldest_exits)
{
    ExitTrace<4> trace;
    for (uint16_t reason = 0; reason < 10; ++reason)
        trace.push(exit_of(reason, 0));
    CHECK_EQ(trace.recorded(), uint64_t(10));
    CHECK_EQ(trace.size(), size_t(4));
    for (size_t i = 0; i < 4; ++i) {
        CHECK_EQ(trace.at(i).reason, uint16_t(6 + i));
        CHECK_EQ(trace.sequence(i), uint64_t(6 + i));
    }
}

UNIT_TEST(exit_trace_stays_in_order_across_many_wraps)
{
    ExitTrace<8> trace;
    for (uint16_t reason = 0; reason < 1003; ++reason) {
        trace.push(exit_of(reason % 80, 0));
        size_t newest = trace.size() - 1;
        CHECK_EQ(trace.at(newest).reason, uint16_t(reason % 80));
        CHECK_EQ(trace.sequence(newest), uint64_t(reason));
    }
}

/* The port counted last is found without a scan; alternating and new ports
 * still land in their own counters. */
UNIT_TEST(exit_statistics_count_a_repeated_port_and_alternating_ports_apart)
{
    ExitStatistics s;
    s.record(port_exit(0x3F8, false, 1));
    s.record(port_exit(0x20, false, 2));
    s.record(port_exit(0x20, false, 2));
    s.record(port_exit(0x3F8, false, 1));
    s.record(port_exit(0x20, false, 2));
    s.record(port_exit(0x21, true, 4));
    s.record(port_exit(0x20, false, 2));
    CHECK_EQ(s.port_count, size_t(3));
    CHECK_EQ(s.port_counter(0x20)->writes, uint64_t(4));
    CHECK_EQ(s.port_counter(0x20)->cycles, uint64_t(8));
    CHECK_EQ(s.port_counter(0x3F8)->writes, uint64_t(2));
    CHECK_EQ(s.port_counter(0x21)->reads, uint64_t(1));
}
