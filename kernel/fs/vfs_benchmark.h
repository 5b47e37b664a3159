/* The file system benchmark behind `bench=vfs` on the command line: writes and
 * reads a file in 4 KiB and in 1 MiB transfers through VfsSyscall and logs the
 * TSC cycles each took, one line per figure:
 *   [host fs] bench vfs write 4KiB: 2097152 bytes in 123456 cycles
 * On the host that is the ramfs; in a guest whose root is the host's files
 * (fs/hypercall_fs.h) every transfer is a hypercall, so tools/bench/pvfs_bench.py
 * runs both in one boot and prints the ratios. In Bochs the TSC counts emulated
 * instructions. Prints figures; it is not a test. */
#pragma once

namespace vfs_benchmark {

void run();

} // namespace vfs_benchmark
