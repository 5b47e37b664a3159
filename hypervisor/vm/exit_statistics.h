/* What a VM made its hypervisor do, like Linux's kvm_stat: per VM exit reason,
 * per I/O port and per hypercall, how often and how many host TSC cycles it took,
 * and a trace of the most recent exits. Pure logic without VMX: the backend
 * describes each exit as an ExitEvent (the reason numbers are the backend's, for
 * VMX the basic exit reasons of Intel SDM revision 084, Vol. 3D, Appendix C).
 * Also compiled into the unit tests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* One VM exit, as the run loop saw it. */
struct ExitEvent {
    static constexpr uint32_t NO_PORT = 0xFFFFFFFF;
    static constexpr uint64_t NO_HYPERCALL = ~0ull;

    uint16_t reason = 0;                  /* the backend's exit reason number */
    bool entry_failure = false;
    bool port_in = false;                 /* with `port`: IN rather than OUT */
    uint32_t port = NO_PORT;              /* the I/O port of a port-access exit */
    uint64_t hypercall = NO_HYPERCALL;    /* the number (RAX) of a hypercall exit */
    uint64_t qualification = 0;
    uint64_t guest_rip = 0;
    uint64_t exit_tsc = 0;                /* host TSC right after the exit */
    uint64_t guest_cycles = 0;            /* TSC from the VM entry to this exit */
    uint64_t handler_cycles = 0;          /* TSC in the exit handler, without halted waits */
    uint64_t entry_cycles = 0;            /* TSC preparing the entry before this exit */
};

/* Nested VMX (hypervisor/nested, docs/nested.md): what L1, a hypervisor
 * itself, made the host do. */
struct NestedCounters {
    uint64_t vmx_instructions = 0;   /* VMX instruction exits emulated */
    uint64_t vmreads = 0;            /* VMREAD exits among them (those the shadow VMCS answered made none) */
    uint64_t vmwrites = 0;           /* VMWRITE exits among them */
    uint64_t shadow_syncs = 0;       /* copies between the shadow VMCS and the VMCS12 cache */
    uint64_t l2_exits_reflected = 0; /* L2's exits handed to L1 */
    uint64_t l2_exits_handled = 0;   /* L2's exits the host handled on L1's behalf */
    uint64_t vmcs02_kept = 0;        /* VMRESUMEs that updated the kept VMCS02 instead of building it */
};

struct ExitCounter {
    uint64_t count = 0;
    uint64_t cycles = 0; /* host TSC cycles in the handlers */
};

struct PortCounter {
    uint32_t port = 0;
    uint64_t reads = 0;
    uint64_t writes = 0;
    uint64_t cycles = 0;
};

/* Counts and host time per exit reason, I/O port and hypercall. The port table
 * keeps the first PORTS ports that saw traffic; later ones add up in
 * `other_ports`. Hypercall numbers from HYPERCALLS on add up in the last slot. */
struct ExitStatistics {
    static constexpr size_t REASONS = 80;
    static constexpr size_t HYPERCALLS = 16;
    static constexpr size_t PORTS = 24;

    /* Inline, since every VM exit passes here (the run loop's fast path too):
     * a few additions, and the port table only for port exits. */
    void record(const ExitEvent& event)
    {
        ++total;
        guest_cycles += event.guest_cycles;
        handler_cycles += event.handler_cycles;
        entry_cycles += event.entry_cycles;
        if (event.entry_failure)
            ++entry_failures;
        if (event.reason < REASONS) {
            ++by_reason[event.reason].count;
            by_reason[event.reason].cycles += event.handler_cycles;
        }
        if (event.hypercall != ExitEvent::NO_HYPERCALL) {
            ExitCounter& counter = hypercalls[event.hypercall < HYPERCALLS - 1 ? event.hypercall : HYPERCALLS - 1];
            ++counter.count;
            counter.cycles += event.handler_cycles;
        }
        if (event.port != ExitEvent::NO_PORT)
            record_port(event);
    }
    /* The counter of `port`, or nullptr when it has none (it went to other_ports). */
    const PortCounter* port_counter(uint32_t port) const;

    uint64_t total = 0;
    uint64_t entry_failures = 0;
    uint64_t guest_cycles = 0;   /* running the guest, entry to exit */
    uint64_t handler_cycles = 0; /* in exit handlers, halted waits excluded */
    uint64_t entry_cycles = 0;   /* preparing entries (devices, injection, timer) */
    uint64_t halted_cycles = 0;  /* a halted guest's thread asleep; added by the HLT handler */
    ExitCounter by_reason[REASONS];
    ExitCounter hypercalls[HYPERCALLS]; /* the last slot: every number >= HYPERCALLS - 1 */
    PortCounter ports[PORTS];
    size_t port_count = 0;
    PortCounter other_ports;
    /* Port accesses element by element (a REP INS/OUTS is one exit, many elements). */
    uint64_t port_reads = 0;
    uint64_t port_writes = 0;
    uint64_t interrupts_injected = 0;
    uint64_t events_reinjected = 0; /* events whose delivery an exit interrupted */
    uint64_t fast_exits = 0;        /* exits answered on the run loop's fast path (also counted above) */
    uint64_t host_nmis = 0;         /* NMIs that arrived while the guest ran, passed to the host's handler */
    NestedCounters nested;

private:
    void record_port(const ExitEvent& event);
    PortCounter& counter_for(uint32_t port);
    /* The slot of the port counted last: a guest's port exits repeat one port
     * (its PIC's EOI after every timer interrupt), which then skips the scan. */
    size_t last_port_ = 0;
};

/* The last Capacity exits, oldest overwritten first (unlike RingBuffer, which
 * drops new input): what a person reads after something went wrong. */
template <size_t Capacity> class ExitTrace {
    static_assert(Capacity > 0 && (Capacity & (Capacity - 1)) == 0, "a power of two, so indices wrap with a mask");

public:
    void push(const ExitEvent& event) { events_[recorded_++ & (Capacity - 1)] = event; }
    /* Exits recorded since the start, kept or not. */
    uint64_t recorded() const { return recorded_; }
    size_t size() const { return recorded_ < Capacity ? size_t(recorded_) : Capacity; }
    /* The i-th kept exit, oldest first (i < size()). */
    const ExitEvent& at(size_t i) const { return events_[(recorded_ - size() + i) & (Capacity - 1)]; }
    /* The sequence number (0 = the VM's first exit) of at(i). */
    uint64_t sequence(size_t i) const { return recorded_ - size() + i; }
    static constexpr size_t capacity() { return Capacity; }

private:
    ExitEvent events_[Capacity] = {};
    uint64_t recorded_ = 0;
};

constexpr size_t EXIT_TRACE_LENGTH = 256;
using VmExitTrace = ExitTrace<EXIT_TRACE_LENGTH>;
