/* The file system calls (docs/syscalls.md): user arguments copied in and checked
 * through user_memory, then VfsSyscall on the calling process's descriptors and
 * working directory, with the file system lock held. Reads and writes of a
 * terminal (/dev) go to the terminal without that lock, because a read may sleep
 * until someone types. */
#include "fs/kernel_vfs.h"
#include "mm/kernel_heap.h"
#include "process/process.h"
#include "syscall/syscall_table.h"
#include "syscall/user_memory.h"
#include "terminal/terminals.h"

namespace {

using user_access::Access;

/* Transfers between user buffers and files go through a kernel buffer this big. */
constexpr size_t TRANSFER_PIECE = 64 * 1024;

Process& caller()
{
    Process* process = Process::current();
    KERNEL_ASSERT(process);
    return *process;
}

/* The descriptor argument: a 64-bit register, so anything outside int is EBADF
 * (as -1 is to the descriptor table). */
int descriptor(uint64_t value)
{
    int64_t fd = int64_t(value);
    return fd >= 0 && fd <= OPEN_MAX ? int(fd) : -1;
}

/* Runs `call(vfs)` with the file system locked. */
template <typename Call> auto locked(Call call)
{
    Process& process = caller();
    MutexLocker locker(kernel_vfs::lock());
    VfsSyscall vfs(process.vfs_context(), process.files());
    return call(vfs);
}

/* The terminal `fd` refers to (nullptr for other files), after checking that it
 * is open with `access`. Terminals live as long as the kernel. */
Result<Terminal*> terminal_behind(VfsSyscall& vfs, int fd, Access access)
{
    RefPtr<OpenFile> file = TRY(vfs.files().get(fd));
    Terminal* terminal = terminals::file_system().terminal_of(*file->inode());
    if (terminal && !(access == Access::read ? file->can_read() : file->can_write()))
        return Error(EBADF);
    return terminal;
}

class TransferBuffer {
public:
    explicit TransferBuffer(size_t count)
        : size_(count < TRANSFER_PIECE ? count : TRANSFER_PIECE), bytes_(static_cast<char*>(kmalloc(size_ ? size_ : 1)))
    {
    }
    ~TransferBuffer() { kfree(bytes_); }
    char* bytes() const { return bytes_; }
    size_t size() const { return size_; }

private:
    size_t size_;
    char* bytes_;
};

Result<size_t> read_terminal(Terminal& terminal, uint64_t buffer, size_t count)
{
    TransferBuffer transfer(count);
    if (!transfer.bytes())
        return Error(ENOMEM);
    size_t got = terminal.read(transfer.bytes(), transfer.size());
    TRY(user_memory::copy_to(buffer, transfer.bytes(), got));
    return got;
}

Result<size_t> write_terminal(Terminal& terminal, uint64_t buffer, size_t count)
{
    TransferBuffer transfer(count);
    if (!transfer.bytes())
        return Error(ENOMEM);
    for (size_t done = 0; done < count;) {
        size_t piece = count - done < transfer.size() ? count - done : transfer.size();
        TRY(user_memory::copy_from(transfer.bytes(), buffer + done, piece));
        terminal.write(transfer.bytes(), piece);
        done += piece;
    }
    return count;
}

Result<size_t> read(const SyscallArguments& arguments)
{
    int fd = descriptor(arguments.value[0]);
    uint64_t buffer = arguments.value[1];
    size_t count = arguments.value[2];
    TRY(user_memory::check(buffer, count, Access::write));
    Terminal* terminal = TRY(locked([&](VfsSyscall& vfs) { return terminal_behind(vfs, fd, Access::read); }));
    if (terminal)
        return read_terminal(*terminal, buffer, count);
    TransferBuffer transfer(count);
    if (!transfer.bytes())
        return Error(ENOMEM);
    return locked([&](VfsSyscall& vfs) -> Result<size_t> {
        size_t done = 0;
        while (done < count) {
            size_t piece = count - done < transfer.size() ? count - done : transfer.size();
            Result<size_t> got = vfs.read(fd, transfer.bytes(), piece);
            if (got.is_error()) {
                if (done)
                    break;
                return Error(got.error());
            }
            TRY(user_memory::copy_to(buffer + done, transfer.bytes(), got.value()));
            done += got.value();
            if (got.value() < piece)
                break;
        }
        return done;
    });
}

Result<size_t> write(const SyscallArguments& arguments)
{
    int fd = descriptor(arguments.value[0]);
    uint64_t buffer = arguments.value[1];
    size_t count = arguments.value[2];
    TRY(user_memory::check(buffer, count, Access::read));
    Terminal* terminal = TRY(locked([&](VfsSyscall& vfs) { return terminal_behind(vfs, fd, Access::write); }));
    if (terminal)
        return write_terminal(*terminal, buffer, count);
    TransferBuffer transfer(count);
    if (!transfer.bytes())
        return Error(ENOMEM);
    return locked([&](VfsSyscall& vfs) -> Result<size_t> {
        size_t done = 0;
        do {
            size_t piece = count - done < transfer.size() ? count - done : transfer.size();
            TRY(user_memory::copy_from(transfer.bytes(), buffer + done, piece));
            Result<size_t> written = vfs.write(fd, transfer.bytes(), piece);
            if (written.is_error()) {
                if (done)
                    break;
                return Error(written.error());
            }
            done += written.value();
            if (written.value() < piece)
                break;
        } while (done < count);
        return done;
    });
}

Result<int> open(const SyscallArguments& arguments)
{
    user_memory::Path path;
    TRY(path.copy_from(arguments.value[0]));
    return locked([&](VfsSyscall& vfs) { return vfs.open(path.text(), int(arguments.value[1]), uint32_t(arguments.value[2])); });
}

Result<int64_t> lseek(const SyscallArguments& arguments)
{
    int fd = descriptor(arguments.value[0]);
    Result<uint64_t> offset = locked([&](VfsSyscall& vfs) {
        return vfs.lseek(fd, int64_t(arguments.value[1]), int(arguments.value[2]));
    });
    return int64_t(TRY(static_cast<Result<uint64_t>&&>(offset)));
}

Result<int> stat_path(const SyscallArguments& arguments)
{
    user_memory::Path path;
    TRY(path.copy_from(arguments.value[0]));
    struct stat status;
    TRY(locked([&](VfsSyscall& vfs) { return vfs.stat(path.text(), status); }));
    TRY(user_memory::copy_to(arguments.value[1], &status, sizeof(status)));
    return 0;
}

Result<int> fstat(const SyscallArguments& arguments)
{
    struct stat status;
    TRY(locked([&](VfsSyscall& vfs) { return vfs.fstat(descriptor(arguments.value[0]), status); }));
    TRY(user_memory::copy_to(arguments.value[1], &status, sizeof(status)));
    return 0;
}

/* A call on one path: mkdir, rmdir, unlink, chdir. */
template <typename Call> Result<int> on_path(uint64_t user_path, Call call)
{
    user_memory::Path path;
    TRY(path.copy_from(user_path));
    TRY(locked([&](VfsSyscall& vfs) { return call(vfs, path.text()); }));
    return 0;
}

Result<int> rename(const SyscallArguments& arguments)
{
    user_memory::Path from, to;
    TRY(from.copy_from(arguments.value[0]));
    TRY(to.copy_from(arguments.value[1]));
    TRY(locked([&](VfsSyscall& vfs) { return vfs.rename(from.text(), to.text()); }));
    return 0;
}

Result<size_t> getdents(const SyscallArguments& arguments)
{
    int fd = descriptor(arguments.value[0]);
    uint64_t buffer = arguments.value[1];
    size_t size = arguments.value[2];
    TRY(user_memory::check(buffer, size, Access::write));
    TransferBuffer transfer(size);
    if (!transfer.bytes())
        return Error(ENOMEM);
    size_t used = TRY(locked([&](VfsSyscall& vfs) { return vfs.getdents(fd, transfer.bytes(), transfer.size()); }));
    TRY(user_memory::copy_to(buffer, transfer.bytes(), used));
    return used;
}

Result<size_t> getcwd(const SyscallArguments& arguments)
{
    uint64_t buffer = arguments.value[0];
    size_t size = arguments.value[1];
    TRY(user_memory::check(buffer, size, Access::write));
    /* A cwd longer than PATH_MAX cannot be opened anyway; ERANGE beyond it. */
    size_t room = size < PATH_MAX ? size : PATH_MAX;
    user_memory::Path path;
    char* text = TRY(path.buffer());
    size_t length = TRY(locked([&](VfsSyscall& vfs) { return vfs.getcwd(text, room); }));
    TRY(user_memory::copy_to(buffer, path.text(), length));
    return length;
}

} // namespace

int64_t syscall_read(const SyscallArguments& arguments) { return syscall_return(read(arguments)); }
int64_t syscall_write(const SyscallArguments& arguments) { return syscall_return(write(arguments)); }
int64_t syscall_open(const SyscallArguments& arguments) { return syscall_return(open(arguments)); }

int64_t syscall_close(const SyscallArguments& arguments)
{
    return syscall_return(locked([&](VfsSyscall& vfs) { return vfs.close(descriptor(arguments.value[0])); }));
}

int64_t syscall_lseek(const SyscallArguments& arguments) { return syscall_return(lseek(arguments)); }
int64_t syscall_stat(const SyscallArguments& arguments) { return syscall_return(stat_path(arguments)); }
int64_t syscall_fstat(const SyscallArguments& arguments) { return syscall_return(fstat(arguments)); }

int64_t syscall_mkdir(const SyscallArguments& arguments)
{
    uint32_t mode = uint32_t(arguments.value[1]);
    return syscall_return(on_path(arguments.value[0], [mode](VfsSyscall& vfs, const char* path) { return vfs.mkdir(path, mode); }));
}

int64_t syscall_rmdir(const SyscallArguments& arguments)
{
    return syscall_return(on_path(arguments.value[0], [](VfsSyscall& vfs, const char* path) { return vfs.rmdir(path); }));
}

int64_t syscall_unlink(const SyscallArguments& arguments)
{
    return syscall_return(on_path(arguments.value[0], [](VfsSyscall& vfs, const char* path) { return vfs.unlink(path); }));
}

int64_t syscall_rename(const SyscallArguments& arguments) { return syscall_return(rename(arguments)); }
int64_t syscall_getdents(const SyscallArguments& arguments) { return syscall_return(getdents(arguments)); }

int64_t syscall_chdir(const SyscallArguments& arguments)
{
    return syscall_return(on_path(arguments.value[0], [](VfsSyscall& vfs, const char* path) { return vfs.chdir(path); }));
}

int64_t syscall_getcwd(const SyscallArguments& arguments) { return syscall_return(getcwd(arguments)); }

int64_t syscall_ftruncate(const SyscallArguments& arguments)
{
    uint64_t size = arguments.value[1];
    return syscall_return(locked([&](VfsSyscall& vfs) { return vfs.ftruncate(descriptor(arguments.value[0]), size); }));
}

int64_t syscall_dup(const SyscallArguments& arguments)
{
    return syscall_return(locked([&](VfsSyscall& vfs) { return vfs.dup(descriptor(arguments.value[0])); }));
}
