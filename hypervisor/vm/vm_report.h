/* Showing what a VM made the hypervisor do: its exit statistics as a kvm_stat-like
 * table, its exit trace as greppable lines (tools/trace.py reads them), and the
 * vm_stats record for programs (abi/vm.h). The kernel command line asks for them:
 *   vm_stats        print each VM's statistics table when it ends
 *   vm_trace=dump   print each VM's last exits when it ends
 *   vm_stats=off    keep no per-exit statistics at all (the run loops skip
 *                   ExitStatistics::record; counts stay 0), for the exit path's
 *                   cost without them (`make bench`)
 *   vm_trace=off    keep no exit trace (the loops skip ExitTrace::push) */
#pragma once
#include "abi/vm.h"

class CommandLine;
class Vm;

namespace vm_report {

/* Reads vm_stats and vm_trace= from the command line. */
void configure(const CommandLine& cmdline);
/* Whether the run loops record each exit in the statistics and in the trace
 * (both on unless the command line says vm_stats=off or vm_trace=off). Read
 * once per VM, when its loop starts. */
bool keeps_statistics();
bool keeps_trace();
/* Called on a VM's thread once its vCPU stopped: prints what was asked for. */
void vm_ended(Vm& vm);

void print_statistics(Vm& vm);
void dump_trace(Vm& vm);
/* The statistics as the vm_stats system call returns them. */
void fill_stats(Vm& vm, VmStats& out);

} // namespace vm_report
