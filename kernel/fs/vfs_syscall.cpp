/* The file system calls: resolve the path, check the flags and types, then ask
 * the inode's file system. POSIX.1-2017 (System Interfaces: open, read, write,
 * lseek, mkdir, rmdir, unlink, rename, chdir, getcwd, dup) and Linux's getdents64. */
#include "fs/vfs_syscall.h"

#include <new>

Result<RefPtr<Inode>> VfsSyscall::open_inode(const char* path, int flags, uint32_t mode)
{
    ParentAndName location = TRY(resolve_parent(context_, path));
    if (location.name.empty())
        return location.directory;
    Result<RefPtr<Inode>> found = resolve_step(context_, location.directory, location.name);
    if (!found.is_error()) {
        if ((flags & O_CREAT) && (flags & O_EXCL))
            return Error(EEXIST);
        return found.release_value();
    }
    if (found.error() != ENOENT || !(flags & O_CREAT))
        return Error(found.error());
    if (location.trailing_slash)
        return Error(EISDIR);
    Inode& directory = *location.directory;
    return directory.file_system().create(directory, location.name, mode, context_.account());
}

Result<int> VfsSyscall::open(const char* path, int flags, uint32_t mode)
{
    int access = flags & O_ACCMODE;
    if (access != O_RDONLY && access != O_WRONLY && access != O_RDWR)
        return Error(EINVAL);
    if ((flags & O_CREAT) && (flags & O_DIRECTORY))
        return Error(EINVAL);
    /* A trailing slash needs a directory; resolve_path's rule, applied after creation. */
    bool trailing_slash = path && *path && path[__builtin_strnlen(path, PATH_MAX) - 1] == '/';
    RefPtr<Inode> inode = TRY(open_inode(path, flags, mode));
    if ((trailing_slash || (flags & O_DIRECTORY)) && !inode->is_directory())
        return Error(ENOTDIR);
    if (inode->is_directory() && access != O_RDONLY)
        return Error(EISDIR);
    if ((flags & O_TRUNC) && access != O_RDONLY && !inode->is_directory())
        TRY(inode->file_system().truncate(*inode, 0));
    /* A user program or a guest opens files: out of heap is ENOMEM, not a panic
     * (a file O_CREAT made stays, empty, as on a failed descriptor allocation). */
    OpenFile* opened = new (std::nothrow) OpenFile(inode, flags);
    if (!opened)
        return Error(ENOMEM);
    return files_.allocate(RefPtr<OpenFile>(opened));
}

Result<void> VfsSyscall::close(int fd) { return files_.close(fd); }

/* The checks of read() and readv() (EBADF, EISDIR); `move` moves the bytes at the
 * descriptor's offset, which then advances past them. */
template <typename Move> Result<size_t> VfsSyscall::read_with(int fd, Move move)
{
    RefPtr<OpenFile> file = TRY(files_.get(fd));
    if (!file->can_read())
        return Error(EBADF);
    Inode& inode = *file->inode();
    if (inode.is_directory())
        return Error(EISDIR);
    size_t done = TRY(move(inode.file_system(), inode, file->offset()));
    file->set_offset(file->offset() + done);
    return done;
}

/* The checks of write() and writev() (EBADF; O_APPEND moves to the end first). */
template <typename Move> Result<size_t> VfsSyscall::write_with(int fd, Move move)
{
    RefPtr<OpenFile> file = TRY(files_.get(fd));
    if (!file->can_write())
        return Error(EBADF);
    Inode& inode = *file->inode();
    if (file->appends()) {
        struct stat status;
        TRY(stat_inode(inode, status));
        file->set_offset(status.st_size);
    }
    size_t done = TRY(move(inode.file_system(), inode, file->offset()));
    file->set_offset(file->offset() + done);
    return done;
}

Result<size_t> VfsSyscall::read(int fd, void* buffer, size_t count)
{
    return read_with(fd, [&](FileSystem& fs, Inode& inode, uint64_t offset) {
        return fs.read(inode, offset, buffer, count);
    });
}

Result<size_t> VfsSyscall::readv(int fd, const IoVector* vectors, size_t count)
{
    return read_with(fd, [&](FileSystem& fs, Inode& inode, uint64_t offset) {
        return fs.readv(inode, offset, vectors, count);
    });
}

Result<size_t> VfsSyscall::write(int fd, const void* buffer, size_t count)
{
    return write_with(fd, [&](FileSystem& fs, Inode& inode, uint64_t offset) {
        return fs.write(inode, offset, buffer, count, context_.account());
    });
}

Result<size_t> VfsSyscall::writev(int fd, const IoVector* vectors, size_t count)
{
    return write_with(fd, [&](FileSystem& fs, Inode& inode, uint64_t offset) {
        return fs.writev(inode, offset, vectors, count, context_.account());
    });
}

Result<uint64_t> VfsSyscall::lseek(int fd, int64_t offset, int whence)
{
    RefPtr<OpenFile> file = TRY(files_.get(fd));
    int64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = int64_t(file->offset()); break;
    case SEEK_END: {
        struct stat status;
        TRY(stat_inode(*file->inode(), status));
        base = int64_t(status.st_size);
        break;
    }
    default: return Error(EINVAL);
    }
    int64_t position;
    if (__builtin_add_overflow(base, offset, &position))
        return Error(EOVERFLOW);
    if (position < 0)
        return Error(EINVAL);
    file->set_offset(uint64_t(position));
    return uint64_t(position);
}

Result<void> VfsSyscall::ftruncate(int fd, uint64_t size)
{
    RefPtr<OpenFile> file = TRY(files_.get(fd));
    if (!file->can_write())
        return Error(EBADF);
    Inode& inode = *file->inode();
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.file_system().truncate(inode, size);
}

Result<void> VfsSyscall::stat_inode(Inode& inode, struct stat& out)
{
    TRY(inode.file_system().stat(inode, out));
    out.st_dev = context_.vfs().device_number(inode.file_system());
    return {};
}

Result<void> VfsSyscall::stat(const char* path, struct stat& out)
{
    RefPtr<Inode> inode = TRY(resolve_path(context_, path));
    return stat_inode(*inode, out);
}

Result<void> VfsSyscall::fstat(int fd, struct stat& out)
{
    RefPtr<OpenFile> file = TRY(files_.get(fd));
    return stat_inode(*file->inode(), out);
}

Result<void> VfsSyscall::mkdir(const char* path, uint32_t mode)
{
    ParentAndName location = TRY(resolve_parent(context_, path));
    if (location.name.empty() || is_dot_or_dot_dot(location.name))
        return Error(EEXIST);
    Inode& directory = *location.directory;
    TRY(directory.file_system().mkdir(directory, location.name, mode, context_.account()));
    return {};
}

/* The inode a name refers to in its own file system, not what is mounted on it:
 * removing or moving a mount point must be noticed, not done to the mounted root. */
Result<RefPtr<Inode>> VfsSyscall::lookup_unmounted(const ParentAndName& location)
{
    Inode& directory = *location.directory;
    return directory.file_system().lookup(directory, location.name);
}

Result<void> VfsSyscall::rmdir(const char* path)
{
    ParentAndName location = TRY(resolve_parent(context_, path));
    if (location.name.empty())
        return Error(EBUSY);
    if (location.name == ".")
        return Error(EINVAL);
    if (location.name == "..")
        return Error(ENOTEMPTY);
    RefPtr<Inode> victim = TRY(lookup_unmounted(location));
    if (context_.vfs().is_mount_point(*victim) || victim == context_.root())
        return Error(EBUSY);
    Inode& directory = *location.directory;
    return directory.file_system().rmdir(directory, location.name);
}

Result<void> VfsSyscall::unlink(const char* path)
{
    ParentAndName location = TRY(resolve_parent(context_, path));
    if (location.name.empty() || is_dot_or_dot_dot(location.name))
        return Error(EISDIR);
    RefPtr<Inode> victim = TRY(lookup_unmounted(location));
    if (victim->is_directory())
        return Error(EISDIR);
    if (location.trailing_slash)
        return Error(ENOTDIR);
    Inode& directory = *location.directory;
    return directory.file_system().unlink(directory, location.name);
}

/* EINVAL when `new_parent` is `moving` or lies below it: the directory would
 * become its own ancestor and leave the tree. */
Result<void> VfsSyscall::check_not_own_ancestor(Inode& moving, const RefPtr<Inode>& new_parent)
{
    RefPtr<Inode> current = new_parent;
    for (;;) {
        if (current.get() == &moving)
            return Error(EINVAL);
        RefPtr<Inode> parent = TRY(parent_directory(context_.vfs(), current));
        if (parent == current)
            return {};
        current = parent;
    }
}

Result<void> VfsSyscall::rename(const char* old_path, const char* new_path)
{
    ParentAndName from = TRY(resolve_parent(context_, old_path));
    ParentAndName to = TRY(resolve_parent(context_, new_path));
    if (from.name.empty() || to.name.empty() || is_dot_or_dot_dot(from.name) || is_dot_or_dot_dot(to.name))
        return Error(EBUSY);
    RefPtr<Inode> moving = TRY(lookup_unmounted(from));
    if (context_.vfs().is_mount_point(*moving))
        return Error(EBUSY);
    if ((from.trailing_slash || to.trailing_slash) && !moving->is_directory())
        return Error(ENOTDIR);
    if (&from.directory->file_system() != &to.directory->file_system())
        return Error(EXDEV);
    Result<RefPtr<Inode>> target = lookup_unmounted(to);
    if (!target.is_error() && context_.vfs().is_mount_point(*target.value()))
        return Error(EBUSY);
    if (moving->is_directory())
        TRY(check_not_own_ancestor(*moving, to.directory));
    Inode& from_directory = *from.directory;
    return from_directory.file_system().rename(from_directory, from.name, *to.directory, to.name);
}

/* The entry at a directory's file offset: 0 is ".", 1 is "..", and offset k >= 2
 * is the file system's cookie k - 2. */
Result<bool> VfsSyscall::directory_entry(Inode& directory, uint64_t offset, DirectoryEntry& entry)
{
    if (offset < 2) {
        RefPtr<Inode> self(&directory);
        /* ".." of the context's root is the root, as resolution has it: a VM does
         * not learn even the number of the host directory above its root. */
        bool at_top = offset == 0 || self == context_.root();
        RefPtr<Inode> target = at_top ? self : TRY(parent_directory(context_.vfs(), self));
        StringView(offset == 0 ? "." : "..").copy_to(entry.name, sizeof(entry.name));
        entry.inode_number = target->number();
        entry.type = InodeType::directory;
        entry.next_cookie = offset + 1;
        return true;
    }
    if (!TRY(directory.file_system().readdir(directory, offset - 2, entry)))
        return false;
    entry.next_cookie += 2;
    return true;
}

Result<size_t> VfsSyscall::getdents(int fd, void* buffer, size_t size)
{
    RefPtr<OpenFile> file = TRY(files_.get(fd));
    Inode& directory = *file->inode();
    if (!directory.is_directory())
        return Error(ENOTDIR);
    auto* out = static_cast<uint8_t*>(buffer);
    size_t used = 0;
    DirectoryEntry entry;
    while (TRY(directory_entry(directory, file->offset(), entry))) {
        size_t name_length = __builtin_strlen(entry.name);
        size_t record_size = DIRENT_RECORD_SIZE(name_length);
        if (used + record_size > size) {
            if (used == 0)
                return Error(EINVAL);
            break;
        }
        struct dirent header {};
        header.d_ino = entry.inode_number;
        header.d_off = entry.next_cookie;
        header.d_reclen = uint16_t(record_size);
        header.d_type = entry.type == InodeType::directory ? DT_DIR : DT_REG;
        __builtin_memset(out + used, 0, record_size);
        __builtin_memcpy(out + used, &header, DIRENT_HEADER_SIZE);
        __builtin_memcpy(out + used + DIRENT_HEADER_SIZE, entry.name, name_length);
        used += record_size;
        file->set_offset(entry.next_cookie);
    }
    return used;
}

Result<void> VfsSyscall::chdir(const char* path)
{
    RefPtr<Inode> directory = TRY(resolve_path(context_, path));
    if (!directory->is_directory())
        return Error(ENOTDIR);
    context_.set_cwd(directory);
    return {};
}

Result<size_t> VfsSyscall::getcwd(char* buffer, size_t size)
{
    /* Built from the end of `buffer` backwards, then moved to its start: each step
     * up finds the name under which the parent lists the directory we came from. */
    if (size == 0)
        return Error(ERANGE);
    size_t start = size - 1;
    buffer[start] = '\0';
    RefPtr<Inode> current = context_.cwd();
    while (current != context_.root()) {
        RefPtr<Inode> parent = TRY(parent_directory(context_.vfs(), current));
        if (parent == current)
            return Error(ENOENT); /* the cwd was moved out from under the root */
        DirectoryEntry entry;
        TRY(name_in_parent(current, parent, entry));
        size_t length = __builtin_strlen(entry.name);
        if (length + 1 > start)
            return Error(ERANGE);
        start -= length;
        __builtin_memcpy(buffer + start, entry.name, length);
        buffer[--start] = '/';
        current = parent;
    }
    if (start == size - 1) {
        if (start == 0)
            return Error(ERANGE);
        buffer[--start] = '/';
    }
    size_t length = size - start; /* with the NUL */
    __builtin_memmove(buffer, buffer + start, length);
    return length;
}

/* The entry of `parent` that names `directory` (the covered directory's name when
 * `directory` is the root of a mounted file system). ENOENT when it was removed. */
Result<void> VfsSyscall::name_in_parent(const RefPtr<Inode>& directory, const RefPtr<Inode>& parent, DirectoryEntry& entry)
{
    RefPtr<Inode> named = directory;
    while (named == named->file_system().root() && context_.vfs().mount_point_of(named->file_system()))
        named = context_.vfs().mount_point_of(named->file_system());
    FileSystem& fs = parent->file_system();
    for (uint64_t cookie = 0; TRY(fs.readdir(*parent, cookie, entry)); cookie = entry.next_cookie) {
        if (entry.inode_number == named->number())
            return {};
    }
    return Error(ENOENT);
}
