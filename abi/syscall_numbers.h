/* The system call table of Matryoshka, shared by the kernel's dispatch table, libc's
 * wrappers and the Python tests: one X-macro list, so the numbers are written once.
 * The calling convention is in docs/syscalls.md. Plain C, no kernel types. */
#ifndef MATRYOSHKA_ABI_SYSCALL_NUMBERS_H
#define MATRYOSHKA_ABI_SYSCALL_NUMBERS_H

/* X(number, name, argument count). Numbers are dense and never reused: a removed
 * call leaves its number behind. tests/tools/test_user_build.py parses these lines,
 * so keep one entry per line in exactly this form. */
#define MATRYOSHKA_SYSCALLS(X)                                                      \
    X(0, exit, 1)       /* (int status): ends the calling process, never returns */ \
    X(1, read, 3)       /* (int fd, void* buffer, size_t count) -> bytes read */    \
    X(2, write, 3)      /* (int fd, const void* buffer, size_t count) -> bytes */   \
    X(3, open, 3)       /* (const char* path, int flags, int mode) -> fd */         \
    X(4, close, 1)      /* (int fd) -> 0 */                                         \
    X(5, lseek, 3)      /* (int fd, int64_t offset, int whence) -> new offset */    \
    X(6, stat, 2)       /* (const char* path, struct stat* out) -> 0 */             \
    X(7, fstat, 2)      /* (int fd, struct stat* out) -> 0 */                       \
    X(8, mkdir, 2)      /* (const char* path, int mode) -> 0 */                     \
    X(9, rmdir, 1)      /* (const char* path) -> 0 */                               \
    X(10, unlink, 1)    /* (const char* path) -> 0 */                               \
    X(11, rename, 2)    /* (const char* from, const char* to) -> 0 */               \
    X(12, getdents, 3)  /* (int fd, void* buffer, size_t size) -> bytes filled */   \
    X(13, chdir, 1)     /* (const char* path) -> 0 */                               \
    X(14, getcwd, 2)    /* (char* buffer, size_t size) -> length incl. NUL */       \
    X(15, dup, 1)       /* (int fd) -> new fd */                                    \
    X(16, spawn, 3)     /* (const char* path, char* const argv[], char* const envp[]) -> pid */ \
    X(17, fork, 0)      /* () -> child pid in the parent, 0 in the child */         \
    X(18, exec, 3)      /* (const char* path, char* const argv[], char* const envp[]) */ \
    X(19, wait, 2)      /* (int pid or -1 for any child, int* status) -> pid */     \
    X(20, getpid, 0)    /* () -> pid */                                             \
    X(21, sleep_ms, 1)  /* (uint64_t milliseconds) -> 0 */                          \
    X(22, yield, 0)     /* () -> 0 */                                               \
    X(23, ps, 2)        /* (struct ProcessInfo* out, size_t count) -> processes */  \
    X(24, free_pages, 0) /* () -> free physical pages (for leak tests) */          \
    X(25, brk, 1)       /* (void* end or NULL to ask) -> the program break */       \
    X(26, clock_ns, 0)  /* () -> nanoseconds since boot, monotonic */               \
    X(27, vm_start, 1)  /* (struct VmStartRequest* request) -> vm id */             \
    X(28, vm_list, 2)   /* (struct VmInfo* out, size_t count) -> vms */             \
    X(29, vm_stop, 1)   /* (int vm id) -> 0 */                                      \
    X(30, poweroff, 1)  /* (int status): turns the machine off, 0 meaning passed */ \
    X(31, vm_front, 1)  /* (int vm id): the VM console (Alt+F4) shows it, in front */ \
    X(32, vm_stats, 3)  /* (int vm id, struct VmStats* out, size_t size) -> bytes */ \
    X(33, vm_send, 3)   /* (int vm id, const void* bytes, size_t count) -> bytes queued for its COM1 */ \
    X(34, vm_attach, 1) /* (int vm id): COM1 typed into the VM until Ctrl-] -> 0, or 1 when it ended */ \
    X(35, heap_pages, 0) /* () -> pages the kernel heap holds (for leak tests) */ \
    X(36, fail_alloc, 3) /* (int mode, uint64_t n, unsigned sites) -> 0, or allocations counted (abi/fail_alloc.h) */ \
    X(37, ftruncate, 2) /* (int fd, uint64_t size) -> 0 */ \
    X(38, vm_screen, 3) /* (int vm id, char* out, size_t size) -> bytes: its text screen, live or as it ended */ \
    X(39, vm_keys, 3)   /* (int vm id, const void* text, size_t count) -> bytes queued for its PS/2 keyboard */

/* SYS_exit, SYS_read, ...; SYSCALL_COUNT is one past the highest number. */
enum {
#define MATRYOSHKA_SYSCALL_ENUM(number, name, arguments) SYS_##name = number,
    MATRYOSHKA_SYSCALLS(MATRYOSHKA_SYSCALL_ENUM)
#undef MATRYOSHKA_SYSCALL_ENUM
    SYSCALL_COUNT
};

#endif
