/* The dispatch table; see syscall_table.h. */
#include "syscall/syscall_table.h"

#include "abi/errno.h"

/* A handler nobody has written yet. Weak, so that the subsystem's real
 * syscall_<name> replaces it at link time. */
#define MATRYOSHKA_SYSCALL_DEFAULT(number, name, arguments)                                                  \
    [[gnu::weak]] int64_t syscall_##name(const SyscallArguments&) { return -ENOSYS; }
MATRYOSHKA_SYSCALLS(MATRYOSHKA_SYSCALL_DEFAULT)
#undef MATRYOSHKA_SYSCALL_DEFAULT

namespace {

constexpr SyscallEntry SYSCALL_TABLE[SYSCALL_COUNT] = {
#define MATRYOSHKA_SYSCALL_ENTRY(number, name, arguments) [number] = {#name, arguments, syscall_##name},
    MATRYOSHKA_SYSCALLS(MATRYOSHKA_SYSCALL_ENTRY)
#undef MATRYOSHKA_SYSCALL_ENTRY
};

} // namespace

const SyscallEntry* syscall_entry(uint64_t number)
{
    return number < uint64_t(SYSCALL_COUNT) ? &SYSCALL_TABLE[number] : nullptr;
}

int64_t dispatch_syscall(uint64_t number, const SyscallArguments& arguments)
{
    const SyscallEntry* entry = syscall_entry(number);
    return entry ? entry->handler(arguments) : -ENOSYS;
}
