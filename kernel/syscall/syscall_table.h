/* The kernel's system call dispatch table, generated from the one list in
 * abi/syscall_numbers.h. Every call has a handler `syscall_<name>`; the ones no
 * subsystem implements yet answer -ENOSYS (weak defaults in syscall_table.cpp), so
 * a subsystem adds a call by defining its handler, e.g. VfsSyscall defines
 * syscall_open. Convention and errors: docs/syscalls.md. */
#pragma once
#include "abi/syscall_numbers.h"

#include <stddef.h>
#include <stdint.h>

/* The six argument registers as the entry code saved them: RDI, RSI, RDX, R10,
 * R8, R9. */
struct SyscallArguments {
    uint64_t value[6];
};

/* Returns the value for RAX: >= 0, or -errno. */
using SyscallHandler = int64_t (*)(const SyscallArguments& arguments);

#define MATRYOSHKA_SYSCALL_DECLARE(number, name, arguments) int64_t syscall_##name(const SyscallArguments&);
MATRYOSHKA_SYSCALLS(MATRYOSHKA_SYSCALL_DECLARE)
#undef MATRYOSHKA_SYSCALL_DECLARE

struct SyscallEntry {
    const char* name;
    uint8_t argument_count;
    SyscallHandler handler;
};

/* The entry for `number`, or nullptr when there is no such call. */
const SyscallEntry* syscall_entry(uint64_t number);

/* Runs call `number`: -ENOSYS for an unknown number. */
int64_t dispatch_syscall(uint64_t number, const SyscallArguments& arguments);
