/* TSC calibration and the boot clock; see clock.h. */
#include "clock.h"

#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "drivers/pit8254.h"

#include <stddef.h>

namespace clock {

namespace {

/* 2386 input clocks are 2.000 ms (2386 / 1193182 Hz = 1999.69 us). Many short
 * rounds rather than one long one: an emulator preempted by its host delays
 * some rounds, and a short round is more likely to escape. */
constexpr uint16_t ONE_SHOT_COUNT = 2386;
constexpr int ONE_SHOT_ROUNDS = 25;
/* A channel 2 that never ends its count within this many polls is taken to be
 * missing (each poll is a port read: about a microsecond on hardware). */
constexpr uint64_t ONE_SHOT_POLL_LIMIT = 20'000'000;
constexpr size_t TICK_INTERVALS = 41;
constexpr uint64_t TICK_WAIT_POLL_LIMIT = 200'000'000;

uint64_t calibrated_hz = 0;
/* tsc_to_nanoseconds(d) = d * ns_per_tsc_q32 / 2^32: a multiply instead of a
 * division on every clock read. */
uint64_t ns_per_tsc_q32 = 0;
uint64_t origin_tsc = 0;
uint64_t origin_ns = 0;

/* The frequency our hypervisor reports, 0 on hardware or under another
 * hypervisor: the "hypervisor present" bit (CPUID.1:ECX[31]) first, since on
 * hardware leaf 0x40000000 answers with the highest basic leaf's values. The
 * guest's TSC runs at the host's rate (only offset), so the host's calibration
 * is the guest's. */
uint64_t reported_by_hypervisor()
{
    if (!(cpu::cpuid(1).ecx & (1u << 31)))
        return 0;
    cpu::CpuidResult base = cpu::cpuid(HYPERVISOR_CPUID_BASE);
    if (base.ebx != HYPERVISOR_SIGNATURE_EBX || base.ecx != HYPERVISOR_SIGNATURE_EBX ||
        base.edx != HYPERVISOR_SIGNATURE_EBX || base.eax < HYPERVISOR_CPUID_FEATURES)
        return 0;
    return uint64_t(cpu::cpuid(HYPERVISOR_CPUID_FEATURES).ecx) * 1000;
}

/* TSC cycles of one channel 2 one-shot, or 0 when channel 2 does not work. */
uint64_t time_one_shot()
{
    pit8254::prepare_one_shot(ONE_SHOT_COUNT);
    /* Mode 0 drives the output low until the count runs out: high already means
     * nobody emulates it. */
    if (pit8254::one_shot_done())
        return 0;
    /* The TSC is read before the gate opens and after the output is seen high,
     * so any delay in between makes the round longer, never shorter. */
    uint64_t start = cpu::rdtsc();
    pit8254::start_one_shot();
    for (uint64_t polls = 0; polls < ONE_SHOT_POLL_LIMIT; ++polls) {
        if (pit8254::one_shot_done())
            return cpu::rdtsc() - start;
    }
    return 0;
}

/* The fastest of the rounds: an interrupt or a preempted emulator only ever
 * makes a round longer. */
uint64_t measure_with_one_shot()
{
    uint64_t best = 0;
    for (int round = 0; round < ONE_SHOT_ROUNDS; ++round) {
        uint64_t cycles = time_one_shot();
        if (!cycles)
            return 0;
        if (!best || cycles < best)
            best = cycles;
    }
    return best * pit8254::INPUT_HZ / ONE_SHOT_COUNT;
}

/* Sorts `values` in place (insertion sort: a few dozen values) and returns the
 * middle one. */
uint64_t median(uint64_t* values, size_t count)
{
    for (size_t i = 1; i < count; ++i) {
        uint64_t value = values[i];
        size_t j = i;
        for (; j > 0 && values[j - 1] > value; --j)
            values[j] = values[j - 1];
        values[j] = value;
    }
    return values[count / 2];
}

/* Waits for the tick count to pass `after`; false when no tick came. */
bool wait_for_tick_after(uint64_t after)
{
    for (uint64_t polls = 0; polls < TICK_WAIT_POLL_LIMIT; ++polls) {
        if (pit8254::ticks() > after)
            return true;
        cpu::pause();
    }
    return false;
}

/* The median of many single-tick intervals. Ticks lost while a loaded host
 * preempted the emulator disturb a few intervals in a row (a long one where
 * ticks merged, a short one after it); the median ignores them. */
uint64_t measure_with_ticks()
{
    if (!cpu::interrupts_enabled() || !wait_for_tick_after(pit8254::ticks()))
        return 0;
    uint64_t intervals[TICK_INTERVALS];
    uint64_t previous = cpu::rdtsc();
    for (uint64_t& interval : intervals) {
        if (!wait_for_tick_after(pit8254::ticks()))
            return 0;
        uint64_t now = cpu::rdtsc();
        interval = now - previous;
        previous = now;
    }
    return uint64_t((unsigned __int128)median(intervals, TICK_INTERVALS) * 1'000'000'000 / pit8254::tick_ns());
}

void start_tsc_clock(uint64_t hz)
{
    calibrated_hz = hz;
    ns_per_tsc_q32 = (1'000'000'000ull << 32) / hz;
    origin_ns = ticks() * pit8254::tick_ns();
    origin_tsc = cpu::rdtsc();
}

} // namespace

Calibration calibrate()
{
    if (uint64_t hz = reported_by_hypervisor()) {
        start_tsc_clock(hz);
        return {ClockError::none, CalibrationMethod::hypervisor, hz};
    }
    if (uint64_t hz = measure_with_one_shot()) {
        start_tsc_clock(hz);
        return {ClockError::none, CalibrationMethod::pit_one_shot, hz};
    }
    if (uint64_t hz = measure_with_ticks()) {
        start_tsc_clock(hz);
        return {ClockError::none, CalibrationMethod::pit_ticks, hz};
    }
    return {ClockError::no_time_source, CalibrationMethod::pit_ticks, 0};
}

uint64_t tsc_hz() { return calibrated_hz; }

uint64_t tsc_to_nanoseconds(uint64_t tsc_delta) { return uint64_t((unsigned __int128)tsc_delta * ns_per_tsc_q32 >> 32); }

uint64_t ticks() { return pit8254::ticks(); }

uint64_t nanoseconds()
{
    if (!calibrated_hz)
        return ticks() * pit8254::tick_ns();
    return origin_ns + tsc_to_nanoseconds(cpu::rdtsc() - origin_tsc);
}

void busy_wait_ns(uint64_t ns)
{
    uint64_t end = nanoseconds() + ns;
    while (nanoseconds() < end)
        cpu::pause();
}

uint64_t measure_tsc_hz(CalibrationMethod method)
{
    switch (method) {
    case CalibrationMethod::hypervisor: return reported_by_hypervisor();
    case CalibrationMethod::pit_one_shot: return measure_with_one_shot();
    case CalibrationMethod::pit_ticks: return measure_with_ticks();
    }
    return 0;
}

const char* calibration_method_name(CalibrationMethod method)
{
    switch (method) {
    case CalibrationMethod::hypervisor: return "hypervisor's CPUID leaf 0x40000001";
    case CalibrationMethod::pit_one_shot: return "PIT channel 2 one-shot";
    case CalibrationMethod::pit_ticks: return "PIT channel 0 ticks";
    }
    return "?";
}

} // namespace clock
