/* In-kernel benchmarks of what a VM costs its host (tools/bench/run_all.py reads
 * their lines). Kernel command line:
 *   vm_bench=host   host memory a VM takes beyond its guest RAM, and a host
 *                   CPU-bound thread's progress with one busy guest (the "bench"
 *                   guest spinning) against its progress alone, and CPUID on
 *                   the host as the baseline of a guest's CPUID exit
 * Each result is one line "[host vmx] bench NAME key=value ...". */
#pragma once

class CommandLine;

/* Returns false when the command line asks for no benchmark; otherwise runs it. */
bool run_vm_benchmarks_from_command_line(const CommandLine& cmdline);
