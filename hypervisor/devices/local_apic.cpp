/* The xAPIC model; see local_apic.h for the SDM sections it follows. */
#include "hypervisor/devices/local_apic.h"

namespace devices {

namespace {

/* Bits software can change in each register; the rest read as reset. */
constexpr uint32_t LVT_TIMER_WRITABLE = 0x000300FF | LocalApic::LVT_MASKED;   /* vector, mask, mode */
constexpr uint32_t LVT_LINT_WRITABLE = 0x0001A7FF;                             /* vector, mode, polarity, trigger, mask */
constexpr uint32_t LVT_ERROR_WRITABLE = 0x000100FF;                            /* vector, mask */
constexpr uint32_t LVT_OTHER_WRITABLE = 0x000107FF;                            /* vector, mode, mask */
constexpr uint32_t SVR_WRITABLE = 0x000002FF | LocalApic::SVR_ENABLE;          /* vector, enable, focus */
constexpr uint32_t ICR_LOW_WRITABLE = 0x000CCFFF;                              /* vector, mode, dest mode, level, trigger, shorthand */
constexpr uint32_t ICR_SHORTHAND_SELF = 1u << 18, ICR_SHORTHAND_ALL = 2u << 18, ICR_SHORTHAND_OTHERS = 3u << 18;
constexpr uint32_t ICR_SHORTHAND_MASK = 3u << 18;
constexpr uint32_t ICR_DESTINATION_LOGICAL = 1u << 11;

} // namespace

void LocalApic::reset(uint8_t apic_id)
{
    id_ = uint32_t(apic_id) << 24;
    tpr_ = 0;
    ldr_ = 0;
    dfr_ = 0xFFFFFFFF;
    for (unsigned i = 0; i < 8; ++i)
        isr_[i] = tmr_[i] = irr_[i] = 0;
    irr_words_ = 0;
    esr_ = esr_pending_ = 0;
    icr_low_ = icr_high_ = 0;
    for (uint32_t& entry : lvt_)
        entry = LVT_MASKED;
    timer_initial_ = 0;
    timer_divide_ = 0;
    timer_running_ = false;
    fired_since_start_ = 0;
    nmi_pending_ = false;
    /* What firmware leaves (the MP specification's virtual wire): enabled with
     * spurious vector 0xFF, LINT0 ExtINT, LINT1 NMI. */
    svr_ = 0xFF | SVR_ENABLE;
    lvt_[lvt_index(lvt_lint0)] = DELIVERY_EXTINT;
    lvt_[lvt_index(lvt_lint1)] = DELIVERY_NMI;
}

int LocalApic::highest(const uint32_t (&bits)[8])
{
    for (int word = 7; word >= 0; --word)
        if (bits[word])
            return word * 32 + (31 - __builtin_clz(bits[word]));
    return -1;
}

uint32_t LocalApic::processor_priority() const
{
    /* "Processor Priority Register (PPR)": the task priority, or the class of
     * the highest in-service vector when that is higher. */
    int in_service = highest(isr_);
    uint32_t isr_class = in_service < 0 ? 0 : uint32_t(in_service) & 0xF0;
    return (tpr_ & 0xF0) >= isr_class ? tpr_ & 0xFF : isr_class;
}

unsigned LocalApic::divisor() const
{
    /* "Divide Configuration Register": bits 3, 1:0; 111b divides by 1. */
    unsigned code = ((timer_divide_ >> 1) & 4) | (timer_divide_ & 3);
    return code == 7 ? 1 : 2u << code;
}

uint64_t LocalApic::timer_period_ns() const
{
    uint64_t period = uint64_t(timer_initial_) * divisor();
    return (lvt_[0] & LVT_TIMER_PERIODIC) && period < MIN_PERIODIC_NS ? MIN_PERIODIC_NS : period;
}

uint32_t LocalApic::current_count(uint64_t now_ns) const
{
    if (!timer_running_ || timer_initial_ == 0 || now_ns < timer_start_ns_)
        return timer_running_ ? timer_initial_ : 0;
    uint64_t ticks = (now_ns - timer_start_ns_) / divisor();
    if (lvt_[0] & LVT_TIMER_PERIODIC)
        return timer_initial_ - uint32_t(ticks % timer_initial_);
    return ticks >= timer_initial_ ? 0 : timer_initial_ - uint32_t(ticks);
}

void LocalApic::start_timer(uint64_t now_ns)
{
    timer_start_ns_ = now_ns;
    fired_since_start_ = 0;
    timer_running_ = timer_initial_ != 0;
}

uint64_t LocalApic::next_deadline_ns(uint64_t) const
{
    if (!timer_running_ || !globally_enabled_)
        return NO_DEADLINE;
    bool periodic = lvt_[0] & LVT_TIMER_PERIODIC;
    if (!periodic && fired_since_start_ > 0)
        return NO_DEADLINE;
    return timer_start_ns_ + (fired_since_start_ + 1) * timer_period_ns();
}

void LocalApic::advance(uint64_t now_ns)
{
    uint64_t deadline = next_deadline_ns(now_ns);
    if (deadline == NO_DEADLINE || now_ns < deadline)
        return;
    uint64_t period = timer_period_ns();
    uint64_t elapsed = (now_ns - timer_start_ns_) / period; /* periods completed by now */
    bool periodic = lvt_[0] & LVT_TIMER_PERIODIC;
    fired_since_start_ = periodic ? elapsed : 1;
    ++timer_expiries_;
    if (!periodic)
        timer_running_ = false; /* the count stays at 0 */
    /* One request however many periods went by: IRR holds one per vector. */
    if (!(lvt_[0] & LVT_MASKED))
        accept(uint8_t(lvt_[0] & 0xFF));
}

void LocalApic::accept(uint8_t vector, bool level_triggered)
{
    if (vector < 16) {
        record_error(ESR_RECEIVE_ILLEGAL_VECTOR);
        return;
    }
    irr_[vector / 32] |= 1u << (vector % 32);
    irr_words_ = uint8_t(irr_words_ | (1u << (vector / 32)));
    if (level_triggered)
        tmr_[vector / 32] |= 1u << (vector % 32);
    else
        tmr_[vector / 32] &= ~(1u << (vector % 32));
}

int LocalApic::pending_vector() const
{
    /* A software-disabled APIC holds its requests ("Local APIC State After It
     * Has Been Software Disabled"). */
    if (!irr_words_ || !globally_enabled_ || !software_enabled())
        return -1;
    int vector = highest(irr_);
    if (vector < 0 || (uint32_t(vector) & 0xF0) <= (processor_priority() & 0xF0))
        return -1;
    return vector;
}

uint8_t LocalApic::acknowledge()
{
    int vector = pending_vector();
    if (vector < 0)
        return uint8_t(svr_ & 0xFF); /* the request vanished: the spurious vector, ISR untouched */
    irr_[vector / 32] &= ~(1u << (vector % 32));
    if (!irr_[vector / 32])
        irr_words_ = uint8_t(irr_words_ & ~(1u << (vector / 32)));
    isr_[vector / 32] |= 1u << (vector % 32);
    return uint8_t(vector);
}

bool LocalApic::passes_extint() const
{
    if (!globally_enabled_)
        return true;
    uint32_t lint0 = lvt_[lvt_index(lvt_lint0)];
    return !(lint0 & LVT_MASKED) && (lint0 & DELIVERY_MODE_MASK) == DELIVERY_EXTINT;
}

void LocalApic::raise_lint1()
{
    uint32_t lint1 = lvt_[lvt_index(lvt_lint1)];
    if (!globally_enabled_ || (lint1 & LVT_MASKED))
        return;
    if ((lint1 & DELIVERY_MODE_MASK) == DELIVERY_NMI)
        nmi_pending_ = true;
    else if ((lint1 & DELIVERY_MODE_MASK) == DELIVERY_FIXED)
        accept(uint8_t(lint1 & 0xFF));
}

bool LocalApic::take_nmi()
{
    bool pending = nmi_pending_;
    nmi_pending_ = false;
    return pending;
}

void LocalApic::record_error(uint32_t bits)
{
    esr_pending_ |= bits;
    uint32_t error = lvt_[lvt_index(lvt_error)];
    if (!(error & LVT_MASKED) && (error & 0xFF) >= 16)
        accept(uint8_t(error & 0xFF));
}

void LocalApic::set_globally_enabled(bool enabled, uint64_t)
{
    if (enabled && !globally_enabled_)
        reset(apic_id());
    globally_enabled_ = enabled;
}

uint32_t LocalApic::read(uint32_t offset, uint64_t now_ns)
{
    if (offset >= PAGE_SIZE || (offset & 0xF))
        return 0;
    if (offset >= isr0 && offset < isr0 + 0x80)
        return isr_[(offset - isr0) >> 4];
    if (offset >= tmr0 && offset < tmr0 + 0x80)
        return tmr_[(offset - tmr0) >> 4];
    if (offset >= irr0 && offset < irr0 + 0x80)
        return irr_[(offset - irr0) >> 4];
    if (offset >= lvt_timer && offset <= lvt_error)
        return lvt_[lvt_index(offset)];
    switch (offset) {
    case id: return id_;
    case version: return VERSION;
    case tpr: return tpr_;
    case apr: return 0;
    case ppr: return processor_priority();
    case eoi: return 0; /* write-only */
    case rrd: return 0;
    case ldr: return ldr_;
    case dfr: return dfr_;
    case svr: return svr_;
    case esr: return esr_;
    case icr_low: return icr_low_; /* delivery status (bit 12): always idle */
    case icr_high: return icr_high_;
    case timer_initial: return timer_initial_;
    case timer_current: return current_count(now_ns);
    case timer_divide: return timer_divide_;
    default: record_error(ESR_ILLEGAL_REGISTER); return 0;
    }
}

void LocalApic::write_lvt(unsigned index, uint32_t value)
{
    static constexpr uint32_t WRITABLE[LVT_COUNT] = {LVT_TIMER_WRITABLE, LVT_OTHER_WRITABLE, LVT_OTHER_WRITABLE,
                                                     LVT_LINT_WRITABLE,  LVT_LINT_WRITABLE,  LVT_ERROR_WRITABLE};
    value &= WRITABLE[index];
    /* A software-disabled APIC keeps every LVT entry masked. */
    if (!software_enabled())
        value |= LVT_MASKED;
    lvt_[index] = value;
}

void LocalApic::send_ipi(uint32_t low)
{
    /* "Issuing Interprocessor Interrupts": this CPU is the only one, so only
     * what reaches itself arrives; INIT, SIPI and the like go nowhere. */
    uint32_t shorthand = low & ICR_SHORTHAND_MASK;
    bool to_self = shorthand == ICR_SHORTHAND_SELF || shorthand == ICR_SHORTHAND_ALL;
    if (shorthand == 0) {
        uint8_t destination = uint8_t(icr_high_ >> 24);
        to_self = (low & ICR_DESTINATION_LOGICAL) ? (destination & uint8_t(ldr_ >> 24)) != 0
                                                  : destination == apic_id() || destination == 0xFF;
    }
    if (!to_self || shorthand == ICR_SHORTHAND_OTHERS)
        return;
    uint32_t mode = low & DELIVERY_MODE_MASK;
    if (mode == DELIVERY_NMI) {
        nmi_pending_ = true;
    } else if (mode == DELIVERY_FIXED || mode == (1u << 8) /* lowest priority */) {
        uint8_t vector = uint8_t(low & 0xFF);
        if (vector < 16) {
            record_error(ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        accept(vector, low & (1u << 15));
    }
}

void LocalApic::write(uint32_t offset, uint32_t value, uint64_t now_ns)
{
    if (offset >= PAGE_SIZE || (offset & 0xF))
        return;
    if (offset >= lvt_timer && offset <= lvt_error) {
        bool was_periodic = lvt_[0] & LVT_TIMER_PERIODIC;
        write_lvt(lvt_index(offset), value);
        /* A mode change takes effect from now: restart the period bookkeeping
         * at the current count's phase by restarting the count. */
        if (offset == lvt_timer && was_periodic != bool(lvt_[0] & LVT_TIMER_PERIODIC) && timer_running_)
            start_timer(now_ns);
        return;
    }
    switch (offset) {
    case id: id_ = value & 0xFF000000; return;
    case tpr: tpr_ = value & 0xFF; return;
    case eoi: {
        /* "End-Of-Interrupt (EOI)": the highest in-service vector is done. */
        int vector = highest(isr_);
        if (vector >= 0)
            isr_[vector / 32] &= ~(1u << (vector % 32));
        return;
    }
    case ldr: ldr_ = value & 0xFF000000; return;
    case dfr: dfr_ = value | 0x0FFFFFFF; return;
    case svr:
        svr_ = value & SVR_WRITABLE;
        if (!software_enabled())
            for (uint32_t& entry : lvt_)
                entry |= LVT_MASKED;
        return;
    case esr:
        /* A write latches the errors seen since the last one ("Error Status Register"). */
        esr_ = esr_pending_;
        esr_pending_ = 0;
        return;
    case icr_low:
        icr_low_ = value & ICR_LOW_WRITABLE;
        send_ipi(icr_low_);
        return;
    case icr_high: icr_high_ = value & 0xFF000000; return;
    case timer_initial:
        timer_initial_ = value;
        start_timer(now_ns);
        return;
    case timer_divide: {
        /* Keep the current count; later counts go at the new rate. */
        uint32_t count = current_count(now_ns);
        bool running = timer_running_;
        timer_divide_ = value & 0xB;
        if (running && timer_initial_) {
            uint64_t done = uint64_t(timer_initial_ - count) * divisor();
            timer_start_ns_ = now_ns >= done ? now_ns - done : 0;
            fired_since_start_ = 0;
        }
        return;
    }
    case version:
    case apr:
    case ppr:
    case rrd:
    case timer_current: return; /* read-only */
    default:
        if ((offset >= isr0 && offset < irr0 + 0x80))
            return; /* ISR, TMR, IRR are read-only */
        record_error(ESR_ILLEGAL_REGISTER);
        return;
    }
}

} // namespace devices
