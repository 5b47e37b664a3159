/* kernel/syscall/syscall_table.cpp: the table follows abi/syscall_numbers.h and
 * unknown or unimplemented calls answer -ENOSYS. */
#include "syscall/syscall_table.h"
#include "abi/errno.h"
#include "unit_test.h"

#include <string>

UNIT_TEST(syscall_table_has_every_call_under_its_number)
{
    CHECK_EQ(std::string(syscall_entry(SYS_exit)->name), std::string("exit"));
    CHECK_EQ(std::string(syscall_entry(SYS_write)->name), std::string("write"));
    CHECK_EQ(int(syscall_entry(SYS_write)->argument_count), 3);
    CHECK_EQ(std::string(syscall_entry(SYS_vm_stop)->name), std::string("vm_stop"));
    for (int number = 0; number < SYSCALL_COUNT; ++number)
        CHECK(syscall_entry(uint64_t(number)) && syscall_entry(uint64_t(number))->handler);
}

UNIT_TEST(syscall_table_unknown_numbers_are_enosys)
{
    SyscallArguments arguments{};
    CHECK(syscall_entry(SYSCALL_COUNT) == nullptr);
    CHECK_EQ(dispatch_syscall(SYSCALL_COUNT, arguments), int64_t(-ENOSYS));
    CHECK_EQ(dispatch_syscall(~uint64_t(0), arguments), int64_t(-ENOSYS));
    CHECK_EQ(dispatch_syscall(uint64_t(1) << 40, arguments), int64_t(-ENOSYS));
}

UNIT_TEST(syscall_table_unimplemented_call_is_enosys)
{
    SyscallArguments arguments{};
    CHECK_EQ(dispatch_syscall(SYS_vm_list, arguments), int64_t(-ENOSYS));
}
