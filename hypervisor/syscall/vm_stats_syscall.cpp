/* The vm_stats system call; see vm_stats_syscall.h. It replaces the weak -ENOSYS
 * default of kernel/syscall/syscall_table.cpp. */
#include "hypervisor/syscall/vm_stats_syscall.h"

#include "abi/errno.h"
#include "abi/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "syscall/syscall_table.h"
#include "syscall/user_memory.h"

#include <new>

int64_t copy_vm_stats_to_user(int id, uint64_t buffer, uint64_t size, const user_access::UserMemory& memory)
{
    if (size < sizeof(VmStats))
        return -EINVAL;
    /* Too large for a kernel stack of 16 KiB next to everything else. */
    auto* record = new (std::nothrow) VmStats;
    if (!record)
        return -ENOMEM;
    int64_t result = sizeof(VmStats);
    if (!vm_manager::stats(id, *record))
        result = -ESRCH;
    else if (user_access::CopyError error = user_access::copy_to_user(memory, buffer, record, sizeof(VmStats));
             error != user_access::CopyError::none)
        result = -user_access::copy_error_errno(error);
    delete record;
    return result;
}

int64_t syscall_vm_stats(const SyscallArguments& arguments)
{
    return copy_vm_stats_to_user(int(arguments.value[0]), arguments.value[1], arguments.value[2],
                                 user_memory::of(user_memory::current_space()));
}
