/* The local APIC of the guest's one CPU, in xAPIC mode (registers in a 4 KiB MMIO
 * page). Follows the Intel SDM (revision 084), Vol. 3A, chapter "Advanced
 * Programmable Interrupt Controller (APIC)": "Local APIC Register Address Map",
 * "Local Vector Table", "APIC Timer", "Task and Processor Priorities", "Interrupt
 * Acceptance for Fixed Interrupts" (IRR, ISR, TMR), "End-Of-Interrupt (EOI)",
 * "Spurious Interrupt", "Error Handling", "Issuing Interprocessor Interrupts".
 *
 * Like the PIT model, time is an argument: the timer counts at BUS_HZ in guest
 * nanoseconds, computed from the moment counting started, so nothing runs while
 * the guest is not looking and tests are deterministic. The platform adds the
 * timer's next deadline to the PIT's (VirtualPlatform::next_event_ns).
 *
 * The state at VM start is what PC firmware leaves (the "virtual wire" of the
 * MultiProcessor Specification, "PIC Mode" and "Virtual Wire Mode"): APIC
 * software-enabled, LINT0 in ExtINT mode so the 8259's INTR reaches the CPU,
 * LINT1 delivering NMIs, every other LVT entry masked. A kernel that never
 * touches the APIC therefore sees a PC/AT. What is not modelled: x2APIC,
 * TSC-deadline mode (hidden in CPUID), other CPUs (an IPI to anyone but this
 * CPU goes nowhere), the thermal and performance LVT entries never fire. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace devices {

class LocalApic {
public:
    /* The timer's input clock: one count per nanosecond before the divider
     * (kernels calibrate it against the PIT, so any steady rate works). */
    static constexpr uint64_t BUS_HZ = 1000000000;
    static constexpr uint64_t NO_DEADLINE = ~uint64_t(0);
    /* The shortest period the periodic timer keeps (as KVM bounds it): a guest
     * that asks for less gets interrupts this often, so a count of 1 cannot
     * keep the VM in exits without running a single guest instruction. */
    static constexpr uint64_t MIN_PERIODIC_NS = 10000;
    static constexpr uint64_t PAGE_SIZE = 4096;
    /* Version register: an integrated xAPIC (0x14), six LVT entries (timer,
     * thermal, performance, LINT0, LINT1, error: max LVT entry 5). */
    static constexpr uint32_t VERSION = 0x14 | (5u << 16);

    /* Register offsets in the page ("Local APIC Register Address Map"). */
    enum Register : uint32_t {
        id = 0x20,
        version = 0x30,
        tpr = 0x80,
        apr = 0x90,
        ppr = 0xA0,
        eoi = 0xB0,
        rrd = 0xC0,
        ldr = 0xD0,
        dfr = 0xE0,
        svr = 0xF0,
        isr0 = 0x100,
        tmr0 = 0x180,
        irr0 = 0x200,
        esr = 0x280,
        icr_low = 0x300,
        icr_high = 0x310,
        lvt_timer = 0x320,
        lvt_thermal = 0x330,
        lvt_performance = 0x340,
        lvt_lint0 = 0x350,
        lvt_lint1 = 0x360,
        lvt_error = 0x370,
        timer_initial = 0x380,
        timer_current = 0x390,
        timer_divide = 0x3E0,
    };

    /* LVT bits. */
    static constexpr uint32_t LVT_MASKED = 1u << 16;
    static constexpr uint32_t LVT_TIMER_PERIODIC = 1u << 17;
    static constexpr uint32_t DELIVERY_FIXED = 0, DELIVERY_NMI = 4u << 8, DELIVERY_EXTINT = 7u << 8;
    static constexpr uint32_t DELIVERY_MODE_MASK = 7u << 8;
    static constexpr uint32_t SVR_ENABLE = 1u << 8;
    /* Error status bits ("Error Handling"). */
    static constexpr uint32_t ESR_SEND_ILLEGAL_VECTOR = 1u << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1u << 6,
                              ESR_ILLEGAL_REGISTER = 1u << 7;

    explicit LocalApic(uint8_t apic_id = 0) { reset(apic_id); }

    /* The state firmware leaves at boot (see above). */
    void reset(uint8_t apic_id);

    /* 32-bit accesses at a 16-byte aligned offset in the page; anything else
     * reads 0 and writes nothing. `now_ns` is guest time. */
    uint32_t read(uint32_t offset, uint64_t now_ns);
    void write(uint32_t offset, uint32_t value, uint64_t now_ns);

    /* IA32_APIC_BASE bit 11: a globally disabled APIC is as if absent (the
     * 8259 reaches the CPU directly); enabling it again starts from reset. */
    void set_globally_enabled(bool enabled, uint64_t now_ns);
    bool globally_enabled() const { return globally_enabled_; }
    bool software_enabled() const { return svr_ & SVR_ENABLE; }

    /* Brings the timer up to `now_ns`: an expiry since the last call sets the
     * timer's vector in IRR (at most one per call, as IRR holds one). */
    void advance(uint64_t now_ns);
    /* The guest time of the timer's next expiry, or NO_DEADLINE. */
    uint64_t next_deadline_ns(uint64_t now_ns) const;

    /* A fixed interrupt for `vector` arrives (timer, LINT, self-IPI); vectors
     * 0-15 are illegal and only set the error status. */
    void accept(uint8_t vector, bool level_triggered = false);
    /* The vector the CPU would take now (highest IRR above the processor
     * priority), or -1. */
    int pending_vector() const;
    /* False when IRR is empty, so that pending_vector() is -1 (one load: the
     * question asked before every VM entry). */
    bool has_requests() const { return irr_words_ != 0; }
    /* The CPU takes pending_vector(): IRR to ISR. Returns the vector. */
    uint8_t acknowledge();
    /* Whether the 8259's INTR reaches the CPU: APIC globally disabled, or LINT0
     * unmasked in ExtINT mode. */
    bool passes_extint() const;
    /* The LINT1 pin rises (an NMI source on a PC). */
    void raise_lint1();
    /* An NMI is due (LINT1 in NMI mode, or a self-NMI); taking it clears it. */
    bool take_nmi();

    uint8_t apic_id() const { return uint8_t(id_ >> 24); }
    uint32_t processor_priority() const;
    uint32_t task_priority() const { return tpr_; }
    uint32_t current_count(uint64_t now_ns) const;
    uint64_t timer_expiries() const { return timer_expiries_; }

private:
    static constexpr unsigned LVT_COUNT = 6;
    static unsigned lvt_index(uint32_t offset) { return (offset - lvt_timer) >> 4; }
    static int highest(const uint32_t (&bits)[8]);

    uint64_t timer_period_ns() const;
    unsigned divisor() const;
    void start_timer(uint64_t now_ns);
    void record_error(uint32_t bits);
    void write_lvt(unsigned index, uint32_t value);
    void send_ipi(uint32_t low);

    uint32_t id_ = 0;
    uint32_t tpr_ = 0;
    uint32_t ldr_ = 0;
    uint32_t dfr_ = 0xFFFFFFFF;
    uint32_t svr_ = 0xFF;
    uint32_t isr_[8] = {}, tmr_[8] = {}, irr_[8] = {};
    /* Bit w set when irr_[w] is not 0: pending_vector(), asked several times
     * before every VM entry, answers "nothing requested" without a scan. */
    uint8_t irr_words_ = 0;
    uint32_t esr_ = 0, esr_pending_ = 0;
    uint32_t icr_low_ = 0, icr_high_ = 0;
    uint32_t lvt_[LVT_COUNT] = {};
    uint32_t timer_initial_ = 0;
    uint32_t timer_divide_ = 0;
    uint64_t timer_start_ns_ = 0;
    uint64_t fired_since_start_ = 0; /* periods advance() handled since the count was written */
    uint64_t timer_expiries_ = 0;    /* all expiries, for statistics and tests */
    bool timer_running_ = false;
    bool nmi_pending_ = false;
    bool globally_enabled_ = true;
};

} // namespace devices
