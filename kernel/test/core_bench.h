/* The core kernel's benchmark (bench=core on the command line): context switches
 * and page allocations per emulated second, printed as "[host bench] ..." lines
 * for tools/bench/core_bench.py. Times come from the TSC, calibrated against the
 * PIT: in Bochs both follow the emulated instruction count. */
#pragma once

class CommandLine;

/* Returns false when the command line asks for no benchmark. */
bool run_benchmarks(const CommandLine& cmdline);
