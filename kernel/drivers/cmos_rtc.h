/* The host's CMOS real-time clock (MC146818A at ports 0x70/0x71), read once when
 * a VM is created so that the guest's clock starts at the host's wall-clock time.
 * Follows the Motorola MC146818A datasheet ("Update Cycle": registers are read
 * while UIP is clear, twice until both reads agree). */
#pragma once
#include <stdint.h>

namespace cmos_rtc {

/* Seconds since 1970-01-01 00:00:00 as the clock shows them (the clock keeps
 * local or universal time as the machine's owner set it). */
int64_t read_unix_seconds();

} // namespace cmos_rtc
