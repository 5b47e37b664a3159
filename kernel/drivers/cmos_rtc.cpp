/* Reading the host's CMOS clock; see cmos_rtc.h. */
#include "drivers/cmos_rtc.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "lib/calendar.h"

namespace cmos_rtc {

namespace {

constexpr uint16_t INDEX_PORT = 0x70, DATA_PORT = 0x71;
constexpr uint8_t STATUS_A = 0x0A, STATUS_B = 0x0B, CENTURY = 0x32;
constexpr uint8_t A_UPDATE_IN_PROGRESS = 0x80;
constexpr uint8_t B_BINARY = 0x04, B_24_HOUR = 0x02;
constexpr uint8_t HOUR_PM = 0x80;
/* UIP lasts at most 244 us plus the 1984 us update; each port read takes about a
 * microsecond, so this many reads outlast it on any machine. */
constexpr unsigned MAX_UIP_POLLS = 100000;

struct Registers {
    uint8_t second, minute, hour, day, month, year, century;
    bool operator==(const Registers&) const = default;
};

uint8_t read_register(uint8_t index)
{
    cpu::outb(INDEX_PORT, index);
    return cpu::inb(DATA_PORT);
}

Registers read_registers()
{
    for (unsigned poll = 0; poll < MAX_UIP_POLLS && (read_register(STATUS_A) & A_UPDATE_IN_PROGRESS); ++poll) {
    }
    return {read_register(0x00), read_register(0x02), read_register(0x04), read_register(0x07),
            read_register(0x08), read_register(0x09), read_register(CENTURY)};
}

unsigned decode(uint8_t value, bool binary) { return binary ? value : (value >> 4) * 10 + (value & 0x0F); }

} // namespace

int64_t read_unix_seconds()
{
    InterruptGuard guard; /* the index and data ports are one shared pair */
    Registers registers = read_registers();
    for (int attempt = 0; attempt < 3; ++attempt) {
        Registers again = read_registers();
        if (again == registers)
            break;
        registers = again;
    }
    uint8_t status_b = read_register(STATUS_B);
    bool binary = status_b & B_BINARY;
    unsigned hour = decode(uint8_t(registers.hour & ~HOUR_PM), binary);
    if (!(status_b & B_24_HOUR))
        hour = hour % 12 + (registers.hour & HOUR_PM ? 12 : 0);
    unsigned year = decode(registers.year, binary) % 100;
    /* Not every machine keeps a century byte: without a plausible one, years
     * 70-99 are taken for 19xx and the rest for 20xx. */
    unsigned century = decode(registers.century, binary);
    if (century < 19 || century > 99)
        century = year >= 70 ? 19 : 20;
    calendar::Date date{int64_t(century) * 100 + year, decode(registers.month, binary), decode(registers.day, binary)};
    if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > calendar::days_in_month(date.year, date.month))
        return 0; /* a clock that was never set: the epoch */
    int64_t seconds_of_day = int64_t(hour % 24) * 3600 + decode(registers.minute, binary) % 60 * 60 +
                             decode(registers.second, binary) % 60;
    return calendar::days_since_epoch(date) * calendar::SECONDS_PER_DAY + seconds_of_day;
}

} // namespace cmos_rtc
