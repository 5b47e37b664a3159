/* Time since boot: the PIT's ticks, and nanoseconds from the time stamp counter
 * (TSC) once it is calibrated against the PIT. The TSC's rate is taken to be
 * constant (Intel SDM revision 084, Vol. 3B, "Time-Stamp Counter": invariant TSC
 * on current CPUs; in Bochs and QEMU it follows emulated or host time). */
#pragma once
#include <stdint.h>

namespace clock {

constexpr uint64_t NS_PER_MS = 1000000;

enum class CalibrationMethod {
    hypervisor,   /* the TSC frequency our hypervisor reports (CPUID leaf
                     0x40000001, ECX in kHz): exact, where measuring through
                     emulated ports is slow and, two levels down, off by percent */
    pit_one_shot, /* TSC over PIT channel 2 counting 10 ms, the best of five */
    pit_ticks,    /* TSC over single ticks of channel 0, the median of 41: where
                     channel 2 cannot be read */
};

enum class ClockError {
    none,
    no_time_source, /* channel 2 cannot be read and no tick came (interrupts off?) */
};

struct Calibration {
    ClockError error;
    CalibrationMethod method;
    uint64_t tsc_hz;
};

/* Takes the TSC's frequency from our hypervisor when it runs as our guest, or
 * measures it; from then on nanoseconds() reads the TSC. Needs pit8254::init()
 * first, and interrupts on for the last method. */
[[nodiscard]] Calibration calibrate();

/* One measurement of the TSC frequency with `method`, 0 when the method does not
 * work here; changes nothing. For tests and diagnostics. */
uint64_t measure_tsc_hz(CalibrationMethod method);

/* The calibrated TSC frequency, 0 before calibrate() succeeded. */
uint64_t tsc_hz();
/* A TSC difference in nanoseconds (needs a calibrated clock). */
uint64_t tsc_to_nanoseconds(uint64_t tsc_delta);

/* PIT ticks since the timer started, each pit8254::tick_ns() long. */
uint64_t ticks();
/* Nanoseconds since the timer started: from the TSC once calibrated, from the
 * tick count (millisecond steps) before. */
uint64_t nanoseconds();

/* Spins for at least `ns` nanoseconds. Before calibration it counts ticks, so
 * interrupts must be on. */
void busy_wait_ns(uint64_t ns);

const char* calibration_method_name(CalibrationMethod method);

} // namespace clock
