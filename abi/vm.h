/* Virtual machine ABI shared by the kernel's hypervisor and libc: the entries the
 * vm_list system call fills in. Plain C with fixed-size fields. See docs/syscalls.md. */
#ifndef MATRYOSHKA_ABI_VM_H
#define MATRYOSHKA_ABI_VM_H

#include <stdint.h>

#define VM_CMDLINE_LENGTH 64
#define VM_PATH_LENGTH 64
#define VM_REASON_LENGTH 96
#define VM_REQUEST_CMDLINE_LENGTH 128
#define VM_MAX_MODULES 4
#define VM_ERROR_LENGTH 160

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
    char path[VM_PATH_LENGTH];       /* the kernel file it booted */
    char reason[VM_REASON_LENGTH];   /* how it ended ("" while it runs) */
    uint64_t uptime_ms;              /* from start to now, or to its end */
};

/* What vm_start takes: the kernel file and its modules (host VFS paths), the
 * guest's command line and RAM, and the host directory its paravirtual file
 * system serves ("" for the default). On failure the kernel writes a sentence
 * saying what is wrong into `error`. */
struct VmStartRequest {
    char path[VM_PATH_LENGTH];
    char cmdline[VM_REQUEST_CMDLINE_LENGTH];
    char root[VM_PATH_LENGTH];
    char modules[VM_MAX_MODULES][VM_PATH_LENGTH];
    uint32_t module_count;
    uint32_t flags; /* reserved, 0 */
    uint64_t memory_mib;
    char error[VM_ERROR_LENGTH]; /* out */
};

#endif
