/* vmstat: the exit statistics of running and ended VMs, like Linux's kvm_stat,
 * from the vm_stats system call (abi/vm.h). `vmstat` shows every VM once;
 * `vmstat ID SECONDS` refreshes VM ID's table every second for SECONDS seconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypervisor/svm/svm_constants.h"
#include "hypervisor/vmx/vmx_constants.h"

namespace {

constexpr int MAX_VMS = 8;
VmInfo vms[MAX_VMS];
VmStats stats;

const char* const HYPERCALL_NAMES[] = {"ping", "print", "power_off", "test_report"};

unsigned long ns_of(uint64_t cycles, uint64_t tsc_hz)
{
    /* cycles * 1e9 / tsc_hz without overflowing for hours of cycles. */
    return tsc_hz ? static_cast<unsigned long>(cycles / tsc_hz * 1000000000ull +
                                               cycles % tsc_hz * 1000000000ull / tsc_hz)
                  : 0;
}

void print_row(const char* name, uint64_t count, uint64_t cycles, uint64_t tsc_hz)
{
    printf("  %-26s %10lu %14lu %14lu %10lu\n", name, static_cast<unsigned long>(count),
           static_cast<unsigned long>(cycles), ns_of(cycles, tsc_hz),
           static_cast<unsigned long>(count ? cycles / count : 0));
}

void print_header(const char* what) { printf("%-28s %10s %14s %14s %10s\n", what, "exits", "cycles", "ns", "cycles/exit"); }

void print_table(const VmStats& s)
{
    static const char* const states[] = {"running", "stopped", "failed", "halted"};
    printf("vm%d %s: %lu exits in %lu ms; guest %lu, handlers %lu, entries %lu, halted %lu cycles; "
           "%lu interrupts injected, %lu re-injected\n",
           s.id, s.state < 4 ? states[s.state] : "?", static_cast<unsigned long>(s.exits),
           static_cast<unsigned long>(s.run_ns / 1000000), static_cast<unsigned long>(s.guest_cycles),
           static_cast<unsigned long>(s.handler_cycles), static_cast<unsigned long>(s.entry_cycles),
           static_cast<unsigned long>(s.halted_cycles), static_cast<unsigned long>(s.interrupts_injected),
           static_cast<unsigned long>(s.events_reinjected));
    print_header("exit reason");
    for (int reason = 0; reason < VM_STATS_REASONS; ++reason) {
        if (!s.reasons[reason].count)
            continue;
        const char* name = s.backend == VM_BACKEND_SVM ? svm::exit_slot_identifier(uint16_t(reason))
                                                       : vmx::exit_reason_identifier(vmx::ExitReason(reason));
        print_row(name ? name : "?", s.reasons[reason].count, s.reasons[reason].cycles, s.tsc_hz);
    }
    print_header("I/O port");
    char name[32];
    for (uint32_t i = 0; i < s.port_count && i < VM_STATS_PORTS; ++i) {
        const VmPortCount& p = s.ports[i];
        snprintf(name, sizeof(name), "0x%x (in %lu)", p.port, static_cast<unsigned long>(p.reads));
        print_row(name, p.reads + p.writes, p.cycles, s.tsc_hz);
    }
    if (s.other_ports.reads + s.other_ports.writes)
        print_row("other", s.other_ports.reads + s.other_ports.writes, s.other_ports.cycles, s.tsc_hz);
    print_header("hypercall");
    for (int i = 0; i < VM_STATS_HYPERCALLS; ++i) {
        if (!s.hypercalls[i].count)
            continue;
        if (i < 4)
            snprintf(name, sizeof(name), "%d:%s", i, HYPERCALL_NAMES[i]);
        else
            snprintf(name, sizeof(name), i == VM_STATS_HYPERCALLS - 1 ? "%d+" : "%d", i);
        print_row(name, s.hypercalls[i].count, s.hypercalls[i].cycles, s.tsc_hz);
    }
}

bool show(int id)
{
    if (vm_stats(id, &stats, sizeof(stats)) < 0) {
        dprintf(STDERR_FILENO, "vmstat: vm%d: %s\n", id, strerror(errno));
        return false;
    }
    print_table(stats);
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 3) {
        int id = atoi(argv[1]);
        for (int second = 0; second < atoi(argv[2]); ++second) {
            if (!show(id))
                return 1;
            sleep_ms(1000);
        }
        return 0;
    }
    if (argc != 1) {
        dprintf(STDERR_FILENO, "usage: vmstat [ID SECONDS]\n");
        return 2;
    }
    int total = vm_list(vms, MAX_VMS);
    if (total < 0) {
        dprintf(STDERR_FILENO, "vmstat: %s\n", strerror(errno));
        return 1;
    }
    if (total == 0)
        printf("no VMs\n");
    bool ok = true;
    for (int i = 0; i < total && i < MAX_VMS; ++i)
        ok = show(vms[i].id) && ok;
    return ok ? 0 : 1;
}
