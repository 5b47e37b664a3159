/* The vm_stats system call (abi/syscall_numbers.h, docs/syscalls.md): a VM's exit
 * statistics (struct VmStats, abi/vm.h) copied to the calling program. */
#pragma once
#include "syscall/user_access.h"

#include <stdint.h>

/* Copies VM `id`'s statistics to `buffer` in `memory`: sizeof(VmStats) on
 * success, -ESRCH for no such VM, -EINVAL when `size` is too small for the
 * record, -EFAULT for a buffer the program cannot write. */
int64_t copy_vm_stats_to_user(int id, uint64_t buffer, uint64_t size, const user_access::UserMemory& memory);
