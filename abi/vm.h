/* Virtual machine ABI shared by the kernel's hypervisor and libc: the entries the
 * vm_list system call fills in, and the exit statistics of vm_stats. Plain C with fixed-size fields. See docs/syscalls.md. */
#ifndef MATRYOSHKA_ABI_VM_H
#define MATRYOSHKA_ABI_VM_H

#include <stdint.h>

#define VM_CMDLINE_LENGTH 64

enum VmState {
    VM_RUNNING = 0,
    VM_STOPPED = 1, /* stopped by vm_stop or by the guest powering off */
    VM_FAILED = 2, /* VM entry failed or the guest triple-faulted */
};

/* One entry of the vm_list system call. */
struct VmInfo {
    int32_t id;
    uint32_t state; /* an enum VmState */
    uint64_t memory_mib;
    uint64_t exit_count; /* VM exits handled so far */
    char cmdline[VM_CMDLINE_LENGTH]; /* the guest kernel's command line, cut */
};

/* Bounds of the vm_stats record's tables. */
#define VM_STATS_REASONS 80    /* basic exit reasons 0-79 (Intel SDM Appendix C) */
#define VM_STATS_HYPERCALLS 16 /* hypercall numbers; the last slot counts every higher one */
#define VM_STATS_PORTS 24      /* the first ports that saw traffic; the rest in other_ports */

/* How often something happened and the host TSC cycles its handlers took. */
struct VmExitCount {
    uint64_t count;
    uint64_t cycles;
};

/* The VM exits of one I/O port (IN and OUT instructions, a REP string one exit). */
struct VmPortCount {
    uint32_t port;
    uint32_t reserved;
    uint64_t reads;
    uint64_t writes;
    uint64_t cycles;
};

/* What the vm_stats system call fills in: like Linux's kvm_stat, per exit reason,
 * per I/O port and per hypercall. Times are host TSC cycles; tsc_hz converts. */
struct VmStats {
    int32_t id;
    uint32_t state;               /* an enum VmState */
    uint64_t tsc_hz;              /* the host's TSC frequency */
    uint64_t run_ns;              /* since the VM started (until it ended) */
    uint64_t exits;
    uint64_t entry_failures;
    uint64_t guest_cycles;        /* running the guest, from each entry to its exit */
    uint64_t handler_cycles;      /* in exit handlers, without a halted guest's sleep */
    uint64_t entry_cycles;        /* preparing entries: devices, injection, timer */
    uint64_t halted_cycles;       /* the guest halted, its host thread asleep */
    uint64_t port_reads;          /* port accesses, element by element */
    uint64_t port_writes;
    uint64_t interrupts_injected;
    uint32_t port_count;          /* entries used in ports[] */
    uint32_t reserved;
    struct VmExitCount reasons[VM_STATS_REASONS];
    struct VmExitCount hypercalls[VM_STATS_HYPERCALLS];
    struct VmPortCount ports[VM_STATS_PORTS];
    struct VmPortCount other_ports;
};

#endif
