/* Showing what a VM made the hypervisor do: its exit statistics as a kvm_stat-like
 * table, its exit trace as greppable lines (tools/trace.py reads them), and the
 * vm_stats record for programs (abi/vm.h). The kernel command line asks for them:
 *   vm_stats        print each VM's statistics table when it ends
 *   vm_trace=dump   print each VM's last exits when it ends */
#pragma once
#include "abi/vm.h"

class CommandLine;
class Vm;

namespace vm_report {

/* Reads vm_stats and vm_trace= from the command line. */
void configure(const CommandLine& cmdline);
/* Called on a VM's thread once its vCPU stopped: prints what was asked for. */
void vm_ended(Vm& vm);

void print_statistics(Vm& vm);
void dump_trace(Vm& vm);
/* The statistics as the vm_stats system call returns them. */
void fill_stats(Vm& vm, VmStats& out);

} // namespace vm_report
