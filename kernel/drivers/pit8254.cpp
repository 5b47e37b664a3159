/* 8254 driver; see pit8254.h. Control word: Intel 8254 datasheet, "Control Word
 * Format"; port 0x61 (gate and output of channel 2) as on every PC/AT. */
#include "pit8254.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "interrupts/irq.h"

namespace pit8254 {

namespace {

constexpr uint16_t CHANNEL0_DATA = 0x40;
constexpr uint16_t CHANNEL2_DATA = 0x42;
constexpr uint16_t CONTROL = 0x43;
/* The PC's "system control port B": bit 0 gates channel 2, bit 1 connects its
 * output to the speaker, bit 5 reads the output back. */
constexpr uint16_t PORT_B = 0x61;
constexpr uint8_t PORT_B_GATE2 = 1 << 0;
constexpr uint8_t PORT_B_SPEAKER = 1 << 1;
constexpr uint8_t PORT_B_OUT2 = 1 << 5;

/* Control word: SC (channel) bits 7-6, RW (access) bits 5-4, mode bits 3-1, BCD
 * bit 0 clear for a binary count. */
enum ControlWord : uint8_t {
    SELECT_CHANNEL0 = 0 << 6,
    SELECT_CHANNEL2 = 2 << 6,
    ACCESS_LOW_THEN_HIGH = 3 << 4,
    MODE0_INTERRUPT_ON_TERMINAL_COUNT = 0 << 1,
    MODE2_RATE_GENERATOR = 2 << 1,
    LATCH_COUNT = 0 << 4, /* RW = 00: latch the selected channel's count */
};

volatile uint64_t tick_count = 0;
TickHook tick_hook = nullptr;
bool one_shot_mode = false;
OneShotHook one_shot_hook = nullptr;
volatile uint64_t one_shot_count = 0;

void load_count(uint16_t port, uint16_t count)
{
    cpu::outb(port, uint8_t(count));
    cpu::outb(port, uint8_t(count >> 8));
}

void on_tick(TrapFrame& frame)
{
    /* A periodic tick already requested when the one-shot was armed lands here
     * too: the hook then finds nothing due and the idle loop re-arms. */
    if (one_shot_mode) {
        one_shot_count = one_shot_count + 1;
        if (one_shot_hook)
            one_shot_hook(frame);
        return;
    }
    tick_count = tick_count + 1;
    if (tick_hook)
        tick_hook(frame);
}

} // namespace

/* In .data, not .bss: boot.S zeroes .bss after kernel.x's entry set it. */
extern "C" {
__attribute__((section(".data"))) volatile uint32_t pit_sweb_tick = 0;
}

uint32_t tick_counts() { return pit_sweb_tick ? SWEB_TICK_COUNTS : TICK_DIVISOR; }

uint64_t tick_ns() { return pit_sweb_tick ? SWEB_TICK_NS : TICK_NS; }

void init()
{
    cpu::outb(CONTROL, SELECT_CHANNEL0 | ACCESS_LOW_THEN_HIGH | MODE2_RATE_GENERATOR);
    /* 65536 goes out as 0: the 8254 counts a loaded 0 as 2^16. */
    load_count(CHANNEL0_DATA, uint16_t(tick_counts()));
    interrupts::register_irq_handler(IRQ, on_tick);
}

uint16_t read_tick_counter()
{
    /* The latched count stays until both bytes are read, so the two halves
     * belong together. */
    InterruptGuard guard;
    cpu::outb(CONTROL, SELECT_CHANNEL0 | LATCH_COUNT);
    uint8_t low = cpu::inb(CHANNEL0_DATA);
    uint8_t high = cpu::inb(CHANNEL0_DATA);
    return uint16_t(low | high << 8);
}

uint64_t ticks() { return tick_count; }

TickHook set_tick_hook(TickHook hook)
{
    TickHook previous = tick_hook;
    tick_hook = hook;
    return previous;
}

void arm_one_shot_tick(uint32_t counts)
{
    if (counts == 0)
        counts = 1;
    if (counts > MAX_ONE_SHOT_COUNTS)
        counts = MAX_ONE_SHOT_COUNTS;
    InterruptGuard guard;
    if (!one_shot_mode)
        cpu::outb(CONTROL, SELECT_CHANNEL0 | ACCESS_LOW_THEN_HIGH | MODE0_INTERRUPT_ON_TERMINAL_COUNT);
    one_shot_mode = true;
    load_count(CHANNEL0_DATA, uint16_t(counts));
}

void resume_periodic_tick(uint64_t missed_ticks)
{
    InterruptGuard guard;
    if (!one_shot_mode)
        return;
    cpu::outb(CONTROL, SELECT_CHANNEL0 | ACCESS_LOW_THEN_HIGH | MODE2_RATE_GENERATOR);
    load_count(CHANNEL0_DATA, uint16_t(tick_counts()));
    one_shot_mode = false;
    tick_count = tick_count + missed_ticks;
}

bool tick_is_one_shot() { return one_shot_mode; }

void set_one_shot_hook(OneShotHook hook) { one_shot_hook = hook; }

uint64_t one_shot_interrupts() { return one_shot_count; }

void prepare_one_shot(uint16_t count)
{
    /* Gate closed and speaker off while programming; in mode 0 the output goes
     * low at the control word, and counting waits for the gate. */
    cpu::outb(PORT_B, cpu::inb(PORT_B) & uint8_t(~(PORT_B_GATE2 | PORT_B_SPEAKER)));
    cpu::outb(CONTROL, SELECT_CHANNEL2 | ACCESS_LOW_THEN_HIGH | MODE0_INTERRUPT_ON_TERMINAL_COUNT);
    load_count(CHANNEL2_DATA, count);
}

void start_one_shot() { cpu::outb(PORT_B, cpu::inb(PORT_B) | PORT_B_GATE2); }

bool one_shot_done() { return cpu::inb(PORT_B) & PORT_B_OUT2; }

} // namespace pit8254
