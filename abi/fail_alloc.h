/* The fail_alloc system call's modes and sites, shared by the kernel and libc
 * (docs/syscalls.md; the kernel side is kernel/mm/fault_injection.h). Plain C. */
#ifndef MATRYOSHKA_ABI_FAIL_ALLOC_H
#define MATRYOSHKA_ABI_FAIL_ALLOC_H

enum FailAllocMode {
    FAIL_ALLOC_OFF = 0,   /* disarm; the call returns the allocations counted since it was armed */
    FAIL_ALLOC_NTH = 1,   /* the Nth counted allocation from now fails, once */
    FAIL_ALLOC_EVERY = 2, /* every Nth counted allocation from now fails */
};

/* Which allocations count (a mask): kmalloc and new (std::nothrow) in the
 * kernel, and page allocations with PageClaim::ordinary. */
#define FAIL_ALLOC_HEAP 1
#define FAIL_ALLOC_PAGE 2
#define FAIL_ALLOC_ALL (FAIL_ALLOC_HEAP | FAIL_ALLOC_PAGE)

#endif
