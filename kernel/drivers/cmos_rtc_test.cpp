/* In-kernel test of reading the CMOS clock, run with test=time: on the host it
 * reads the emulator's clock, in a guest of our hypervisor the MC146818 model
 * (hypervisor/devices/mc146818.h), which must look the same. */
#include "arch/x86_64/cpu.h"
#include "drivers/cmos_rtc.h"
#include "drivers/pit8254.h"
#include "test/kernel_test.h"

KERNEL_TEST(time, cmos_clock_shows_a_set_date_and_runs_forward)
{
    /* 0 means the registers held no date (never set, or not decoded); Bochs
     * starts its clock at 1 s past 1970 and the boot takes longer than that. */
    int64_t first = cmos_rtc::read_unix_seconds();
    uint64_t end = pit8254::ticks() + 20;
    while (pit8254::ticks() < end)
        cpu::enable_interrupts_and_halt();
    int64_t second = cmos_rtc::read_unix_seconds();
    EXPECT(first > 0);
    EXPECT(second >= first);
    EXPECT(second - first <= 1);
}
