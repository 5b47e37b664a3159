/* The CMOS real-time clock; see mc146818.h. */
#include "hypervisor/devices/mc146818.h"

#include "lib/calendar.h"

namespace devices {

namespace {

constexpr uint64_t KIB = 1024, MIB = 1024 * KIB;
constexpr uint64_t MAX_EXTENDED_KIB = 0xFC00; /* what BIOSes report at most in 0x17-0x18 */
/* Status A's periodic rate select (bits 3:0); the divider (bits 6:4) is stored. */
constexpr uint8_t A_RATE_MASK = 0x0F;
constexpr uint8_t B_INTERRUPT_ENABLES = Mc146818::B_PIE | Mc146818::B_AIE | Mc146818::B_UIE;

unsigned clamp(unsigned value, unsigned low, unsigned high) { return value < low ? low : value > high ? high : value; }

int64_t floor_divide(int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    return value % divisor < 0 ? quotient - 1 : quotient;
}

} // namespace

Mc146818::Mc146818(uint64_t ram_bytes)
{
    cmos_[STATUS_A] = A_DEFAULT;
    cmos_[STATUS_B] = B_DEFAULT;
    cmos_[STATUS_D] = D_VALID_RAM;
    /* A PC without floppy drives or hard disks in the BIOS tables, with a math
     * coprocessor (bit 1) and an EGA/VGA (bits 5:4 = 0). */
    cmos_[FLOPPY_TYPES] = 0;
    cmos_[HARD_DISK_TYPES] = 0;
    cmos_[EQUIPMENT] = 0x02;
    uint64_t base_kib = 640;
    cmos_[BASE_MEMORY_LOW] = uint8_t(base_kib);
    cmos_[BASE_MEMORY_HIGH] = uint8_t(base_kib >> 8);
    uint64_t extended_kib = ram_bytes > MIB ? (ram_bytes - MIB) / KIB : 0;
    extended_kib = extended_kib > MAX_EXTENDED_KIB ? MAX_EXTENDED_KIB : extended_kib;
    cmos_[EXTENDED_MEMORY_LOW] = cmos_[POST_EXTENDED_MEMORY_LOW] = uint8_t(extended_kib);
    cmos_[EXTENDED_MEMORY_HIGH] = cmos_[POST_EXTENDED_MEMORY_HIGH] = uint8_t(extended_kib >> 8);
    uint64_t blocks_above_16m = ram_bytes > 16 * MIB ? (ram_bytes - 16 * MIB) / (64 * KIB) : 0;
    blocks_above_16m = blocks_above_16m > 0xFFFF ? 0xFFFF : blocks_above_16m;
    cmos_[MEMORY_ABOVE_16M_LOW] = uint8_t(blocks_above_16m);
    cmos_[MEMORY_ABOVE_16M_HIGH] = uint8_t(blocks_above_16m >> 8);
    update_checksum();
    set_wall_clock(0, 0);
}

void Mc146818::update_checksum()
{
    unsigned sum = 0;
    for (uint8_t index = FLOPPY_TYPES; index < CHECKSUM_HIGH; ++index)
        sum += cmos_[index];
    cmos_[CHECKSUM_HIGH] = uint8_t(sum >> 8);
    cmos_[CHECKSUM_LOW] = uint8_t(sum);
}

void Mc146818::set_wall_clock(int64_t unix_seconds, uint64_t now_ns)
{
    base_seconds_ = unix_seconds;
    base_ns_ = now_ns;
    last_c_second_ = unix_seconds;
    last_c_period_ = 0;
    store_time(time_from_seconds(unix_seconds));
}

int64_t Mc146818::wall_clock(uint64_t now_ns) const
{
    uint64_t elapsed = now_ns > base_ns_ ? now_ns - base_ns_ : 0;
    return base_seconds_ + int64_t(elapsed / NS_PER_SECOND);
}

Mc146818::Time Mc146818::time_from_seconds(int64_t seconds)
{
    int64_t days = floor_divide(seconds, calendar::SECONDS_PER_DAY);
    auto of_day = unsigned(seconds - days * calendar::SECONDS_PER_DAY);
    calendar::Date date = calendar::date_from_days(days);
    return {date.year, date.month, date.day, of_day / 3600, of_day / 60 % 60, of_day % 60, calendar::day_of_week(days)};
}

int64_t Mc146818::seconds_from_time(const Time& time)
{
    int64_t days = calendar::days_since_epoch({time.year, time.month, time.day});
    return days * calendar::SECONDS_PER_DAY + time.hour * 3600 + time.minute * 60 + time.second;
}

uint8_t Mc146818::encode(unsigned value) const
{
    if (cmos_[STATUS_B] & B_BINARY)
        return uint8_t(value);
    return uint8_t((value / 10 % 10) << 4 | value % 10);
}

unsigned Mc146818::decode(uint8_t value) const
{
    if (cmos_[STATUS_B] & B_BINARY)
        return value;
    return (value >> 4) * 10 + (value & 0x0F);
}

uint8_t Mc146818::encode_hour(unsigned hour) const
{
    if (cmos_[STATUS_B] & B_24_HOUR)
        return encode(hour);
    unsigned twelve = hour % 12 == 0 ? 12 : hour % 12;
    return uint8_t(encode(twelve) | (hour >= 12 ? HOUR_PM : 0));
}

unsigned Mc146818::decode_hour(uint8_t value) const
{
    if (cmos_[STATUS_B] & B_24_HOUR)
        return decode(value);
    unsigned twelve = decode(uint8_t(value & ~HOUR_PM));
    return twelve % 12 + (value & HOUR_PM ? 12 : 0);
}

void Mc146818::store_time(const Time& time)
{
    cmos_[SECONDS] = encode(time.second);
    cmos_[MINUTES] = encode(time.minute);
    cmos_[HOURS] = encode_hour(time.hour);
    cmos_[DAY_OF_WEEK] = encode(time.weekday);
    cmos_[DAY_OF_MONTH] = encode(time.day);
    cmos_[MONTH] = encode(time.month);
    /* Years before 0 or after 9999 cannot be shown; they wrap like the registers. */
    int64_t year = time.year % 10000;
    year = year < 0 ? year + 10000 : year;
    cmos_[YEAR] = encode(unsigned(year % 100));
    cmos_[CENTURY] = encode(unsigned(year / 100));
}

Mc146818::Time Mc146818::registers_time() const
{
    /* A guest may write anything (a BCD digit above 9, hour 25): each field is
     * forced into its range so that the clock always shows a real date. */
    Time time{};
    time.year = clamp(decode(cmos_[CENTURY]), 0, 99) * 100 + clamp(decode(cmos_[YEAR]), 0, 99);
    time.month = clamp(decode(cmos_[MONTH]), 1, 12);
    time.day = clamp(decode(cmos_[DAY_OF_MONTH]), 1, calendar::days_in_month(time.year, time.month));
    time.hour = clamp(decode_hour(cmos_[HOURS]), 0, 23);
    time.minute = clamp(decode(cmos_[MINUTES]), 0, 59);
    time.second = clamp(decode(cmos_[SECONDS]), 0, 59);
    return time;
}

void Mc146818::update_clock(uint64_t now_ns)
{
    if (cmos_[STATUS_B] & B_SET)
        return;
    store_time(time_from_seconds(wall_clock(now_ns)));
}

uint64_t Mc146818::periodic_interval_ns() const
{
    unsigned rate = cmos_[STATUS_A] & A_RATE_MASK;
    if (rate == 0)
        return 0;
    /* Rates 1 and 2 repeat rates 8 and 9 on a 32.768 kHz time base ("Periodic
     * Interrupt Rate" table); the others give 2^(rate-1) / 32768 s. */
    if (rate < 3)
        rate += 7;
    return (uint64_t(1) << (rate - 1)) * NS_PER_SECOND / 32768;
}

uint8_t Mc146818::read_status_c(uint64_t now_ns)
{
    uint8_t flags = 0;
    if (!(cmos_[STATUS_B] & B_SET)) {
        int64_t second = wall_clock(now_ns);
        if (second != last_c_second_)
            flags |= C_UF;
        last_c_second_ = second;
    }
    if (uint64_t interval = periodic_interval_ns()) {
        uint64_t period = now_ns / interval;
        if (period != last_c_period_)
            flags |= C_PF;
        last_c_period_ = period;
    }
    if (flags & cmos_[STATUS_B] & B_INTERRUPT_ENABLES)
        flags |= C_IRQF;
    return flags;
}

uint8_t Mc146818::read_register(uint8_t index, uint64_t now_ns)
{
    index &= CMOS_BYTES - 1;
    switch (index) {
    case SECONDS:
    case MINUTES:
    case HOURS:
    case DAY_OF_WEEK:
    case DAY_OF_MONTH:
    case MONTH:
    case YEAR:
    case CENTURY:
        update_clock(now_ns);
        return cmos_[index];
    case STATUS_A: {
        bool in_progress = false;
        if (!(cmos_[STATUS_B] & B_SET) && now_ns >= base_ns_)
            in_progress = (now_ns - base_ns_) % NS_PER_SECOND >= NS_PER_SECOND - UPDATE_WARNING_NS;
        return uint8_t((cmos_[STATUS_A] & ~A_UPDATE_IN_PROGRESS) | (in_progress ? A_UPDATE_IN_PROGRESS : 0));
    }
    case STATUS_C:
        return read_status_c(now_ns);
    case STATUS_D:
        return D_VALID_RAM;
    default:
        return cmos_[index];
    }
}

void Mc146818::write_register(uint8_t index, uint8_t value, uint64_t now_ns)
{
    index &= CMOS_BYTES - 1;
    switch (index) {
    case SECONDS:
    case MINUTES:
    case HOURS:
    case DAY_OF_WEEK:
    case DAY_OF_MONTH:
    case MONTH:
    case YEAR:
    case CENTURY: {
        bool running = !(cmos_[STATUS_B] & B_SET);
        uint64_t into_second = running && now_ns > base_ns_ ? (now_ns - base_ns_) % NS_PER_SECOND : 0;
        update_clock(now_ns);
        cmos_[index] = value;
        /* A running clock goes on from what was written, in the same phase of
         * its second; a stopped one starts from it when SET is cleared. The
         * day of the week is the calendar's, whatever was written. */
        if (running) {
            base_seconds_ = seconds_from_time(registers_time());
            base_ns_ = now_ns - into_second;
            update_clock(now_ns);
        }
        return;
    }
    case STATUS_A:
        cmos_[STATUS_A] = uint8_t(value & ~A_UPDATE_IN_PROGRESS);
        return;
    case STATUS_B: {
        bool was_set = cmos_[STATUS_B] & B_SET;
        update_clock(now_ns); /* freezes the registers in the old form if SET is coming */
        /* Setting SET clears UIE ("Register B", bit 7). */
        cmos_[STATUS_B] = value & B_SET ? uint8_t(value & ~B_UIE) : value;
        if (was_set && !(value & B_SET)) {
            base_seconds_ = seconds_from_time(registers_time());
            base_ns_ = now_ns;
            last_c_second_ = base_seconds_;
            update_clock(now_ns);
        }
        return;
    }
    case STATUS_C:
    case STATUS_D:
        return; /* read only */
    default:
        cmos_[index] = value;
    }
}

uint32_t Mc146818::read(uint16_t port, unsigned, uint64_t now_ns)
{
    if (port != DATA_PORT)
        return 0xFF;
    return read_register(index_, now_ns);
}

void Mc146818::write(uint16_t port, unsigned, uint32_t value, uint64_t now_ns)
{
    if (port == INDEX_PORT) {
        nmi_disabled_ = value & NMI_DISABLE;
        index_ = uint8_t(value & (CMOS_BYTES - 1));
        return;
    }
    write_register(index_, uint8_t(value), now_ns);
}

} // namespace devices
