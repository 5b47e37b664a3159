/* hypervisor/devices/mc146818: the CMOS clock against the MC146818A datasheet
 * (BCD and binary, 12- and 24-hour form, SET, UIP, status C and D) and the PC/AT
 * CMOS bytes, with deterministic time. */
#include "hypervisor/devices/mc146818.h"
#include "lib/calendar.h"
#include "unit_test.h"

#include <random>

using devices::Mc146818;

namespace {

constexpr uint64_t SECOND = Mc146818::NS_PER_SECOND;
constexpr uint64_t MIB = 1u << 20;
/* 2026-12-06 07:08:09 UTC, a Sunday. */
constexpr int64_t SUNDAY_MORNING = 1796540889;
/* 2026-12-31 23:59:59 UTC, a Thursday. */
constexpr int64_t NEW_YEARS_EVE = 1798761599;

uint8_t read(Mc146818& rtc, uint8_t index, uint64_t now)
{
    rtc.write(Mc146818::INDEX_PORT, 1, index, now);
    return uint8_t(rtc.read(Mc146818::DATA_PORT, 1, now));
}

void write(Mc146818& rtc, uint8_t index, uint8_t value, uint64_t now)
{
    rtc.write(Mc146818::INDEX_PORT, 1, index, now);
    rtc.write(Mc146818::DATA_PORT, 1, value, now);
}

/* A little-endian CMOS word. */
unsigned word(Mc146818& rtc, uint8_t index) { return read(rtc, index, 0) | unsigned(read(rtc, uint8_t(index + 1), 0)) << 8; }

struct Shown {
    uint8_t second, minute, hour, weekday, day, month, year, century;
    bool operator==(const Shown&) const = default;
};

Shown shown(Mc146818& rtc, uint64_t now)
{
    return {read(rtc, 0, now), read(rtc, 2, now), read(rtc, 4, now), read(rtc, 6, now),
            read(rtc, 7, now), read(rtc, 8, now), read(rtc, 9, now), read(rtc, 0x32, now)};
}

} // namespace

namespace unit {
inline std::string describe(const Shown& s)
{
    char text[80];
    std::snprintf(text, sizeof(text), "%02x%02x-%02x-%02x %02x:%02x:%02x wd %02x", s.century, s.year, s.month, s.day,
                  s.hour, s.minute, s.second, s.weekday);
    return text;
}
} // namespace unit

UNIT_TEST(rtc_reads_the_wall_clock_in_bcd_24_hour_form_by_default)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 5 * SECOND);
    CHECK_EQ(read(rtc, Mc146818::STATUS_B, 5 * SECOND), Mc146818::B_24_HOUR);
    CHECK_EQ(shown(rtc, 5 * SECOND), (Shown{0x09, 0x08, 0x07, 0x01, 0x06, 0x12, 0x26, 0x20}));
    CHECK_EQ(rtc.wall_clock(5 * SECOND + SECOND / 2), SUNDAY_MORNING);
}

UNIT_TEST(rtc_clock_runs_on_over_midnight_and_the_year_end)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(NEW_YEARS_EVE, 0);
    CHECK_EQ(read(rtc, 0, SECOND - 1), 0x59u);
    /* 2027-01-01 00:00:01, a Friday (6). */
    CHECK_EQ(shown(rtc, 2 * SECOND), (Shown{0x01, 0x00, 0x00, 0x06, 0x01, 0x01, 0x27, 0x20}));
}

UNIT_TEST(rtc_binary_mode_of_status_b_shows_binary_values)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 0);
    write(rtc, Mc146818::STATUS_B, Mc146818::B_24_HOUR | Mc146818::B_BINARY, 0);
    CHECK_EQ(shown(rtc, 0), (Shown{9, 8, 7, 1, 6, 12, 26, 20}));
    CHECK_EQ(shown(rtc, 60 * SECOND).minute, 9u);
}

UNIT_TEST(rtc_twelve_hour_form_marks_pm_in_bit_7)
{
    Mc146818 rtc(32 * MIB);
    write(rtc, Mc146818::STATUS_B, 0, 0); /* BCD, 12-hour */
    struct {
        int64_t hour;
        uint8_t shown;
    } cases[] = {{0, 0x12}, {7, 0x07}, {11, 0x11}, {12, 0x92}, {13, 0x81}, {23, 0x91}};
    for (const auto& c : cases) {
        rtc.set_wall_clock(c.hour * 3600, 0);
        CHECK_EQ(read(rtc, Mc146818::HOURS, 0), c.shown);
    }
}

UNIT_TEST(rtc_update_in_progress_only_in_the_last_244_us_of_each_second)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 0);
    CHECK_EQ(read(rtc, Mc146818::STATUS_A, SECOND / 2), Mc146818::A_DEFAULT);
    CHECK_EQ(read(rtc, Mc146818::STATUS_A, SECOND - Mc146818::UPDATE_WARNING_NS - 1), Mc146818::A_DEFAULT);
    CHECK_EQ(read(rtc, Mc146818::STATUS_A, SECOND - 1000), Mc146818::A_DEFAULT | Mc146818::A_UPDATE_IN_PROGRESS);
    CHECK_EQ(read(rtc, Mc146818::STATUS_A, SECOND), Mc146818::A_DEFAULT);
    /* UIP is read only; the divider and rate bits are kept. */
    write(rtc, Mc146818::STATUS_A, 0xA3, 0);
    CHECK_EQ(read(rtc, Mc146818::STATUS_A, 0), 0x23u);
}

UNIT_TEST(rtc_set_bit_holds_the_clock_and_it_runs_on_from_what_was_written)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 0);
    write(rtc, Mc146818::STATUS_B, Mc146818::B_SET | Mc146818::B_24_HOUR | Mc146818::B_UIE, 0);
    CHECK_EQ(read(rtc, Mc146818::STATUS_B, 0), Mc146818::B_SET | Mc146818::B_24_HOUR); /* SET clears UIE */
    /* 2000-02-29 23:59:58, a leap day. */
    uint8_t values[][2] = {{0x32, 0x20}, {9, 0x00}, {8, 0x02}, {7, 0x29}, {4, 0x23}, {2, 0x59}, {0, 0x58}};
    for (auto& v : values)
        write(rtc, v[0], v[1], SECOND);
    CHECK_EQ(read(rtc, 0, 10 * SECOND), 0x58u); /* held while SET */
    CHECK_EQ(read(rtc, Mc146818::STATUS_A, 10 * SECOND - 1000) & Mc146818::A_UPDATE_IN_PROGRESS, 0);
    write(rtc, Mc146818::STATUS_B, Mc146818::B_24_HOUR, 20 * SECOND);
    /* 2000-03-01 00:00:01, a Wednesday (4): the weekday is the calendar's. */
    CHECK_EQ(shown(rtc, 23 * SECOND), (Shown{0x01, 0x00, 0x00, 0x04, 0x01, 0x03, 0x00, 0x20}));
    CHECK_EQ(rtc.wall_clock(23 * SECOND), 951868801);
}

UNIT_TEST(rtc_writing_a_running_clock_keeps_it_running_from_the_new_value)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 0); /* 07:08:09 */
    write(rtc, Mc146818::MINUTES, 0x30, SECOND / 2);
    CHECK_EQ(read(rtc, Mc146818::MINUTES, SECOND / 2), 0x30u);
    CHECK_EQ(read(rtc, Mc146818::SECONDS, SECOND / 2), 0x09u);
    /* 51 s later: 07:31:00, the second boundary where it was. */
    CHECK_EQ(read(rtc, Mc146818::MINUTES, 51 * SECOND), 0x31u);
    CHECK_EQ(read(rtc, Mc146818::SECONDS, 51 * SECOND - 1), 0x59u);
}

UNIT_TEST(rtc_impossible_values_written_become_a_real_date)
{
    Mc146818 rtc(32 * MIB);
    write(rtc, Mc146818::STATUS_B, Mc146818::B_SET | Mc146818::B_24_HOUR, 0);
    uint8_t values[][2] = {{0x32, 0xFF}, {9, 0x9A}, {8, 0x13}, {7, 0x45}, {4, 0x99}, {2, 0x7F}, {0, 0xFF}};
    for (auto& v : values)
        write(rtc, v[0], v[1], 0);
    write(rtc, Mc146818::STATUS_B, Mc146818::B_24_HOUR, 0);
    Shown now = shown(rtc, 0);
    CHECK_EQ(now.month, 0x12u);
    CHECK_EQ(now.day, 0x31u);
    CHECK_EQ(now.hour, 0x23u);
    CHECK_EQ(now.minute, 0x59u);
}

UNIT_TEST(rtc_status_c_flags_are_cleared_by_reading)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 0);
    write(rtc, Mc146818::STATUS_A, 0x20, 0); /* no periodic rate */
    CHECK_EQ(read(rtc, Mc146818::STATUS_C, SECOND / 2), 0u);
    CHECK_EQ(read(rtc, Mc146818::STATUS_C, SECOND + 1), Mc146818::C_UF);
    CHECK_EQ(read(rtc, Mc146818::STATUS_C, SECOND + 2), 0u);
    write(rtc, Mc146818::STATUS_B, Mc146818::B_24_HOUR | Mc146818::B_UIE, SECOND + 2);
    CHECK_EQ(read(rtc, Mc146818::STATUS_C, 2 * SECOND), Mc146818::C_UF | Mc146818::C_IRQF);
    /* 1024 Hz: a periodic flag each 976.5625 us. */
    write(rtc, Mc146818::STATUS_A, Mc146818::A_DEFAULT, 2 * SECOND);
    read(rtc, Mc146818::STATUS_C, 2 * SECOND);
    CHECK_EQ(read(rtc, Mc146818::STATUS_C, 2 * SECOND + 1000000), Mc146818::C_PF);
}

UNIT_TEST(rtc_status_d_shows_valid_ram_and_ignores_writes)
{
    Mc146818 rtc(32 * MIB);
    write(rtc, Mc146818::STATUS_D, 0x00, 0);
    CHECK_EQ(read(rtc, Mc146818::STATUS_D, 0), Mc146818::D_VALID_RAM);
}

UNIT_TEST(rtc_index_port_takes_the_nmi_bit_and_reads_as_floating_bus)
{
    Mc146818 rtc(32 * MIB);
    rtc.write(Mc146818::INDEX_PORT, 1, Mc146818::NMI_DISABLE | Mc146818::STATUS_D, 0);
    CHECK(rtc.nmi_disabled());
    CHECK_EQ(rtc.read(Mc146818::DATA_PORT, 1, 0), uint32_t(Mc146818::D_VALID_RAM));
    CHECK_EQ(rtc.read(Mc146818::INDEX_PORT, 1, 0), 0xFFu);
    rtc.write(Mc146818::INDEX_PORT, 1, Mc146818::STATUS_D, 0);
    CHECK(!rtc.nmi_disabled());
}

UNIT_TEST(rtc_cmos_ram_keeps_what_the_guest_writes)
{
    Mc146818 rtc(32 * MIB);
    write(rtc, 0x50, 0xAB, 0);
    write(rtc, 0x7F, 0xCD, 0);
    CHECK_EQ(read(rtc, 0x50, 0), 0xABu);
    CHECK_EQ(read(rtc, 0xD0, 0), 0xABu); /* bit 7 of the index is the NMI mask */
    CHECK_EQ(read(rtc, 0x7F, 0), 0xCDu);
}

UNIT_TEST(rtc_cmos_bytes_describe_the_machine_as_a_bios_does)
{
    Mc146818 rtc(32 * MIB);
    CHECK_EQ(read(rtc, Mc146818::FLOPPY_TYPES, 0), 0u);
    CHECK_EQ(read(rtc, Mc146818::HARD_DISK_TYPES, 0), 0u);
    CHECK_EQ(read(rtc, Mc146818::EQUIPMENT, 0), 0x02u);
    CHECK_EQ(word(rtc, 0x15), 640u);
    CHECK_EQ(word(rtc, 0x17), 31u * 1024);
    CHECK_EQ(word(rtc, 0x30), 31u * 1024);
    CHECK_EQ(word(rtc, 0x34), 256u); /* 16 MiB in 64 KiB blocks */
    unsigned sum = 0;
    for (uint8_t index = 0x10; index < 0x2E; ++index)
        sum += read(rtc, index, 0);
    CHECK_EQ(unsigned(read(rtc, 0x2E, 0)) << 8 | read(rtc, 0x2F, 0), sum);
}

UNIT_TEST(rtc_cmos_memory_sizes_are_capped_as_bioses_cap_them)
{
    Mc146818 large(3072 * MIB);
    CHECK_EQ(word(large, 0x17), 0xFC00u);
    CHECK_EQ(word(large, 0x34), (3072u - 16) * 16);
    Mc146818 small(4 * MIB);
    CHECK_EQ(word(small, 0x17), 3u * 1024);
    CHECK_EQ(word(small, 0x34), 0u);
}

UNIT_TEST(rtc_random_port_io_always_shows_a_real_date)
{
    Mc146818 rtc(32 * MIB);
    rtc.set_wall_clock(SUNDAY_MORNING, 0);
    std::mt19937 random(146818);
    uint64_t now = 0;
    for (int i = 0; i < 20000; ++i) {
        now += random() % (SECOND / 4);
        auto port = uint16_t(0x70 + random() % 2);
        if (random() % 2)
            rtc.write(port, 1, random() & 0xFF, now);
        else
            rtc.read(port, 1, now);
    }
    write(rtc, Mc146818::STATUS_B, Mc146818::B_24_HOUR | Mc146818::B_BINARY, now);
    Shown date = shown(rtc, now);
    CHECK(date.month >= 1 && date.month <= 12);
    CHECK(date.day >= 1 && date.day <= 31);
    CHECK(date.hour <= 23 && date.minute <= 59 && date.second <= 59);
    CHECK(date.weekday >= 1 && date.weekday <= 7);
}

UNIT_TEST(calendar_days_and_dates_agree_over_four_centuries)
{
    for (int64_t days = -800000; days < 800000; days += 97) {
        calendar::Date date = calendar::date_from_days(days);
        CHECK_EQ(calendar::days_since_epoch(date), days);
        CHECK(date.day >= 1 && date.day <= calendar::days_in_month(date.year, date.month));
    }
    CHECK(calendar::is_leap_year(2000) && !calendar::is_leap_year(1900) && calendar::is_leap_year(2024));
}
