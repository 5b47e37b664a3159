/* Process ABI shared by the kernel and libc: the wait status and the entries the ps
 * system call fills in. Plain C with fixed-size fields, so both sides agree on the
 * layout without sharing kernel types. See docs/syscalls.md. */
#ifndef MATRYOSHKA_ABI_PROCESS_H
#define MATRYOSHKA_ABI_PROCESS_H

#include <stdint.h>

/* wait() stores the value the child passed to exit(), or, for a process the kernel
 * ended because of a CPU exception, PROCESS_STATUS_FAULT | vector. An exit status
 * is 0..255 (like Unix, only the low byte is kept), so the two never collide. */
#define PROCESS_STATUS_FAULT 0x100

#define PROCESS_NAME_LENGTH 32

enum ProcessState {
    PROCESS_RUNNING = 0, /* running or ready to run */
    PROCESS_SLEEPING = 1, /* waiting: sleep, wait, a read from the keyboard */
    PROCESS_ZOMBIE = 2, /* exited, its status not yet collected by wait */
};

/* One entry of the ps system call. */
struct ProcessInfo {
    int32_t pid;
    int32_t parent_pid;
    uint32_t state; /* an enum ProcessState */
    uint32_t thread_count;
    uint64_t user_pages; /* pages mapped in its address space */
    char name[PROCESS_NAME_LENGTH]; /* the program's path, NUL-terminated, cut */
};

#endif
