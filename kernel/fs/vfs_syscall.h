/* VfsSyscall: the file system calls as the syscall layer (and the hypervisor's
 * hypercall file server) calls them, for one process: its VfsContext and its
 * FileDescriptorTable. Paths and buffers are kernel memory (the caller has copied
 * them from user space). Every call returns a Result; syscall_return() in
 * lib/result.h turns it into the value or -errno. Semantics follow POSIX.1-2017
 * and, where POSIX leaves a choice, Linux. */
#pragma once
#include "abi/dirent.h"
#include "abi/fcntl.h"
#include "abi/stat.h"
#include "fs/file_descriptor_table.h"
#include "fs/path_resolver.h"
#include "fs/vfs_context.h"

class VfsSyscall {
public:
    VfsSyscall(VfsContext& context, FileDescriptorTable& files) : context_(context), files_(files) {}

    /* flags: O_RDONLY/O_WRONLY/O_RDWR with O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
     * O_DIRECTORY. Returns the lowest free descriptor. */
    [[nodiscard]] Result<int> open(const char* path, int flags, uint32_t mode = 0644);
    [[nodiscard]] Result<void> close(int fd);
    /* EBADF when not open for reading; EISDIR for a directory. 0 at the end. */
    [[nodiscard]] Result<size_t> read(int fd, void* buffer, size_t count);
    /* EBADF when not open for writing; with O_APPEND at the end of the file. */
    [[nodiscard]] Result<size_t> write(int fd, const void* buffer, size_t count);
    /* read() and write() into or out of a scattered buffer (POSIX readv/writev,
     * with kernel vectors): the file system copies straight to or from them. */
    [[nodiscard]] Result<size_t> readv(int fd, const IoVector* vectors, size_t count);
    [[nodiscard]] Result<size_t> writev(int fd, const IoVector* vectors, size_t count);
    /* whence: SEEK_SET, SEEK_CUR, SEEK_END; EINVAL for a negative result. */
    [[nodiscard]] Result<uint64_t> lseek(int fd, int64_t offset, int whence);
    [[nodiscard]] Result<void> ftruncate(int fd, uint64_t size);
    [[nodiscard]] Result<void> stat(const char* path, struct stat& out);
    [[nodiscard]] Result<void> fstat(int fd, struct stat& out);

    [[nodiscard]] Result<void> mkdir(const char* path, uint32_t mode = 0755);
    /* ENOTEMPTY; EBUSY for the root and mount points; EINVAL for ".". */
    [[nodiscard]] Result<void> rmdir(const char* path);
    /* EISDIR for a directory. */
    [[nodiscard]] Result<void> unlink(const char* path);
    /* Replaces an existing target of a compatible type; EINVAL when moving a
     * directory into itself; EXDEV across file systems; EBUSY for mount points. */
    [[nodiscard]] Result<void> rename(const char* old_path, const char* new_path);

    /* Fills `buffer` with struct dirent records ("." and ".." first) and returns
     * the bytes used, 0 at the end; resumes at the descriptor's offset. EINVAL when
     * not even one record fits. */
    [[nodiscard]] Result<size_t> getdents(int fd, void* buffer, size_t size);

    [[nodiscard]] Result<void> chdir(const char* path);
    /* The absolute path of the cwd (as seen from the context's root) with its NUL;
     * returns its length including the NUL (ERANGE when `size` is too small). */
    [[nodiscard]] Result<size_t> getcwd(char* buffer, size_t size);

    [[nodiscard]] Result<int> dup(int fd) { return files_.dup(fd); }
    [[nodiscard]] Result<int> dup2(int fd, int new_fd) { return files_.dup2(fd, new_fd); }

    VfsContext& context() const { return context_; }
    FileDescriptorTable& files() const { return files_; }

private:
    template <typename Move> Result<size_t> read_with(int fd, Move move);
    template <typename Move> Result<size_t> write_with(int fd, Move move);
    Result<RefPtr<Inode>> open_inode(const char* path, int flags, uint32_t mode);
    Result<void> stat_inode(Inode& inode, struct stat& out);
    Result<bool> directory_entry(Inode& directory, uint64_t offset, DirectoryEntry& entry);
    Result<RefPtr<Inode>> lookup_unmounted(const ParentAndName& location);
    Result<void> name_in_parent(const RefPtr<Inode>& directory, const RefPtr<Inode>& parent, DirectoryEntry& entry);
    Result<void> check_not_own_ancestor(Inode& moving, const RefPtr<Inode>& new_parent);

    VfsContext& context_;
    FileDescriptorTable& files_;
};
