/* The 8254 programmable interval timer at ports 0x40-0x43: three 16-bit counters
 * clocked at 1.193182 MHz; channel 0's output drives ISA IRQ 0 and channel 2's gate
 * and output are wired to port 0x61 (system_control_port.h). Follows the Intel
 * 8254 datasheet (order number 231164): "Control Word Format", "Counter Latch
 * Command", "Read-Back Command", "Modes of Operation".
 *
 * Time is an argument, never read from a clock: every access and advance() gets
 * the guest time in nanoseconds; the model converts it to 8254 clock ticks exactly
 * (integer arithmetic, no drift) and computes counts and outputs from the tick at
 * which counting started, so the model costs nothing while the guest is not
 * looking and tests are deterministic.
 *
 * Modes 0 (interrupt on terminal count), 2 (rate generator), 3 (square wave) and
 * 4 (software strobe) follow the datasheet's timing, with one simplification for
 * all modes: a count takes effect when written (the datasheet loads it on the next
 * CLK pulse, which shifts everything by one tick of 838 ns). Approximations:
 *   - modes 2/3: a new count written while counting restarts the period at once
 *     (the datasheet finishes the current period first);
 *   - mode 3 with an odd count: OUT is exact ((N+1)/2 high, (N-1)/2 low), the
 *     count read back during the phases is approximate;
 *   - modes 1 and 5 start on a rising gate edge, which only channel 2 ever sees
 *     on a PC (the gates of channels 0 and 1 are tied high);
 *   - BCD counting (control word bit 0): stored and reported in the status byte,
 *     but the counter counts in binary. FIXME: no guest we know uses BCD.
 *
 * IRQ 0 and the coalescing policy: the IRQ 0 line is high except for the moment of
 * a rising edge of OUT0 (mode 2/3 period start, mode 0 terminal count, mode 4
 * strobe end): the PIC latches one request per edge. advance(now) raises at most
 * ONE edge however many periods elapsed since the previous call, and counts the
 * others in ticks_coalesced(). That is what the hardware does for a guest that
 * cannot take interrupts meanwhile (the 8259A's IRR holds one request per line),
 * and it bounds the work after a long descheduling; a guest that counts ticks for
 * wall time falls behind, a guest that reads a clock source does not. The
 * hypervisor calls advance() before each VM entry and arms its timer for
 * next_irq_deadline_ns(). */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class Pit8254 final : public PortDevice {
public:
    static constexpr uint64_t CLOCK_HZ = 1193182;
    static constexpr uint64_t NO_DEADLINE = ~uint64_t(0);
    static constexpr uint16_t CHANNEL0_PORT = 0x40, CONTROL_PORT = 0x43;
    static constexpr unsigned CHANNELS = 3;

    /* All three channels start idle (no count written); a BIOS would have
     * programmed channel 0 to 18.2 Hz, but no kernel relies on that. */
    explicit Pit8254(IrqLine irq0 = {}) : irq0_(irq0) {}

    bool handles(uint16_t port) const override { return port >= CHANNEL0_PORT && port <= CONTROL_PORT; }
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* Raises IRQ 0 if OUT0 had a rising edge since the last call (see above). */
    void advance(uint64_t now_ns);
    /* The guest time of the next IRQ 0 edge advance() has not delivered yet (it may
     * lie in the past if advance() is late), or NO_DEADLINE. */
    uint64_t next_irq_deadline_ns(uint64_t now_ns) const;

    /* The GATE input of `channel` (0-2); port 0x61 drives channel 2's. */
    void set_gate(unsigned channel, bool high, uint64_t now_ns);
    bool gate(unsigned channel) const { return channel < CHANNELS && channels_[channel].gate; }
    /* The OUT pin of `channel` at `now_ns`. */
    bool output(unsigned channel, uint64_t now_ns) const;
    /* The current count as the guest would read it unlatched. */
    uint16_t count(unsigned channel, uint64_t now_ns) const;

    uint64_t irqs_raised() const { return irqs_raised_; }
    uint64_t ticks_coalesced() const { return ticks_coalesced_; }

    /* Bounded catch-up: periods that went by unseen while the guest could not
     * run are remembered, up to MAX_BACKLOG (about 20 ms at 1 kHz); beyond that
     * they are dropped and counted in ticks_coalesced(). The platform hands them
     * out one at a time, each once the PIC has taken the previous edge. */
    static constexpr uint64_t MAX_BACKLOG = 20;
    uint64_t backlog() const { return backlog_; }
    /* Raises IRQ 0 for one remembered period; false when there is none. */
    bool deliver_backlog();

    /* 8254 clock ticks in `ns` (rounded down), and the first ns that reaches `tick`. */
    static uint64_t ticks_at(uint64_t ns);
    static uint64_t ns_at(uint64_t tick);

private:
    /* Control word bits 5-4; zero is the counter latch command. */
    enum class Access : uint8_t { latch = 0, lsb = 1, msb = 2, lsb_then_msb = 3 };

    struct Channel {
        uint8_t mode = 0;
        Access access = Access::lsb_then_msb;
        bool bcd = false;
        uint32_t reload = 0x10000; /* 1-65536 */
        bool loaded = false;       /* a count was written after the control word */
        bool running = false;      /* counting started (modes 1/5: after the trigger) */
        bool frozen = false;       /* the gate holds the count at frozen_elapsed */
        bool gate = true;
        uint64_t start_tick = 0;   /* the tick at which the loaded count was current */
        uint64_t frozen_elapsed = 0;
        bool write_msb_next = false;
        uint8_t written_lsb = 0;
        bool read_msb_next = false;
        bool count_latched = false;
        uint16_t latched_count = 0;
        bool status_latched = false;
        uint8_t latched_status = 0;
    };

    void write_control(uint8_t value, uint64_t now_ns);
    void read_back(uint8_t value, uint64_t now_ns);
    void write_count(unsigned channel, uint8_t value, uint64_t now_ns);
    void load(unsigned channel, uint32_t reload, uint64_t now_ns);
    uint8_t read_count(unsigned channel, uint64_t now_ns);
    void latch_count(Channel& channel, uint64_t tick);
    uint8_t status(const Channel& channel, uint64_t tick) const;
    /* Drives the IRQ 0 line to OUT0's level after a programming step. */
    void update_irq0(uint64_t now_ns);

    static uint64_t elapsed(const Channel& channel, uint64_t tick);
    static uint16_t count_at(const Channel& channel, uint64_t tick);
    static bool output_at(const Channel& channel, uint64_t tick);
    /* Rising edges of OUT between elapsed ticks `from` (excluded) and `to`. */
    static uint64_t rising_edges(const Channel& channel, uint64_t from, uint64_t to);
    static uint64_t next_edge_after(const Channel& channel, uint64_t from);

    Channel channels_[CHANNELS];
    IrqLine irq0_;
    uint64_t last_advance_tick_ = 0;
    uint64_t irqs_raised_ = 0;
    uint64_t ticks_coalesced_ = 0;
    uint64_t backlog_ = 0;
};

} // namespace devices
