/* Exit statistics and traces shown; see vm_report.h. Lines are tagged
 * "[host vmx] vmN stats:" and "[host vmx] vmN trace", the formats that
 * tools/trace.py and tools/bench parse. */
#include "hypervisor/vm/vm_report.h"

#include "boot/cmdline.h"
#include "console/log.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/vm.h"
#include "lib/format.h"
#include "lib/string.h"
#include "time/clock.h"

static_assert(VM_STATS_REASONS == ExitStatistics::REASONS && VM_STATS_HYPERCALLS == ExitStatistics::HYPERCALLS &&
                  VM_STATS_PORTS == ExitStatistics::PORTS,
              "abi/vm.h's tables have the statistics' bounds");

namespace vm_report {

namespace {

bool print_statistics_at_end = false;
bool dump_trace_at_end = false;
bool statistics_kept = true;
bool trace_kept = true;

const char* const HYPERCALL_NAMES[] = {"ping", "print", "power_off", "test_report"};

uint64_t ns_of(uint64_t cycles) { return clock::tsc_hz() ? clock::tsc_to_nanoseconds(cycles) : 0; }

/* Parts per thousand of `total`, for percentages with one decimal. */
uint64_t permille(uint64_t part, uint64_t total) { return total ? part * 1000 / total : 0; }

void print_row(int id, const char* name, uint64_t count, uint64_t cycles, const char* extra = "")
{
    log(LogCategory::vmx, "vm%d stats:   %-26s %10lu %14lu %14lu %10lu%s", id, name, count, cycles, ns_of(cycles),
        count ? cycles / count : 0, extra);
}

void print_header(int id, const char* what)
{
    log(LogCategory::vmx, "vm%d stats: %-28s %10s %14s %14s %10s", id, what, "exits", "cycles", "ns", "cycles/exit");
}

void print_ports(int id, const ExitStatistics& s)
{
    print_header(id, "I/O port");
    char name[16], extra[48];
    for (size_t i = 0; i < s.port_count; ++i) {
        const PortCounter& p = s.ports[i];
        format_string(name, sizeof(name), "0x%x", p.port);
        format_string(extra, sizeof(extra), "  in=%lu out=%lu", p.reads, p.writes);
        print_row(id, name, p.reads + p.writes, p.cycles, extra);
    }
    if (s.other_ports.reads + s.other_ports.writes) {
        format_string(extra, sizeof(extra), "  in=%lu out=%lu", s.other_ports.reads, s.other_ports.writes);
        print_row(id, "other", s.other_ports.reads + s.other_ports.writes, s.other_ports.cycles, extra);
    }
}

void print_hypercalls(int id, const ExitStatistics& s)
{
    print_header(id, "hypercall");
    char name[24];
    for (size_t i = 0; i < ExitStatistics::HYPERCALLS; ++i) {
        if (!s.hypercalls[i].count)
            continue;
        if (i < sizeof(HYPERCALL_NAMES) / sizeof(HYPERCALL_NAMES[0]))
            format_string(name, sizeof(name), "%zu:%s", i, HYPERCALL_NAMES[i]);
        else
            format_string(name, sizeof(name), i == ExitStatistics::HYPERCALLS - 1 ? "%zu+" : "%zu", i);
        print_row(id, name, s.hypercalls[i].count, s.hypercalls[i].cycles);
    }
}

} // namespace

void configure(const CommandLine& cmdline)
{
    char stats[16];
    statistics_kept = !(cmdline.value("vm_stats", stats, sizeof(stats)) && strcmp(stats, "off") == 0);
    /* A table of nothing but zeros would only mislead. */
    print_statistics_at_end = cmdline.has("vm_stats") && statistics_kept;
    char trace[16];
    bool has_trace = cmdline.value("vm_trace", trace, sizeof(trace));
    trace_kept = !(has_trace && strcmp(trace, "off") == 0);
    dump_trace_at_end = has_trace && strcmp(trace, "dump") == 0;
}

bool keeps_statistics() { return statistics_kept; }

bool keeps_trace() { return trace_kept; }

void vm_ended(Vm& vm)
{
    if (print_statistics_at_end)
        print_statistics(vm);
    if (dump_trace_at_end)
        dump_trace(vm);
}

void print_statistics(Vm& vm)
{
    const ExitStatistics& s = vm.statistics();
    int id = vm.id();
    uint64_t run_ns = (vm.stopped_ns ? vm.stopped_ns : clock::nanoseconds()) - vm.started_ns;
    uint64_t all = s.guest_cycles + s.handler_cycles + s.entry_cycles + s.halted_cycles;
    log(LogCategory::vmx,
        "vm%d stats: exits=%lu run_ns=%lu tsc_hz=%lu guest_cycles=%lu handler_cycles=%lu entry_cycles=%lu "
        "halted_cycles=%lu injected=%lu reinjected=%lu port_reads=%lu port_writes=%lu fast_exits=%lu unknown_msrs=%lu "
        "unknown_port_reads=%lu unknown_port_writes=%lu",
        id, s.total, run_ns, clock::tsc_hz(), s.guest_cycles, s.handler_cycles, s.entry_cycles, s.halted_cycles,
        s.interrupts_injected, s.events_reinjected, s.port_reads, s.port_writes, s.fast_exits,
        vm.cpu().unknown_msr_accesses(), vm.has_platform() ? vm.platform().io_bus().unknown_reads() : 0,
        vm.has_platform() ? vm.platform().io_bus().unknown_writes() : 0);
    log(LogCategory::vmx, "vm%d stats: of the VM's time: guest %lu.%lu%%, exit handlers %lu.%lu%%, entries %lu.%lu%%, "
        "halted %lu.%lu%%", id, permille(s.guest_cycles, all) / 10, permille(s.guest_cycles, all) % 10,
        permille(s.handler_cycles, all) / 10, permille(s.handler_cycles, all) % 10, permille(s.entry_cycles, all) / 10,
        permille(s.entry_cycles, all) % 10, permille(s.halted_cycles, all) / 10, permille(s.halted_cycles, all) % 10);
    if (vm.cpu().config().nested_vmx) {
        const NestedCounters& n = s.nested;
        log(LogCategory::vmx,
            "vm%d stats: nested vmx_instructions=%lu vmreads=%lu vmwrites=%lu shadow_syncs=%lu l2_exits_reflected=%lu "
            "l2_exits_handled=%lu vmcs02_kept=%lu", id, n.vmx_instructions, n.vmreads, n.vmwrites, n.shadow_syncs,
            n.l2_exits_reflected, n.l2_exits_handled, n.vmcs02_kept);
    }
    print_header(id, "exit reason");
    for (size_t reason = 0; reason < ExitStatistics::REASONS; ++reason) {
        if (s.by_reason[reason].count) {
            const char* name = exit_reason_short_name(uint16_t(reason));
            print_row(id, name ? name : "?", s.by_reason[reason].count, s.by_reason[reason].cycles);
        }
    }
    print_ports(id, s);
    print_hypercalls(id, s);
    log(LogCategory::vmx, "vm%d stats: end", id);
}

void dump_trace(Vm& vm)
{
    const VmExitTrace& trace = vm.trace();
    int id = vm.id();
    /* The backend says whose numbers the reasons are (tools/matryoshka/exit_log.py). */
    log(LogCategory::vmx, "vm%d trace begin: recorded=%lu kept=%zu tsc_hz=%lu backend=%s", id, trace.recorded(),
        trace.size(), clock::tsc_hz(), virtualization_backend_name(virtualization_backend()));
    for (size_t i = 0; i < trace.size(); ++i) {
        const ExitEvent& e = trace.at(i);
        const char* name = exit_reason_short_name(e.reason);
        log(LogCategory::vmx, "vm%d trace %lu reason=%u%s name=%s qual=0x%lx rip=0x%lx tsc=%lu guest=%lu handler=%lu",
            id, trace.sequence(i), e.reason, e.entry_failure ? " entry_failure" : "", name ? name : "?",
            e.qualification, e.guest_rip, e.exit_tsc, e.guest_cycles, e.handler_cycles);
    }
    log(LogCategory::vmx, "vm%d trace end", id);
}

/* A running VM's thread may count further exits between two of these reads (it
 * records with interrupts off, this copy does not stop it): the record is a
 * snapshot, each counter exact, the set of them not taken at one instant. */
void fill_stats(Vm& vm, VmStats& out)
{
    const ExitStatistics& s = vm.statistics();
    memset(&out, 0, sizeof(out));
    out.id = vm.id();
    /* Ended only once the VM's thread finished, as vm_list says (vm_manager.h). */
    out.state = vm.finished() ? vm_abi_state(vm.state()) : uint32_t(VM_RUNNING);
    out.tsc_hz = clock::tsc_hz();
    out.run_ns = (vm.stopped_ns ? vm.stopped_ns : clock::nanoseconds()) - vm.started_ns;
    out.exits = s.total;
    out.entry_failures = s.entry_failures;
    out.guest_cycles = s.guest_cycles;
    out.handler_cycles = s.handler_cycles;
    out.entry_cycles = s.entry_cycles;
    out.halted_cycles = s.halted_cycles;
    out.port_reads = s.port_reads;
    out.port_writes = s.port_writes;
    out.interrupts_injected = s.interrupts_injected;
    out.events_reinjected = s.events_reinjected;
    out.port_count = uint32_t(s.port_count);
    out.backend = virtualization_backend() == VirtualizationBackend::svm ? VM_BACKEND_SVM : VM_BACKEND_VMX;
    out.unknown_msrs = vm.cpu().unknown_msr_accesses();
    out.nested_vmx = vm.cpu().config().nested_vmx;
    out.nested_vmx_instructions = s.nested.vmx_instructions;
    out.nested_vmreads = s.nested.vmreads;
    out.nested_vmwrites = s.nested.vmwrites;
    out.nested_shadow_syncs = s.nested.shadow_syncs;
    out.nested_l2_exits_reflected = s.nested.l2_exits_reflected;
    out.nested_l2_exits_handled = s.nested.l2_exits_handled;
    for (size_t i = 0; i < ExitStatistics::REASONS; ++i)
        out.reasons[i] = {s.by_reason[i].count, s.by_reason[i].cycles};
    for (size_t i = 0; i < ExitStatistics::HYPERCALLS; ++i)
        out.hypercalls[i] = {s.hypercalls[i].count, s.hypercalls[i].cycles};
    for (size_t i = 0; i < s.port_count; ++i)
        out.ports[i] = {s.ports[i].port, 0, s.ports[i].reads, s.ports[i].writes, s.ports[i].cycles};
    out.other_ports = {0, 0, s.other_ports.reads, s.other_ports.writes, s.other_ports.cycles};
}

} // namespace vm_report
