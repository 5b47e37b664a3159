/* The 8254 programmable interval timer: channel 0 (on IRQ 0) as the system tick
 * (mode 2) or, while the CPU idles, as a one-shot for the next wake-up (mode 0,
 * time/timer.h), and channel 2 (gated and read back through port 0x61) as a
 * one-shot stopwatch for calibrating the TSC. Follows the Intel 8254 datasheet
 * (order number 231164: "Control Word Format", "Mode 0: Interrupt on Terminal
 * Count", "Mode 2: Rate Generator"). */
#pragma once
#include "arch/x86_64/trap_frame.h"

#include <stdint.h>

namespace pit8254 {

/* The input clock of every channel: 14.31818 MHz / 12. */
constexpr uint64_t INPUT_HZ = 1193182;
/* The tick: 1000 Hz asked, so the divisor is 1193182 / 1000 rounded = 1193, and
 * the real rate is 1193182 / 1193 = 1000.153 Hz, one tick every 999.847 us. */
constexpr uint64_t TICK_HZ = 1000;
constexpr uint16_t TICK_DIVISOR = uint16_t((INPUT_HZ + TICK_HZ / 2) / TICK_HZ);
static_assert(TICK_DIVISOR == 1193);
/* One tick in nanoseconds, rounded: 999847 (999847.47). */
constexpr uint64_t TICK_NS = (TICK_DIVISOR * 1000000000ull + INPUT_HZ / 2) / INPUT_HZ;
static_assert(TICK_NS == 999847);

constexpr unsigned IRQ = 0;

/* kernel.x (guests/sweb_form/sweb_entry.S, our kernel in SWEB's form) ticks as
 * SWEB does: divisor 0, which the 8254 counts as 65536, 18.2 Hz, 54.9 ms a
 * tick. Its entry sets pit_sweb_tick before boot.S runs. */
constexpr uint32_t SWEB_TICK_COUNTS = 65536;
constexpr uint64_t SWEB_TICK_NS = (SWEB_TICK_COUNTS * 1000000000ull + INPUT_HZ / 2) / INPUT_HZ;
static_assert(SWEB_TICK_NS == 54925401);
extern "C" volatile uint32_t pit_sweb_tick;
/* The input clocks per tick init() programs: TICK_DIVISOR, or SWEB_TICK_COUNTS
 * (written as divisor 0) for kernel.x; and one tick in nanoseconds. */
uint32_t tick_counts();
uint64_t tick_ns();

/* Programs channel 0 as a rate generator (mode 2) at tick_counts() and registers
 * the tick handler on IRQ 0. */
void init();

/* Channel 0's current count (counter latch command): runs from TICK_DIVISOR
 * down and reloads once per tick. */
uint16_t read_tick_counter();

/* Ticks since init(), tickless idle's missed periods included. */
uint64_t ticks();

/* Called on every tick, in the interrupt handler with interrupts off: the
 * scheduler's hook for preemption. nullptr removes it. */
using TickHook = void (*)(TrapFrame& frame);
/* Returns the hook it replaces, so that a test can put it back. */
TickHook set_tick_hook(TickHook hook);

/* Channel 0 as a one-shot (tickless idle, time/timer.cpp): mode 0 with `counts`
 * (1-MAX_ONE_SHOT_COUNTS) input clocks; IRQ 0 rises once, when the count runs out
 * (N + 1 clocks after the write: the count loads on the next clock). In mode 0
 * "OUT remains high until a new count or a new Mode 0 control word is written",
 * so re-arming while already in mode 0 writes only the two count bytes. The
 * interrupt goes to the one-shot hook, not the tick hook, and is no tick. */
constexpr uint32_t MAX_ONE_SHOT_COUNTS = 0xFFFF;
void arm_one_shot_tick(uint32_t counts);
/* Back to the periodic tick (mode 2, tick_counts()); `missed_ticks` periods went
 * by while the one-shot stood in for it and are added to ticks(), so ticks()
 * keeps measuring time across tickless idle. */
void resume_periodic_tick(uint64_t missed_ticks);
bool tick_is_one_shot();
/* Called for a one-shot's IRQ 0 in the interrupt handler, interrupts off. */
using OneShotHook = void (*)(TrapFrame& frame);
void set_one_shot_hook(OneShotHook hook);
/* IRQ 0s that ended a one-shot, since init(). */
uint64_t one_shot_interrupts();

/* Channel 2 one-shot (mode 0) in two steps, so that a caller can read the TSC
 * between them: prepare loads `count` input clocks with the gate closed, start
 * opens the gate; the output (port 0x61 bit 5) goes high when the count has run
 * out. */
void prepare_one_shot(uint16_t count);
void start_one_shot();
bool one_shot_done();

} // namespace pit8254
