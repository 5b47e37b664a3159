/* Dates of the proleptic Gregorian calendar as days since 1970-01-01, for the
 * real-time clocks (the host's CMOS clock and the guests' MC146818 model): a
 * year is a leap year when divisible by 4, except centuries not divisible by
 * 400. Pure arithmetic, header only, shared by the kernel and the build machine. */
#pragma once
#include <stdint.h>

namespace calendar {

constexpr int64_t SECONDS_PER_DAY = 86400;

struct Date {
    int64_t year;      /* e.g. 2026 */
    unsigned month;    /* 1-12 */
    unsigned day;      /* 1-31 */
};

constexpr bool is_leap_year(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

constexpr unsigned days_in_month(int64_t year, unsigned month)
{
    constexpr unsigned DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return DAYS[month - 1] + (month == 2 && is_leap_year(year) ? 1 : 0);
}

/* Counting in 400-year eras that begin on 1 March, so that the leap day is the
 * last day of its year and every era has the same 146097 days. */
constexpr int64_t days_since_epoch(Date date)
{
    int64_t year = date.year - (date.month <= 2 ? 1 : 0);
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;                                     /* 0-399 */
    int64_t month_from_march = date.month > 2 ? date.month - 3 : date.month + 9; /* 0-11 */
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;       /* 0-365 */
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468; /* 719468: days from 0000-03-01 to 1970-01-01 */
}

constexpr Date date_from_days(int64_t days)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;                                                          /* 0-146096 */
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365; /* 0-399 */
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    auto day = unsigned(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    auto month = unsigned(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

/* 1 = Sunday ... 7 = Saturday, as the MC146818's day-of-week register counts;
 * 1970-01-01 was a Thursday. */
constexpr unsigned day_of_week(int64_t days)
{
    int64_t weekday = (days + 4) % 7;
    return unsigned(weekday < 0 ? weekday + 7 : weekday) + 1;
}

static_assert(days_since_epoch({1970, 1, 1}) == 0);
static_assert(days_since_epoch({2000, 3, 1}) == 11017);
static_assert(date_from_days(11016).month == 2 && date_from_days(11016).day == 29);
static_assert(day_of_week(0) == 5);

} // namespace calendar
