/* The 8254 timer; see pit8254.h. Section names refer to the Intel 8254 datasheet. */
#include "hypervisor/devices/pit8254.h"

namespace devices {

namespace {

constexpr uint64_t NS_PER_SECOND = 1000000000;
constexpr uint8_t READ_BACK_SELECT = 3;
constexpr uint8_t READ_BACK_NO_COUNT = 0x20; /* bits are active low */
constexpr uint8_t READ_BACK_NO_STATUS = 0x10;
constexpr uint8_t STATUS_OUTPUT = 0x80;
constexpr uint8_t STATUS_NULL_COUNT = 0x40;

bool is_periodic(uint8_t mode) { return mode == 2 || mode == 3; }
/* Modes 1 and 5 count only after a rising edge on GATE. */
bool is_gate_triggered(uint8_t mode) { return mode == 1 || mode == 5; }

} // namespace

/* Split so neither product overflows: ns = s * 10^9 + r with r < 10^9. */
uint64_t Pit8254::ticks_at(uint64_t ns)
{
    return ns / NS_PER_SECOND * CLOCK_HZ + ns % NS_PER_SECOND * CLOCK_HZ / NS_PER_SECOND;
}

uint64_t Pit8254::ns_at(uint64_t tick)
{
    return tick / CLOCK_HZ * NS_PER_SECOND + (tick % CLOCK_HZ * NS_PER_SECOND + CLOCK_HZ - 1) / CLOCK_HZ;
}

uint64_t Pit8254::elapsed(const Channel& channel, uint64_t tick)
{
    if (!channel.running)
        return 0;
    if (channel.frozen)
        return channel.frozen_elapsed;
    return tick > channel.start_tick ? tick - channel.start_tick : 0;
}

/* "Modes of Operation": what the counting element holds `elapsed` ticks after the
 * count was loaded. 65536 reads back as 0, as the 16-bit element holds it. */
uint16_t Pit8254::count_at(const Channel& channel, uint64_t tick)
{
    if (!channel.loaded)
        return 0;
    if (!channel.running)
        return uint16_t(channel.reload);
    uint64_t n = channel.reload;
    uint64_t e = elapsed(channel, tick);
    switch (channel.mode) {
    case 2: return uint16_t(n - e % n);
    case 3: {
        /* Counts down by two; the high phase is the longer one for odd counts. */
        uint64_t position = e % n;
        uint64_t high_phase = (n + 1) / 2;
        uint64_t in_phase = position < high_phase ? position : position - high_phase;
        return uint16_t((n & ~uint64_t(1)) - 2 * in_phase);
    }
    default: return uint16_t(n - e); /* modes 0, 1, 4, 5 wrap around after zero */
    }
}

bool Pit8254::output_at(const Channel& channel, uint64_t tick)
{
    if (!channel.loaded)
        return channel.mode != 0; /* the control word sets OUT: low in mode 0 only */
    uint64_t n = channel.reload;
    uint64_t e = elapsed(channel, tick);
    switch (channel.mode) {
    case 0: return e >= n;
    case 1: return !channel.running || e >= n;
    case 2: return channel.frozen || e % n != n - 1; /* low for the tick the count is 1 */
    case 3: return channel.frozen || e % n < (n + 1) / 2;
    default: return !channel.running || e != n; /* modes 4, 5: low for one tick at 0 */
    }
}

uint64_t Pit8254::rising_edges(const Channel& channel, uint64_t from, uint64_t to)
{
    uint64_t n = channel.reload;
    if (is_periodic(channel.mode))
        return to / n - from / n;
    /* One-shot modes: OUT rises once, at terminal count (0, 1) or after the
     * one-tick strobe (4, 5). */
    uint64_t edge = channel.mode <= 1 ? n : n + 1;
    return from < edge && to >= edge ? 1 : 0;
}

uint64_t Pit8254::next_edge_after(const Channel& channel, uint64_t from)
{
    uint64_t n = channel.reload;
    if (is_periodic(channel.mode))
        return (from / n + 1) * n;
    uint64_t edge = channel.mode <= 1 ? n : n + 1;
    return from < edge ? edge : NO_DEADLINE;
}

void Pit8254::advance(uint64_t now_ns)
{
    uint64_t tick = ticks_at(now_ns);
    if (tick <= last_advance_tick_)
        return;
    const Channel& channel = channels_[0];
    uint64_t edges = channel.running && !channel.frozen
                         ? rising_edges(channel, elapsed(channel, last_advance_tick_), elapsed(channel, tick))
                         : 0;
    last_advance_tick_ = tick;
    if (edges == 0)
        return;
    irq0_.pulse();
    ++irqs_raised_;
    backlog_ += edges - 1;
    if (backlog_ > MAX_BACKLOG) {
        ticks_coalesced_ += backlog_ - MAX_BACKLOG;
        backlog_ = MAX_BACKLOG;
    }
}

bool Pit8254::deliver_backlog()
{
    if (backlog_ == 0)
        return false;
    --backlog_;
    irq0_.pulse();
    ++irqs_raised_;
    return true;
}

/* Counted from the last advance(), not from `now_ns`, so an edge that advance()
 * has not delivered yet is reported as due rather than skipped. */
uint64_t Pit8254::next_irq_deadline_ns(uint64_t) const
{
    const Channel& channel = channels_[0];
    if (!channel.running || channel.frozen)
        return NO_DEADLINE;
    uint64_t edge = next_edge_after(channel, elapsed(channel, last_advance_tick_));
    return edge == NO_DEADLINE ? NO_DEADLINE : ns_at(channel.start_tick + edge);
}

void Pit8254::update_irq0(uint64_t now_ns) { irq0_.set(output_at(channels_[0], ticks_at(now_ns))); }

uint32_t Pit8254::read(uint16_t port, unsigned, uint64_t now_ns)
{
    unsigned index = unsigned(port - CHANNEL0_PORT);
    if (index >= CHANNELS)
        return 0xFF; /* the control register is write-only */
    return read_count(index, now_ns);
}

void Pit8254::write(uint16_t port, unsigned, uint32_t value, uint64_t now_ns)
{
    /* Account for IRQ 0 edges of the old programming before anything changes. */
    advance(now_ns);
    unsigned index = unsigned(port - CHANNEL0_PORT);
    if (port == CONTROL_PORT)
        write_control(uint8_t(value), now_ns);
    else if (index < CHANNELS)
        write_count(index, uint8_t(value), now_ns);
}

/* "Control Word Format": SC (7-6), RW (5-4), mode (3-1), BCD (0). Writing a mode
 * stops the counter until a count is written and resets both byte flip-flops. */
void Pit8254::write_control(uint8_t value, uint64_t now_ns)
{
    unsigned select = value >> 6;
    if (select == READ_BACK_SELECT) {
        read_back(value, now_ns);
        return;
    }
    Channel& channel = channels_[select];
    Access access = Access((value >> 4) & 3);
    if (access == Access::latch) {
        latch_count(channel, ticks_at(now_ns));
        return;
    }
    uint8_t mode = (value >> 1) & 7;
    bool gate = channel.gate;
    channel = Channel{};
    channel.gate = gate;
    channel.access = access;
    channel.mode = mode > 5 ? uint8_t(mode - 4) : mode; /* 6 and 7 are 2 and 3 */
    channel.bcd = value & 1;
    if (select == 0)
        update_irq0(now_ns);
}

/* "Read-Back Command": latch count and/or status of each selected counter; a
 * counter already latched keeps its first latch. */
void Pit8254::read_back(uint8_t value, uint64_t now_ns)
{
    uint64_t tick = ticks_at(now_ns);
    for (unsigned i = 0; i < CHANNELS; ++i) {
        if (!(value & (2u << i)))
            continue;
        Channel& channel = channels_[i];
        if (!(value & READ_BACK_NO_COUNT))
            latch_count(channel, tick);
        if (!(value & READ_BACK_NO_STATUS) && !channel.status_latched) {
            channel.latched_status = status(channel, tick);
            channel.status_latched = true;
        }
    }
}

/* "Counter Latch Command": a second latch before the first is read is ignored. */
void Pit8254::latch_count(Channel& channel, uint64_t tick)
{
    if (channel.count_latched)
        return;
    channel.latched_count = count_at(channel, tick);
    channel.count_latched = true;
}

/* "Status Byte": OUT, null count, RW, mode, BCD. Null count is set while a written
 * count has not reached the counting element, which takes one clock. */
uint8_t Pit8254::status(const Channel& channel, uint64_t tick) const
{
    uint8_t value = uint8_t(uint8_t(channel.access) << 4 | channel.mode << 1 | (channel.bcd ? 1 : 0));
    if (output_at(channel, tick))
        value |= STATUS_OUTPUT;
    if (!channel.loaded || tick <= channel.start_tick)
        value |= STATUS_NULL_COUNT;
    return value;
}

uint8_t Pit8254::read_count(unsigned index, uint64_t now_ns)
{
    Channel& channel = channels_[index];
    if (channel.status_latched) {
        channel.status_latched = false;
        return channel.latched_status;
    }
    uint16_t value = channel.count_latched ? channel.latched_count : count_at(channel, ticks_at(now_ns));
    bool msb = channel.access == Access::msb;
    bool last_byte = true;
    if (channel.access == Access::lsb_then_msb) {
        msb = channel.read_msb_next;
        last_byte = msb;
        channel.read_msb_next = !msb;
    }
    if (last_byte)
        channel.count_latched = false;
    return uint8_t(msb ? value >> 8 : value & 0xFF);
}

void Pit8254::write_count(unsigned index, uint8_t value, uint64_t now_ns)
{
    Channel& channel = channels_[index];
    switch (channel.access) {
    case Access::lsb: load(index, value, now_ns); break;
    case Access::msb: load(index, uint32_t(value) << 8, now_ns); break;
    case Access::lsb_then_msb:
        if (!channel.write_msb_next) {
            channel.written_lsb = value;
            channel.write_msb_next = true;
        } else {
            channel.write_msb_next = false;
            load(index, uint32_t(value) << 8 | channel.written_lsb, now_ns);
        }
        break;
    case Access::latch: break; /* never stored: the latch command is not a mode */
    }
}

/* A count of 0 stands for 65536 (binary) - the largest count, not "stop". */
void Pit8254::load(unsigned index, uint32_t reload, uint64_t now_ns)
{
    Channel& channel = channels_[index];
    channel.reload = reload ? reload : 0x10000;
    channel.loaded = true;
    channel.running = !is_gate_triggered(channel.mode);
    channel.start_tick = ticks_at(now_ns);
    channel.frozen = channel.running && !channel.gate;
    channel.frozen_elapsed = 0;
    if (index == 0)
        update_irq0(now_ns);
}

/* "Gate": modes 0 and 4 pause while GATE is low; modes 2 and 3 stop with OUT high
 * and restart a full period on the rising edge; modes 1 and 5 start on it. */
void Pit8254::set_gate(unsigned index, bool high, uint64_t now_ns)
{
    if (index >= CHANNELS || channels_[index].gate == high)
        return;
    if (index == 0)
        advance(now_ns);
    Channel& channel = channels_[index];
    uint64_t tick = ticks_at(now_ns);
    channel.gate = high;
    if (!high) {
        if (channel.running && !is_gate_triggered(channel.mode) && !channel.frozen) {
            channel.frozen_elapsed = elapsed(channel, tick);
            channel.frozen = true;
        }
    } else if (channel.loaded) {
        bool resume = channel.mode == 0 || channel.mode == 4;
        uint64_t resumed_at = resume && channel.frozen_elapsed <= tick ? tick - channel.frozen_elapsed : tick;
        channel.start_tick = resume ? resumed_at : tick;
        channel.running = true;
        channel.frozen = false;
        channel.frozen_elapsed = 0;
    }
    if (index == 0)
        update_irq0(now_ns);
}

bool Pit8254::output(unsigned channel, uint64_t now_ns) const
{
    return channel < CHANNELS && output_at(channels_[channel], ticks_at(now_ns));
}

uint16_t Pit8254::count(unsigned channel, uint64_t now_ns) const
{
    return channel < CHANNELS ? count_at(channels_[channel], ticks_at(now_ns)) : 0;
}

} // namespace devices
