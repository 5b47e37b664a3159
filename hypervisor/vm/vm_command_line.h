/* Starting VMs from the kernel command line, for tests and demos before a shell
 * exists to type `vm start` into:
 *   vm=PATH[,PATH...]    start a VM of each Multiboot kernel file (host VFS paths)
 *   vm_mem=MiB           guest RAM of each (default 32)
 *   vm_quota_bytes=N     file data each guest may keep on the host (default 16 MiB)
 *   vm_quota_files=N     files and directories each may make (default 1024)
 *   vm_cmdline=WORDS     the guests' command line, '+' standing for a space
 *   vm_timeout_ms=N      stop the VMs still running after N ms (default 120000)
 *   vm_stats, vm_trace=dump  print each VM's exit statistics or trace at its end
 *                        (hypervisor/vm/vm_report.h; read even without vm=)
 *   vm_port80=exit|pass  port 0x80 exits like every port, or (default) reaches
 *                        the host's POST port without an exit (docs/devices.md)
 *   vm_bench=host        the host-side VM benchmarks instead (hypervisor/bench/vm_bench.h)
 *   vm_nested=on|off, vm_nested_shadow=on|off  VMX for the VMs (hypervisor/nested/
 *                        nested_option.h, docs/nested.md; read even without vm=)
 *   vm_root=DIR[,DIR...] each VM's root directory for its paravirtual file system,
 *                        in the order of vm= (the last one given serves the rest;
 *                        default vm_manager::DEFAULT_ROOT, the host's /)
 *   vm_writable=DIR[,DIR...] the directory beneath each VM's root where it may
 *                        change files ("none": nowhere), in the same order;
 *                        default vm_manager::DEFAULT_WRITABLE, /shared
 *   vm_disk=IMAGE[:ro][,IMAGE[:ro]...] the IDE disks of every VM, host files in
 *                        unit order (primary master, primary slave, secondary
 *                        master, secondary slave); ":ro" attaches one read-only,
 *                        "none" leaves a unit empty
 * The host waits for every VM to end, logs how each ended ("VM RESULT: ...") and
 * the free page count before and after the VMs (docs/hostile-guests.md), then
 * runs the test= sets if any and powers off. */
#pragma once

class CommandLine;

/* Returns false when the command line names no VM; otherwise runs them all. */
bool run_vms_from_command_line(const CommandLine& cmdline);
