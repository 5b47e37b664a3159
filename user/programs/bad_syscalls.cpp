/* bad_syscalls: feeds every system call bad pointers (NULL, kernel, unmapped,
 * non-canonical, read-only, crossing into unmapped memory), bad descriptors and bad
 * lengths, and checks each returns the documented -errno (docs/syscalls.md) while
 * the process lives on. Calls the kernel directly (<syscall.h>), not through
 * libc, so nothing in between can hide a wrong answer. */
#include <abi/dirent.h>
#include <abi/errno.h>
#include <abi/fcntl.h>
#include <abi/limits.h>
#include <abi/process.h>
#include <abi/stat.h>
#include <abi/vm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>
#include <user_test.h>

namespace {

/* Addresses no user access may reach. */
const long KERNEL_ADDRESS = long(0xFFFFFFFF80100000);  /* the kernel image */
const long DIRECT_MAP_ADDRESS = long(0xFFFF800000001000); /* the kernel's direct map */
const long NON_CANONICAL = long(0x0000800000000000);   /* just above user space */
const long UNMAPPED = long(0x0000600000000000);        /* user half, nothing there */
const long BAD_POINTERS[] = {0, KERNEL_ADDRESS, DIRECT_MAP_ADDRESS, NON_CANONICAL, UNMAPPED};
const char* const BAD_POINTER_NAMES[] = {"null", "kernel", "direct_map", "non_canonical", "unmapped"};
constexpr int BAD_POINTER_COUNT = 5;

/* A valid, writable buffer, and a read-only one (this program's own text). */
alignas(8) char buffer[4096];
long read_only_address() { return long(&user_test_summary); }

/* The last bytes of mapped heap memory: a range starting here runs off its end. */
long mapped_edge = 0;

int test_fd = -1; /* an open regular file */
int dir_fd = -1;  /* an open directory */

void expect_errno(const char* name, long result, int expected)
{
    user_test_expect(result == -expected, name, "returned %ld, expected -%d (%s)", result, expected,
                     strerror(expected));
}

/* Runs `call(pointer)` for every bad pointer, naming each test prefix.kind. */
template <typename Call> void for_each_bad_pointer(const char* prefix, int expected, Call call)
{
    for (int i = 0; i < BAD_POINTER_COUNT; ++i) {
        char name[96];
        snprintf(name, sizeof(name), "bad_syscalls.%s_%s", prefix, BAD_POINTER_NAMES[i]);
        expect_errno(name, call(BAD_POINTERS[i]), expected);
    }
}

void set_up()
{
    /* The heap's end is page-aligned once malloc has grown it, and nothing is
     * mapped right above it. */
    free(malloc(100));
    long end = syscall1(SYS_brk, 0);
    mapped_edge = (end & ~4095L) - 16;
    /* Fresh heap pages are zero, and a path of zeros would be the empty path:
     * the bytes up to the edge must be a path without its NUL. */
    memset(reinterpret_cast<void*>(mapped_edge), 'x', 16);
    syscall1(SYS_mkdir, long("/bad_syscalls_dir"));
    test_fd = int(syscall3(SYS_open, long("/bad_syscalls_file"), O_RDWR | O_CREAT | O_TRUNC, 0644));
    syscall3(SYS_write, test_fd, long("some bytes to read back\n"), 24);
    syscall3(SYS_lseek, test_fd, 0, SEEK_SET);
    dir_fd = int(syscall3(SYS_open, long("/bad_syscalls_dir"), O_RDONLY | O_DIRECTORY, 0));
    user_test_expect(test_fd >= 0 && dir_fd >= 0, "bad_syscalls.set_up", "open gave %d and %d", test_fd, dir_fd);
}

void test_io()
{
    for_each_bad_pointer("write_buffer", EFAULT, [](long p) { return syscall3(SYS_write, 1, p, 10); });
    for_each_bad_pointer("read_buffer", EFAULT, [](long p) { return syscall3(SYS_read, test_fd, p, 10); });
    expect_errno("bad_syscalls.read_into_read_only_memory", syscall3(SYS_read, test_fd, read_only_address(), 10), EFAULT);
    expect_errno("bad_syscalls.write_buffer_crossing_into_unmapped", syscall3(SYS_write, test_fd, mapped_edge, 64), EFAULT);
    expect_errno("bad_syscalls.write_length_wrapping", syscall3(SYS_write, 1, long(buffer), -1L), EFAULT);
    expect_errno("bad_syscalls.read_length_past_user_space", syscall3(SYS_read, test_fd, long(buffer), 1L << 47), EFAULT);
    user_test_expect(syscall3(SYS_write, 1, long(buffer), 0) == 0, "bad_syscalls.write_zero_length", "not 0");
    expect_errno("bad_syscalls.write_fd_negative", syscall3(SYS_write, -1, long(buffer), 1), EBADF);
    expect_errno("bad_syscalls.write_fd_too_large", syscall3(SYS_write, OPEN_MAX + 5, long(buffer), 1), EBADF);
    expect_errno("bad_syscalls.write_fd_huge", syscall3(SYS_write, 1L << 40, long(buffer), 1), EBADF);
    expect_errno("bad_syscalls.read_fd_unopened", syscall3(SYS_read, OPEN_MAX - 1, long(buffer), 1), EBADF);
    expect_errno("bad_syscalls.read_directory", syscall3(SYS_read, dir_fd, long(buffer), 1), EISDIR);
    expect_errno("bad_syscalls.close_fd_negative", syscall1(SYS_close, -1), EBADF);
    expect_errno("bad_syscalls.close_fd_unopened", syscall1(SYS_close, OPEN_MAX - 1), EBADF);
    long copy = syscall1(SYS_dup, test_fd);
    user_test_expect(copy >= 0 && syscall1(SYS_close, copy) == 0, "bad_syscalls.dup_and_close", "dup gave %ld", copy);
    expect_errno("bad_syscalls.close_twice", syscall1(SYS_close, copy), EBADF);
    expect_errno("bad_syscalls.dup_fd_negative", syscall1(SYS_dup, -1), EBADF);
    expect_errno("bad_syscalls.lseek_fd_bad", syscall3(SYS_lseek, -1, 0, SEEK_SET), EBADF);
    expect_errno("bad_syscalls.lseek_whence_bad", syscall3(SYS_lseek, test_fd, 0, 42), EINVAL);
    expect_errno("bad_syscalls.lseek_negative_offset", syscall3(SYS_lseek, test_fd, -10, SEEK_SET), EINVAL);
}

void test_paths()
{
    for_each_bad_pointer("open_path", EFAULT, [](long p) { return syscall3(SYS_open, p, O_RDONLY, 0); });
    for_each_bad_pointer("stat_path", EFAULT, [](long p) { return syscall2(SYS_stat, p, long(buffer)); });
    for_each_bad_pointer("stat_result", EFAULT, [](long p) { return syscall2(SYS_stat, long("/"), p); });
    for_each_bad_pointer("fstat_result", EFAULT, [](long p) { return syscall2(SYS_fstat, test_fd, p); });
    for_each_bad_pointer("mkdir_path", EFAULT, [](long p) { return syscall2(SYS_mkdir, p, 0755); });
    for_each_bad_pointer("rmdir_path", EFAULT, [](long p) { return syscall1(SYS_rmdir, p); });
    for_each_bad_pointer("unlink_path", EFAULT, [](long p) { return syscall1(SYS_unlink, p); });
    for_each_bad_pointer("rename_from", EFAULT, [](long p) { return syscall2(SYS_rename, p, long("/x")); });
    for_each_bad_pointer("rename_to", EFAULT, [](long p) { return syscall2(SYS_rename, long("/bad_syscalls_file"), p); });
    for_each_bad_pointer("chdir_path", EFAULT, [](long p) { return syscall1(SYS_chdir, p); });
    for_each_bad_pointer("getcwd_buffer", EFAULT, [](long p) { return syscall2(SYS_getcwd, p, 100); });
    for_each_bad_pointer("getdents_buffer", EFAULT, [](long p) { return syscall3(SYS_getdents, dir_fd, p, 4096); });

    expect_errno("bad_syscalls.stat_into_read_only_memory", syscall2(SYS_stat, long("/"), read_only_address()), EFAULT);
    expect_errno("bad_syscalls.open_path_crossing_into_unmapped", syscall3(SYS_open, mapped_edge, O_RDONLY, 0), EFAULT);
    /* A path without its NUL within PATH_MAX bytes. */
    static char long_path[PATH_MAX + 64];
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    expect_errno("bad_syscalls.open_path_too_long", syscall3(SYS_open, long(long_path), O_RDONLY, 0), ENAMETOOLONG);
    expect_errno("bad_syscalls.mkdir_path_too_long", syscall2(SYS_mkdir, long(long_path), 0755), ENAMETOOLONG);
    expect_errno("bad_syscalls.open_missing", syscall3(SYS_open, long("/no/such/file"), O_RDONLY, 0), ENOENT);
    expect_errno("bad_syscalls.open_bad_access_mode", syscall3(SYS_open, long("/bad_syscalls_file"), O_ACCMODE, 0), EINVAL);
    expect_errno("bad_syscalls.open_file_as_directory",
                 syscall3(SYS_open, long("/bad_syscalls_file"), O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
    expect_errno("bad_syscalls.mkdir_existing", syscall2(SYS_mkdir, long("/bad_syscalls_dir"), 0755), EEXIST);
    expect_errno("bad_syscalls.rmdir_missing", syscall1(SYS_rmdir, long("/no_such_dir")), ENOENT);
    expect_errno("bad_syscalls.chdir_to_file", syscall1(SYS_chdir, long("/bad_syscalls_file")), ENOTDIR);
    expect_errno("bad_syscalls.getcwd_buffer_too_small", syscall2(SYS_getcwd, long(buffer), 1), ERANGE);
    expect_errno("bad_syscalls.getdents_fd_bad", syscall3(SYS_getdents, -1, long(buffer), 4096), EBADF);
    expect_errno("bad_syscalls.getdents_on_file", syscall3(SYS_getdents, test_fd, long(buffer), 4096), ENOTDIR);
    expect_errno("bad_syscalls.getdents_buffer_too_small", syscall3(SYS_getdents, dir_fd, long(buffer), 1), EINVAL);
    expect_errno("bad_syscalls.fstat_fd_bad", syscall2(SYS_fstat, -1, long(buffer)), EBADF);
}

void test_processes()
{
    static char echo_name[] = "echo";
    char* good_argv[] = {echo_name, nullptr};
    for_each_bad_pointer("spawn_path", EFAULT, [&](long p) { return syscall3(SYS_spawn, p, long(good_argv), 0); });
    expect_errno("bad_syscalls.spawn_argv_kernel", syscall3(SYS_spawn, long("/bin/echo"), KERNEL_ADDRESS, 0), EFAULT);
    long bad_argv[] = {long(echo_name), KERNEL_ADDRESS, 0};
    expect_errno("bad_syscalls.spawn_argv_entry_kernel", syscall3(SYS_spawn, long("/bin/echo"), long(bad_argv), 0), EFAULT);
    expect_errno("bad_syscalls.spawn_envp_unmapped", syscall3(SYS_spawn, long("/bin/echo"), long(good_argv), UNMAPPED), EFAULT);
    expect_errno("bad_syscalls.spawn_missing", syscall3(SYS_spawn, long("/bin/no_such_program"), long(good_argv), 0), ENOENT);
    expect_errno("bad_syscalls.spawn_not_elf", syscall3(SYS_spawn, long("/bad_syscalls_file"), long(good_argv), 0), ENOEXEC);
    expect_errno("bad_syscalls.exec_path_null", syscall3(SYS_exec, 0, long(good_argv), 0), EFAULT);
    expect_errno("bad_syscalls.exec_missing", syscall3(SYS_exec, long("/bin/no_such_program"), long(good_argv), 0), ENOENT);
    expect_errno("bad_syscalls.wait_without_children", syscall2(SYS_wait, -1, long(buffer)), ECHILD);
    expect_errno("bad_syscalls.wait_for_stranger", syscall2(SYS_wait, 99999, long(buffer)), ECHILD);
    for_each_bad_pointer("ps_buffer", EFAULT, [](long p) { return syscall2(SYS_ps, p, 4); });
    user_test_expect(syscall2(SYS_ps, 0, 0) >= 1, "bad_syscalls.ps_count_only", "ps(NULL, 0) gave no count");
    long before = syscall1(SYS_brk, 0);
    user_test_expect(syscall1(SYS_brk, KERNEL_ADDRESS) == before, "bad_syscalls.brk_into_kernel_refused",
                     "the break moved");
    expect_errno("bad_syscalls.unknown_syscall", syscall0(SYSCALL_COUNT), ENOSYS);
    expect_errno("bad_syscalls.negative_syscall", syscall0(-1), ENOSYS);
    expect_errno("bad_syscalls.huge_syscall", syscall0(1L << 40), ENOSYS);
}

void test_vms()
{
    for_each_bad_pointer("vm_start_request", EFAULT, [](long p) { return syscall1(SYS_vm_start, p); });
    for_each_bad_pointer("vm_list_buffer", EFAULT, [](long p) { return syscall2(SYS_vm_list, p, 4); });
    static VmStartRequest unknown_flags = {};
    strcpy(unknown_flags.path, "/guests/cpuid");
    unknown_flags.flags = ~uint32_t(VM_START_SWEB_VENDOR);
    expect_errno("bad_syscalls.vm_start_unknown_flags", syscall1(SYS_vm_start, long(&unknown_flags)), EINVAL);
    /* --nested on and off at once: no VM, whichever would win. */
    static VmStartRequest both_nested = {};
    strcpy(both_nested.path, "/guests/cpuid");
    both_nested.flags = VM_START_NESTED_ON | VM_START_NESTED_OFF;
    expect_errno("bad_syscalls.vm_start_nested_on_and_off", syscall1(SYS_vm_start, long(&both_nested)), EINVAL);
    expect_errno("bad_syscalls.vm_stop_unknown", syscall1(SYS_vm_stop, 99999), ESRCH);
    expect_errno("bad_syscalls.vm_front_unknown", syscall1(SYS_vm_front, 99999), ESRCH);
    /* The text is copied in before the VM is looked up: a bad pointer is EFAULT
     * even for a VM that does not exist. */
    for_each_bad_pointer("vm_send_bytes", EFAULT, [](long p) { return syscall3(SYS_vm_send, 99999, p, 16); });
    static char text[VM_SEND_MAX + 1] = "hi";
    expect_errno("bad_syscalls.vm_send_unknown", syscall3(SYS_vm_send, 99999, long(text), 2), ESRCH);
    expect_errno("bad_syscalls.vm_send_too_long", syscall3(SYS_vm_send, 1, long(text), VM_SEND_MAX + 1), E2BIG);
    expect_errno("bad_syscalls.vm_attach_unknown", syscall1(SYS_vm_attach, 99999), ESRCH);
}

void tear_down()
{
    syscall1(SYS_close, test_fd);
    syscall1(SYS_close, dir_fd);
    bool removed = syscall1(SYS_unlink, long("/bad_syscalls_file")) == 0 && syscall1(SYS_rmdir, long("/bad_syscalls_dir")) == 0;
    user_test_expect(removed, "bad_syscalls.tear_down", "could not remove the test files");
}

} // namespace

int main()
{
    set_up();
    test_io();
    test_paths();
    test_processes();
    test_vms();
    tear_down();
    return user_test_summary();
}
