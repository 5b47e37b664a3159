/* One wrapper per system call in abi/syscall_numbers.h: the raw call from
 * <syscall.h>, and on failure errno set and -1 (or NULL) returned.
 * tests/tools/test_user_build.py disassembles these functions to check that each
 * loads its own number. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <syscall.h>
#include <unistd.h>

extern "C" {

int errno;

namespace {

long checked(long result)
{
    if (syscall_failed(result)) {
        errno = int(-result);
        return -1;
    }
    return result;
}

long as_long(const void* pointer) { return long(pointer); }

} // namespace

void _exit(int status)
{
    syscall1(SYS_exit, status);
    __builtin_unreachable();
}

ssize_t read(int fd, void* buffer, size_t count) { return checked(syscall3(SYS_read, fd, as_long(buffer), long(count))); }
ssize_t write(int fd, const void* buffer, size_t count) { return checked(syscall3(SYS_write, fd, as_long(buffer), long(count))); }
int open(const char* path, int flags, int mode) { return int(checked(syscall3(SYS_open, as_long(path), flags, mode))); }
int close(int fd) { return int(checked(syscall1(SYS_close, fd))); }
off_t lseek(int fd, off_t offset, int whence) { return checked(syscall3(SYS_lseek, fd, offset, whence)); }
int stat(const char* path, struct stat* out) { return int(checked(syscall2(SYS_stat, as_long(path), as_long(out)))); }
int fstat(int fd, struct stat* out) { return int(checked(syscall2(SYS_fstat, fd, as_long(out)))); }
int mkdir(const char* path, int mode) { return int(checked(syscall2(SYS_mkdir, as_long(path), mode))); }
int rmdir(const char* path) { return int(checked(syscall1(SYS_rmdir, as_long(path)))); }
int unlink(const char* path) { return int(checked(syscall1(SYS_unlink, as_long(path)))); }
int rename(const char* from, const char* to) { return int(checked(syscall2(SYS_rename, as_long(from), as_long(to)))); }
ssize_t getdents(int fd, void* buffer, size_t size) { return checked(syscall3(SYS_getdents, fd, as_long(buffer), long(size))); }
int chdir(const char* path) { return int(checked(syscall1(SYS_chdir, as_long(path)))); }

char* getcwd(char* buffer, size_t size)
{
    return checked(syscall2(SYS_getcwd, as_long(buffer), long(size))) < 0 ? nullptr : buffer;
}

int dup(int fd) { return int(checked(syscall1(SYS_dup, fd))); }
int ftruncate(int fd, off_t size) { return int(checked(syscall2(SYS_ftruncate, fd, size))); }

pid_t spawn(const char* path, char* const argv[], char* const envp[])
{
    return pid_t(checked(syscall3(SYS_spawn, as_long(path), as_long(argv), as_long(envp))));
}

pid_t fork() { return pid_t(checked(syscall0(SYS_fork))); }

int exec(const char* path, char* const argv[], char* const envp[])
{
    return int(checked(syscall3(SYS_exec, as_long(path), as_long(argv), as_long(envp))));
}

pid_t wait(pid_t pid, int* status) { return pid_t(checked(syscall2(SYS_wait, pid, as_long(status)))); }
pid_t getpid() { return pid_t(checked(syscall0(SYS_getpid))); }
int sleep_ms(uint64_t milliseconds) { return int(checked(syscall1(SYS_sleep_ms, long(milliseconds)))); }
int yield() { return int(checked(syscall0(SYS_yield))); }
int ps(struct ProcessInfo* out, size_t count) { return int(checked(syscall2(SYS_ps, as_long(out), long(count)))); }
long free_pages() { return checked(syscall0(SYS_free_pages)); }
long heap_pages() { return checked(syscall0(SYS_heap_pages)); }
long fail_alloc(int mode, unsigned long n, unsigned sites)
{
    return checked(syscall3(SYS_fail_alloc, long(mode), long(n), long(sites)));
}

/* The kernel's brk answers with the break it has now: the new one on success, the
 * old one when it could not move it. */
int brk(void* end)
{
    long result = syscall1(SYS_brk, as_long(end));
    if (syscall_failed(result) || result != as_long(end)) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

uint64_t clock_ns() { return uint64_t(syscall0(SYS_clock_ns)); }

int vm_start(struct VmStartRequest* request) { return int(checked(syscall1(SYS_vm_start, as_long(request)))); }

int vm_list(struct VmInfo* out, size_t count) { return int(checked(syscall2(SYS_vm_list, as_long(out), long(count)))); }
int vm_stop(int id) { return int(checked(syscall1(SYS_vm_stop, id))); }
int poweroff(int status) { return int(checked(syscall1(SYS_poweroff, status))); }
int vm_front(int id) { return int(checked(syscall1(SYS_vm_front, id))); }
int vm_stats(int id, struct VmStats* out, size_t size)
{
    return int(checked(syscall3(SYS_vm_stats, id, as_long(out), long(size))));
}
ssize_t vm_send(int id, const void* bytes, size_t count)
{
    return checked(syscall3(SYS_vm_send, id, as_long(bytes), long(count)));
}
int vm_attach(int id) { return int(checked(syscall1(SYS_vm_attach, id))); }
ssize_t vm_screen(int id, char* out, size_t size)
{
    return checked(syscall3(SYS_vm_screen, id, as_long(out), long(size)));
}
ssize_t vm_keys(int id, const void* text, size_t count)
{
    return checked(syscall3(SYS_vm_keys, id, as_long(text), long(count)));
}

void* sbrk(intptr_t increment)
{
    long current = syscall1(SYS_brk, 0);
    if (syscall_failed(current)) {
        errno = ENOMEM;
        return reinterpret_cast<void*>(-1);
    }
    if (increment != 0 && brk(reinterpret_cast<void*>(current + increment)) < 0)
        return reinterpret_cast<void*>(-1);
    return reinterpret_cast<void*>(current);
}

} // extern "C"
