/* Virtual machine ABI shared by the kernel's hypervisor and libc: the entries the
 * vm_list system call fills in, and the exit statistics of vm_stats. Plain C with fixed-size fields. See docs/syscalls.md. */
#ifndef MATRYOSHKA_ABI_VM_H
#define MATRYOSHKA_ABI_VM_H

#include <stdint.h>

#define VM_CMDLINE_LENGTH 64
#define VM_PATH_LENGTH 64
#define VM_REASON_LENGTH 96
#define VM_REQUEST_CMDLINE_LENGTH 128
#define VM_MAX_MODULES 4
#define VM_ERROR_LENGTH 160
#define VM_MAX_DISKS 4 /* IDE: primary master, primary slave, secondary master, secondary slave */
#define VM_DISK_READ_ONLY 1u /* a disk_flags bit: the guest's writes are aborted */
#define VM_SEND_MAX 128 /* bytes one vm_send call takes: a line of text */
#define VM_KEYS_MAX 256 /* bytes one vm_keys call takes */
#define VM_SCREEN_ROWS 25
#define VM_SCREEN_COLUMNS 80
/* vm_screen's text at most: 25 lines of up to 80 characters, each with '\n'. */
#define VM_SCREEN_TEXT_MAX (VM_SCREEN_ROWS * (VM_SCREEN_COLUMNS + 1))
#define VM_DETACH_KEY 0x1D /* Ctrl-]: ends vm_attach (alone; Ctrl-] Ctrl-] sends the VM one) */
/* A guest's storage quota when vm_start is given 0 (docs/hypercalls.md, "Files"). */
#define VM_DEFAULT_QUOTA_BYTES (16ull << 20)
#define VM_DEFAULT_QUOTA_FILES 1024ull

enum VmState {
    VM_RUNNING = 0,
    VM_STOPPED = 1, /* stopped by vm_stop or by the guest powering off */
    VM_FAILED = 2, /* VM entry failed or the guest triple-faulted */
    VM_HALTED = 3, /* the guest halted with interrupts off (cli; hlt): nothing can wake it */
};

/* One entry of the vm_list system call. */
struct VmInfo {
    int32_t id;
    uint32_t state; /* an enum VmState */
    uint64_t memory_mib;
    uint64_t exit_count; /* VM exits handled so far */
    char cmdline[VM_CMDLINE_LENGTH]; /* the guest kernel's command line, cut */
    char path[VM_PATH_LENGTH];       /* the kernel file it booted */
    char reason[VM_REASON_LENGTH];   /* how it ended ("" while it runs) */
    uint64_t uptime_ms;              /* from start to now, or to its end */
    /* The VM's storage quota on the host's file system (docs/hypercalls.md,
     * "Files"): bytes of file data and files or directories, used and allowed.
     * Files a guest made stay charged after it ends, until they are removed. */
    uint64_t quota_bytes_used;
    uint64_t quota_bytes;
    uint64_t quota_files_used;
    uint64_t quota_files;
};

/* What vm_start takes: the kernel file and its modules (host VFS paths), the
 * guest's command line and RAM, the host directory its paravirtual file system
 * serves read-only and the one beneath it the guest may change ("" for the
 * defaults / and /shared; "none": nothing). On failure the kernel writes a
 * sentence saying what is wrong into `error`; on success it writes the root
 * directory it resolved (canonical: "/a/../b/" becomes "/b") into `root` and
 * what the VM may change into `error`. */
/* VmStartRequest.flags: CPUID leaf 0 answers "SWEBSWEBSWEB" instead of the CPU's
 * vendor (the slides' demo; docs/students.md). Nothing depends on it: our kernel
 * finds the hypervisor through leaf 0x40000000. */
#define VM_START_SWEB_VENDOR 0x1u
/* Whether this VM is offered VMX (nested virtualization, docs/nested.md),
 * whatever the host's vm_nested= says; neither bit: as vm_nested= says. Both
 * bits is EINVAL; ON where the host cannot run nested guests (SVM, or VMX
 * without EPT and unrestricted guest) is ENODEV with the reason in `error`. */
#define VM_START_NESTED_ON 0x2u
#define VM_START_NESTED_OFF 0x4u

struct VmStartRequest {
    char path[VM_PATH_LENGTH];
    char cmdline[VM_REQUEST_CMDLINE_LENGTH];
    char root[VM_PATH_LENGTH];
    char modules[VM_MAX_MODULES][VM_PATH_LENGTH];
    uint32_t module_count;
    uint32_t flags; /* VM_START_* bits; any other bit set is EINVAL */
    uint64_t memory_mib;
    char error[VM_ERROR_LENGTH]; /* out */
    char writable[VM_PATH_LENGTH];
    uint64_t quota_bytes; /* file data the guest may keep on the host; 0: the default */
    uint64_t quota_files; /* files and directories it may make; 0: the default */
    /* IDE disks backed by host files (docs/devices.md, "IDE disks"), one per
     * unit in VM_MAX_DISKS order; "" leaves a unit empty. */
    char disks[VM_MAX_DISKS][VM_PATH_LENGTH];
    uint32_t disk_flags[VM_MAX_DISKS]; /* VM_DISK_READ_ONLY */
};

/* Bounds of the vm_stats record's tables. */
#define VM_STATS_REASONS 80    /* VMX: basic exit reasons 0-79 (Intel SDM Appendix C); SVM: the
                                  slots of hypervisor/svm/svm_data.py */
#define VM_BACKEND_VMX 0
#define VM_BACKEND_SVM 1
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
    uint64_t events_reinjected;   /* events whose delivery an exit interrupted */
    uint32_t port_count;          /* entries used in ports[] */
    uint32_t backend;             /* VM_BACKEND_VMX or VM_BACKEND_SVM: whose numbers reasons[] uses */
    uint64_t unknown_msrs;        /* RDMSR/WRMSR of MSRs the guest's CPU lacks (each raised #GP) */
    struct VmExitCount reasons[VM_STATS_REASONS];
    struct VmExitCount hypercalls[VM_STATS_HYPERCALLS];
    struct VmPortCount ports[VM_STATS_PORTS];
    struct VmPortCount other_ports;
    /* Nested VMX (docs/nested.md): whether the VM is offered VMX; L1's VMX
     * instructions the host emulated, the VMREADs and VMWRITEs among them (those
     * a shadow VMCS answered cause no exit), copies between the shadow VMCS and
     * the VMCS12 cache, and L2's exits reflected to L1 or handled by the host. */
    uint32_t nested_vmx;
    uint32_t reserved_nested;
    uint64_t nested_vmx_instructions;
    uint64_t nested_vmreads;
    uint64_t nested_vmwrites;
    uint64_t nested_shadow_syncs;
    uint64_t nested_l2_exits_reflected;
    uint64_t nested_l2_exits_handled;
};

#endif
