/* Virtual machine ABI shared by the kernel's hypervisor and libc: the entries the
 * vm_list system call fills in. Plain C with fixed-size fields. See docs/syscalls.md. */
#ifndef MATRYOSHKA_ABI_VM_H
#define MATRYOSHKA_ABI_VM_H

#include <stdint.h>

#define VM_CMDLINE_LENGTH 64
#define VM_REASON_LENGTH 128

enum VmState {
    VM_RUNNING = 0,
    VM_STOPPED = 1, /* stopped by vm_stop or by the guest powering off (see reason) */
    VM_FAILED = 2, /* the guest crashed or VM entry failed (see reason) */
};

/* One entry of the vm_list system call. */
struct VmInfo {
    int32_t id;
    uint32_t state; /* an enum VmState */
    uint64_t memory_mib;
    uint64_t exit_count; /* VM exits handled so far */
    char cmdline[VM_CMDLINE_LENGTH]; /* the guest kernel's command line, cut */
    /* Why the VM ended ("guest powered off ...", "triple fault ...", "stopped by
     * the host"), cut; empty while it runs. Appended last, so older readers of
     * the fields above are unaffected. */
    char reason[VM_REASON_LENGTH];
};

#endif
