/* hypervisor/devices/pit8254 and system_control_port: the 8254 against the Intel
 * 8254 datasheet, with deterministic time. */
#include "hypervisor/devices/pit8254.h"
#include "hypervisor/devices/system_control_port.h"
#include "fake_interrupt_controller.h"
#include "unit_test.h"

using devices::Pit8254;
using devices::SystemControlPort;

namespace {

/* Nanoseconds at which `ticks` 8254 clocks have passed. */
uint64_t at(uint64_t ticks) { return Pit8254::ns_at(ticks); }

void program(Pit8254& pit, unsigned channel, uint8_t control, uint16_t count, uint64_t now)
{
    pit.write(0x43, 1, control, now);
    pit.write(uint16_t(0x40 + channel), 1, count & 0xFF, now);
    pit.write(uint16_t(0x40 + channel), 1, count >> 8, now);
}

uint16_t read_latched(Pit8254& pit, unsigned channel, uint64_t now)
{
    pit.write(0x43, 1, uint8_t(channel << 6), now); /* counter latch command */
    uint16_t low = uint16_t(pit.read(uint16_t(0x40 + channel), 1, now));
    uint16_t high = uint16_t(pit.read(uint16_t(0x40 + channel), 1, now));
    return uint16_t(high << 8 | low);
}

/* Advances to each deadline in turn until `end`; returns how many IRQ edges. */
unsigned run_until(Pit8254& pit, FakeInterruptController& pic, uint64_t end)
{
    for (uint64_t deadline = pit.next_irq_deadline_ns(0); deadline <= end; deadline = pit.next_irq_deadline_ns(deadline))
        pit.advance(deadline);
    pit.advance(end);
    return pic.rising_edges[0];
}

} // namespace

UNIT_TEST(pit_time_conversion_is_exact_and_round_trips)
{
    CHECK_EQ(Pit8254::ticks_at(1000000000), 1193182u);
    CHECK_EQ(Pit8254::ns_at(1193182), 1000000000u);
    CHECK_EQ(Pit8254::ns_at(1), 839u); /* 838.1 ns, rounded up */
    CHECK_EQ(Pit8254::ticks_at(838), 0u);
    for (uint64_t tick : {uint64_t(1), uint64_t(1193), uint64_t(65536), uint64_t(123456789012)})
        CHECK_EQ(Pit8254::ticks_at(Pit8254::ns_at(tick)), tick);
    /* A day of guest time does not overflow. */
    CHECK_EQ(Pit8254::ticks_at(86400ull * 1000000000), 86400ull * 1193182);
}

UNIT_TEST(pit_mode2_divisor_1193_fires_every_1193_ticks)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x34, 1193, 0);
    unsigned after_programming = pic.rising_edges[0];
    CHECK_EQ(pit.next_irq_deadline_ns(0), at(1193));
    pit.advance(at(1193) - 1);
    CHECK_EQ(pic.rising_edges[0], after_programming);
    pit.advance(at(1193));
    CHECK_EQ(pic.rising_edges[0], after_programming + 1);
    CHECK_EQ(pit.next_irq_deadline_ns(at(1193)), at(2 * 1193));
}

UNIT_TEST(pit_mode2_divisor_11932_gives_100_hz)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x34, 11932, 0);
    unsigned base = pic.rising_edges[0];
    /* 1193182 / 11932 = 99.998: the hundredth edge comes 15 ticks after 1 s. */
    CHECK_EQ(run_until(pit, pic, 1000000000) - base, 99u);
    CHECK_EQ(run_until(pit, pic, at(100 * 11932)) - base, 100u);
    CHECK_EQ(pit.irqs_raised(), 100u);
    CHECK_EQ(pit.ticks_coalesced(), 0u);
}

UNIT_TEST(pit_divisor_zero_means_65536)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x34, 0, 0);
    CHECK_EQ(pit.next_irq_deadline_ns(0), at(65536));
    CHECK_EQ(pit.count(0, at(1)), 65535u);
    CHECK_EQ(pit.count(0, 0), 0u); /* 65536 reads back as 0 */
}

UNIT_TEST(pit_count_decreases_over_time_in_mode2_and_reloads)
{
    Pit8254 pit;
    program(pit, 0, 0x34, 1000, 0);
    CHECK_EQ(read_latched(pit, 0, at(100)), 900u);
    CHECK_EQ(read_latched(pit, 0, at(999)), 1u);
    CHECK_EQ(read_latched(pit, 0, at(1000)), 1000u);
    CHECK_EQ(read_latched(pit, 0, at(1250)), 750u);
}

UNIT_TEST(pit_latch_freezes_the_count_until_both_bytes_are_read)
{
    Pit8254 pit;
    program(pit, 0, 0x34, 1000, 0);
    pit.write(0x43, 1, 0x00, at(100));
    pit.write(0x43, 1, 0x00, at(200)); /* ignored: already latched */
    CHECK_EQ(pit.read(0x40, 1, at(500)), 900u & 0xFF);
    CHECK_EQ(pit.read(0x40, 1, at(600)), 900u >> 8);
    /* Released: the next read sees the live count again. */
    CHECK_EQ(pit.read(0x40, 1, at(700)), 300u & 0xFF);
}

UNIT_TEST(pit_lobyte_hibyte_order_for_writes_and_reads)
{
    Pit8254 pit;
    pit.write(0x43, 1, 0x34, 0);
    pit.write(0x40, 1, 0x34, 0); /* LSB first */
    pit.write(0x40, 1, 0x12, 0);
    CHECK_EQ(pit.count(0, 0), 0x1234u);
    CHECK_EQ(pit.read(0x40, 1, 0), 0x34u);
    CHECK_EQ(pit.read(0x40, 1, 0), 0x12u);
}

UNIT_TEST(pit_lobyte_only_and_hibyte_only_access_modes)
{
    Pit8254 pit;
    pit.write(0x43, 1, 0x14, 0); /* channel 0, LSB only, mode 2 */
    pit.write(0x40, 1, 0x80, 0);
    CHECK_EQ(pit.count(0, 0), 0x80u);
    CHECK_EQ(pit.read(0x40, 1, 0), 0x80u);
    CHECK_EQ(pit.read(0x40, 1, 0), 0x80u); /* no flip-flop */
    pit.write(0x43, 1, 0x24, 0); /* MSB only */
    pit.write(0x40, 1, 0x02, 0);
    CHECK_EQ(pit.count(0, 0), 0x200u);
    CHECK_EQ(pit.read(0x40, 1, 0), 0x02u);
}

UNIT_TEST(pit_read_back_status_then_count)
{
    Pit8254 pit;
    pit.write(0x43, 1, 0x34, 0);
    pit.write(0x43, 1, 0xE2, 0); /* read back status of channel 0 */
    /* OUT high (mode 2), null count (no count yet), RW 3, mode 2, binary. */
    CHECK_EQ(pit.read(0x40, 1, 0), 0xF4u);
    pit.write(0x40, 1, 0xE8, 0);
    pit.write(0x40, 1, 0x03, 0); /* 1000 */
    pit.write(0x43, 1, 0xC2, at(10)); /* count and status */
    CHECK_EQ(pit.read(0x40, 1, at(20)), 0xB4u); /* null count cleared once counting */
    CHECK_EQ(pit.read(0x40, 1, at(20)), 990u & 0xFF);
    CHECK_EQ(pit.read(0x40, 1, at(20)), 990u >> 8);
}

UNIT_TEST(pit_read_back_selects_several_channels)
{
    Pit8254 pit;
    program(pit, 0, 0x30, 500, 0); /* mode 0 */
    program(pit, 1, 0x74, 600, 0); /* mode 2 */
    pit.write(0x43, 1, 0xD6, at(100)); /* latch counts of channels 0 and 1 */
    CHECK_EQ(pit.read(0x40, 1, at(300)), 400u & 0xFF);
    CHECK_EQ(pit.read(0x40, 1, at(300)), 400u >> 8);
    CHECK_EQ(pit.read(0x41, 1, at(300)), 500u & 0xFF);
    CHECK_EQ(pit.read(0x41, 1, at(300)), 500u >> 8);
}

UNIT_TEST(pit_mode0_is_one_shot_on_irq0)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x30, 5000, 0);
    CHECK(!pic.level[0]); /* mode 0 sets OUT low */
    CHECK_EQ(pit.next_irq_deadline_ns(0), at(5000));
    pit.advance(at(4999));
    CHECK(!pic.level[0]);
    pit.advance(at(5000));
    CHECK(pic.level[0]);
    CHECK_EQ(pic.rising_edges[0], 1u);
    CHECK_EQ(pit.next_irq_deadline_ns(at(5000)), Pit8254::NO_DEADLINE);
    pit.advance(at(100000));
    CHECK_EQ(pic.rising_edges[0], 1u);
    CHECK_EQ(pit.count(0, at(5001)), 0xFFFFu); /* the counter wraps and keeps counting */
}

UNIT_TEST(pit_mode4_strobe_raises_irq_once_after_terminal_count)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x38, 100, 0);
    unsigned base = pic.rising_edges[0];
    CHECK(pit.output(0, at(99)));
    CHECK(!pit.output(0, at(100)));
    CHECK(pit.output(0, at(101)));
    pit.advance(at(101));
    CHECK_EQ(pic.rising_edges[0] - base, 1u);
    CHECK_EQ(pit.next_irq_deadline_ns(at(101)), Pit8254::NO_DEADLINE);
}

UNIT_TEST(pit_mode3_square_wave_output)
{
    Pit8254 pit;
    program(pit, 1, 0x76, 100, 0);
    CHECK(pit.output(1, at(0)));
    CHECK(pit.output(1, at(49)));
    CHECK(!pit.output(1, at(50)));
    CHECK(!pit.output(1, at(99)));
    CHECK(pit.output(1, at(100)));
    CHECK_EQ(pit.count(1, at(10)), 80u); /* counts down by two */
    program(pit, 1, 0x76, 101, 0);       /* odd: 51 ticks high, 50 low */
    CHECK(pit.output(1, at(50)));
    CHECK(!pit.output(1, at(51)));
}

UNIT_TEST(pit_mode3_periodic_irq0_at_period_start)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x36, 11932, 0); /* the SWEB way: mode 3, 100 Hz */
    unsigned base = pic.rising_edges[0];
    CHECK_EQ(run_until(pit, pic, at(10 * 11932)) - base, 10u);
}

UNIT_TEST(pit_coalesces_missed_periods_beyond_the_backlog)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x34, 1193, 0);
    unsigned base = pic.rising_edges[0];
    pit.advance(1000000000); /* the guest was not run for a second */
    CHECK_EQ(pic.rising_edges[0] - base, 1u);
    CHECK_EQ(pit.irqs_raised(), 1u);
    CHECK_EQ(pit.backlog(), Pit8254::MAX_BACKLOG);
    CHECK_EQ(pit.ticks_coalesced(), 999u - Pit8254::MAX_BACKLOG); /* 1000 periods elapsed */
    /* The phase is kept: the next edge is on the original grid. */
    CHECK_EQ(pit.next_irq_deadline_ns(1000000000), at(1001 * 1193));
}

UNIT_TEST(pit_backlog_catches_up_one_edge_at_a_time)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x34, 1193, 0);
    unsigned base = pic.rising_edges[0];
    pit.advance(at(5 * 1193) + 1); /* five periods while the guest's thread slept */
    CHECK_EQ(pic.rising_edges[0] - base, 1u);
    CHECK_EQ(pit.backlog(), 4u);
    for (int i = 0; i < 4; ++i)
        CHECK(pit.deliver_backlog());
    CHECK(!pit.deliver_backlog());
    CHECK_EQ(pic.rising_edges[0] - base, 5u); /* every period reached the guest */
    CHECK_EQ(pit.irqs_raised(), 5u);
    CHECK_EQ(pit.ticks_coalesced(), 0u);
}

UNIT_TEST(pit_reprogramming_accounts_for_edges_before_the_change)
{
    FakeInterruptController pic;
    Pit8254 pit(devices::IrqLine(pic, 0));
    program(pit, 0, 0x34, 100, 0);
    unsigned base = pic.rising_edges[0];
    program(pit, 0, 0x34, 1000, at(150)); /* one edge happened at 100 */
    CHECK_EQ(pit.irqs_raised(), 1u);
    CHECK(pic.rising_edges[0] - base >= 1u);
    CHECK_EQ(pit.next_irq_deadline_ns(at(150)), at(1150));
}

UNIT_TEST(pit_idle_channel_has_no_deadline)
{
    Pit8254 pit;
    CHECK_EQ(pit.next_irq_deadline_ns(0), Pit8254::NO_DEADLINE);
    pit.write(0x43, 1, 0x34, 0); /* mode set, no count yet */
    CHECK_EQ(pit.next_irq_deadline_ns(0), Pit8254::NO_DEADLINE);
}

UNIT_TEST(pit_modes_6_and_7_are_modes_2_and_3)
{
    Pit8254 pit;
    pit.write(0x43, 1, 0x3C, 0); /* mode 6 */
    pit.write(0x43, 1, 0xE2, 0);
    CHECK_EQ((pit.read(0x40, 1, 0) >> 1) & 7, 2u);
}

UNIT_TEST(pit_channel2_tsc_calibration_through_port_61)
{
    /* Linux' pit_calibrate_tsc: gate on, speaker off, channel 2 mode 0 with 50 ms
     * of ticks, then poll bit 5 of port 0x61 until OUT2 goes high. */
    Pit8254 pit;
    SystemControlPort port61(pit);
    CHECK(!pit.gate(2));
    port61.write(0x61, 1, (port61.read(0x61, 1, 0) & ~0x02u) | 0x01, 0);
    CHECK(pit.gate(2));
    program(pit, 2, 0xB0, 59659, 0);
    CHECK_EQ(port61.read(0x61, 1, at(59658)) & 0x20, 0u);
    CHECK_EQ(port61.read(0x61, 1, at(59659)) & 0x20, 0x20u);
    CHECK_EQ(port61.read(0x61, 1, at(59659)) & 0x03, 0x01u);
    CHECK(!port61.speaker_enabled());
}

UNIT_TEST(pit_channel2_gate_low_pauses_mode0)
{
    Pit8254 pit;
    SystemControlPort port61(pit);
    port61.write(0x61, 1, 0x01, 0);
    program(pit, 2, 0xB0, 1000, 0);
    port61.write(0x61, 1, 0x00, at(300)); /* gate low: counting pauses */
    CHECK_EQ(pit.count(2, at(900)), 700u);
    port61.write(0x61, 1, 0x01, at(900));
    CHECK_EQ(pit.count(2, at(1000)), 600u);
    CHECK(!pit.output(2, at(1599)));
    CHECK(pit.output(2, at(1600)));
}

UNIT_TEST(pit_channel2_gate_rising_edge_restarts_mode2)
{
    Pit8254 pit;
    SystemControlPort port61(pit);
    port61.write(0x61, 1, 0x01, 0);
    program(pit, 2, 0xB4, 1000, 0);
    port61.write(0x61, 1, 0x00, at(400));
    CHECK(pit.output(2, at(500))); /* gate low forces OUT high */
    port61.write(0x61, 1, 0x01, at(500));
    CHECK_EQ(pit.count(2, at(600)), 900u); /* reloaded at the rising edge */
}

UNIT_TEST(pit_port61_refresh_bit_toggles_on_every_read)
{
    Pit8254 pit;
    SystemControlPort port61(pit);
    uint32_t first = port61.read(0x61, 1, 0) & 0x10;
    uint32_t second = port61.read(0x61, 1, 0) & 0x10;
    uint32_t third = port61.read(0x61, 1, 0) & 0x10;
    CHECK(first != second);
    CHECK_EQ(first, third);
    port61.write(0x61, 1, 0xFF, 0); /* read-only bits stay as they are */
    CHECK_EQ(port61.read(0x61, 1, 0) & 0xC0, 0u);
    CHECK(port61.speaker_enabled());
}

UNIT_TEST(pit_control_port_reads_as_all_ones)
{
    Pit8254 pit;
    CHECK_EQ(pit.read(0x43, 1, 0), 0xFFu);
}
