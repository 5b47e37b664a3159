/* The file hypercalls served on a VM's root directory; see file_server.h and
 * docs/hypercalls.md. Every argument is checked in the order the document gives
 * (handle, then lengths and flags, then guest buffers), every guest string and
 * buffer is copied exactly once, and the errors are the VFS's own errno values,
 * with EROFS for changes outside the writable directory. */
#include "hypervisor/hypercall/file_server.h"

#include "abi/hypercall.h"

#include <new>

using guest_paging::AccessKind;
using guest_paging::GuestVirtualMemory;

static_assert(HYPERCALL_FILE_HANDLES_MAX == FileDescriptorTable::MAX_DESCRIPTORS,
              "handles are the VM's descriptor table");

namespace {

constexpr uint64_t PAGE = 4096;
constexpr uint32_t OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY;
constexpr uint64_t MODE_BITS = 07777;
size_t live_servers = 0;

uint64_t smaller(uint64_t a, uint64_t b) { return a < b ? a : b; }

} // namespace

FileServer::FileServer(RefPtr<Inode> root, RefPtr<Inode> writable, RefPtr<StorageAccount> account)
    : root_(root), writable_(writable), account_(account), paths_(new (std::nothrow) PathBuffer[3]),
      vectors_(new (std::nothrow) IoVector[MAX_VECTORS])
{
    if (!root_ || !root_->is_directory())
        panic("a VM's root must be a directory");
    /* The caller (vm_manager) has checked this and told the user otherwise. */
    if (writable_ && !is_beneath(view_, writable_, root_))
        panic("a VM's writable directory must lie beneath its root");
    ++live_servers;
}

FileServer::~FileServer()
{
    /* Every handle the guest left open is closed here, so its host file (even an
     * unlinked one) is released with the VM. */
    handles_.close_all();
    delete[] names_;
    delete[] paths_;
    delete[] transfer_;
    delete[] vectors_;
    --live_servers;
}

size_t FileServer::live_count() { return live_servers; }

uint64_t FileServer::serve(const HypercallRegisters& registers, GuestVirtualMemory& memory)
{
    Result<uint64_t> result = dispatch(registers, memory);
    return result.is_error() ? uint64_t(-int64_t(result.error())) : result.value();
}

Result<uint64_t> FileServer::dispatch(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    VfsContext context(view_, root_);
    VfsSyscall sys(context, handles_);
    switch (r.rax) {
    case HYPERCALL_FILE_OPEN: return open(r, memory);
    case HYPERCALL_FILE_CLOSE: {
        int handle = TRY(handle_number(r.rbx));
        TRY(sys.close(handle));
        forget_writable(handle);
        return 0;
    }
    case HYPERCALL_FILE_READ: return read(r, memory);
    case HYPERCALL_FILE_WRITE: return write(r, memory);
    case HYPERCALL_FILE_LSEEK: {
        int handle = TRY(handle_number(r.rbx));
        if (r.rdx > SEEK_END)
            return Error(EINVAL);
        return TRY(sys.lseek(handle, int64_t(r.rcx), int(r.rdx)));
    }
    case HYPERCALL_FILE_STAT: return stat(r, memory);
    case HYPERCALL_FILE_FSTAT: return fstat(r, memory);
    case HYPERCALL_FILE_MKDIR:
    case HYPERCALL_FILE_RMDIR:
    case HYPERCALL_FILE_UNLINK:
    case HYPERCALL_FILE_TRUNCATE: return path_call(r, memory);
    case HYPERCALL_FILE_RENAME: return rename(r, memory);
    case HYPERCALL_FILE_GETDENTS: return getdents(r, memory);
    case HYPERCALL_FILE_FTRUNCATE: {
        int handle = TRY(handle_number(r.rbx));
        TRY(check_still_writable(handle));
        TRY(sys.ftruncate(handle, r.rcx));
        return 0;
    }
    default: return Error(ENOSYS);
    }
}

Result<int> FileServer::handle_number(uint64_t value) const
{
    if (value >= HYPERCALL_FILE_HANDLES_MAX)
        return Error(EBADF);
    TRY(handles_.get(int(value)));
    return int(value);
}

/* Copies a NUL-terminated guest string page by page (a page that holds the NUL
 * is readable up to its end if at all, so nothing past the string can fault). The
 * guest cannot change it afterwards: only the host copy is looked at. */
Result<const char*> FileServer::copy_path(GuestVirtualMemory& memory, uint64_t address, PathBuffer& out)
{
    size_t copied = 0;
    while (copied < PATH_MAX) {
        uint64_t at = address + copied;
        if (at < address)
            return Error(EFAULT);
        size_t piece = size_t(smaller(PAGE - at % PAGE, PATH_MAX - copied));
        if (!memory.read(at, out.text + copied, piece))
            return Error(EFAULT);
        for (size_t i = copied; i < copied + piece; ++i) {
            if (out.text[i] == '\0')
                return static_cast<const char*>(out.text);
        }
        copied += piece;
    }
    return Error(ENAMETOOLONG);
}

Result<void> FileServer::enter(uint64_t at, VfsContext& context)
{
    if (at == HYPERCALL_FILE_ROOT)
        return {};
    int handle = TRY(handle_number(at));
    RefPtr<OpenFile> directory = TRY(handles_.get(handle));
    if (!directory->inode()->is_directory())
        return Error(ENOTDIR);
    context.set_cwd(directory->inode());
    return {};
}

Result<void> FileServer::check_writable(const RefPtr<Inode>& directory) const
{
    if (!writable_ || !is_beneath(view_, directory, writable_))
        return Error(EROFS);
    return {};
}

Result<ParentAndName> FileServer::check_writable_parent(VfsContext& context, const char* path) const
{
    ParentAndName location = TRY(resolve_parent(context, path));
    TRY(check_writable(location.directory));
    return location;
}

void FileServer::remember_writable(int handle, const ParentAndName& location)
{
    WritableName& name = names_[handle];
    name.directory = location.directory;
    if (!location.name.copy_to(name.name, sizeof(name.name)))
        name.directory = nullptr; /* cannot happen: resolution refuses names over NAME_MAX */
}

/* The handle's file must still be the one its recorded name gives, in a directory
 * beneath the writable one: a file someone else moved (say from /shared to /bin)
 * is not written through an old handle. A file with no name left (unlinked while
 * open) stays writable: its bytes are nobody else's. */
Result<void> FileServer::check_still_writable(int handle) const
{
    RefPtr<OpenFile> file = TRY(handles_.get(handle));
    if (!file->can_write())
        return {}; /* the VFS answers EBADF */
    if (!names_ || !names_[handle].directory)
        return Error(EROFS);
    const WritableName& name = names_[handle];
    if (name.directory->is_directory() && !check_writable(name.directory).is_error()) {
        Inode& directory = *name.directory;
        Result<RefPtr<Inode>> now = directory.file_system().lookup(directory, StringView(name.name));
        if (!now.is_error() && now.value() == file->inode())
            return {};
    }
    struct stat status {};
    Inode& inode = *file->inode();
    if (!inode.file_system().stat(inode, status).is_error() && status.st_nlink == 0)
        return {};
    return Error(EROFS);
}

Result<void> FileServer::seek_to(VfsSyscall& sys, int handle, uint64_t offset)
{
    if (offset == HYPERCALL_FILE_POSITION)
        return {};
    if (offset > uint64_t(INT64_MAX))
        return Error(EINVAL);
    TRY(sys.lseek(handle, int64_t(offset), SEEK_SET));
    return {};
}

Result<uint64_t> FileServer::open(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    VfsContext context(view_, root_);
    context.set_account(account_);
    TRY(enter(r.rbx, context));
    if (r.rdx & ~uint64_t(OPEN_FLAGS))
        return Error(EINVAL);
    int flags = int(r.rdx), access = flags & O_ACCMODE;
    if (access != O_RDONLY && access != O_WRONLY && access != O_RDWR)
        return Error(EINVAL);
    const char* path = TRY(copy_path(memory, r.rcx, paths_[0]));
    /* Creating, truncating or opening for writing changes the name's directory or
     * the file: allowed only beneath the writable directory. */
    ParentAndName location;
    if (access != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
        location = TRY(check_writable_parent(context, path));
    if (access != O_RDONLY && !names_) {
        names_ = new (std::nothrow) WritableName[HYPERCALL_FILE_HANDLES_MAX];
        if (!names_)
            return Error(ENOMEM);
    }
    VfsSyscall sys(context, handles_);
    int handle = TRY(sys.open(path, flags, uint32_t(r.rsi & MODE_BITS)));
    if (access != O_RDONLY)
        remember_writable(handle, location);
    else
        forget_writable(handle);
    return uint64_t(handle);
}

/* The guest's buffer is translated once, whole, into host memory (checked for
 * `kind` on the way, so nothing moves unless all of it can), and the VFS then
 * copies between the file and those pieces directly: each byte moves once, and
 * no guest page table or guest byte is looked at twice. */
Result<size_t> FileServer::map_buffer(GuestVirtualMemory& memory, uint64_t buffer, uint64_t length, AccessKind kind)
{
    if (length > HYPERCALL_FILE_IO_MAX)
        return Error(EINVAL);
    if (length == 0)
        return size_t(0);
    size_t count = memory.map(buffer, length, kind, vectors_, MAX_VECTORS);
    if (count == 0)
        return Error(EFAULT);
    return count;
}

/* A read writes the guest's buffer; a write reads it. */
Result<uint64_t> FileServer::transfer(const HypercallRegisters& r, GuestVirtualMemory& memory, bool reading)
{
    int handle = TRY(handle_number(r.rbx));
    if (!reading)
        TRY(check_still_writable(handle));
    size_t vectors = TRY(map_buffer(memory, r.rcx, r.rdx, reading ? AccessKind::write : AccessKind::read));
    VfsContext context(view_, root_);
    context.set_account(account_);
    VfsSyscall sys(context, handles_);
    TRY(seek_to(sys, handle, r.rsi));
    return TRY(reading ? sys.readv(handle, vectors_, vectors) : sys.writev(handle, vectors_, vectors));
}

Result<uint64_t> FileServer::read(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    return transfer(r, memory, true);
}

Result<uint64_t> FileServer::write(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    return transfer(r, memory, false);
}

Result<uint64_t> FileServer::getdents(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    int handle = TRY(handle_number(r.rbx));
    uint64_t buffer = r.rcx, size = r.rdx;
    if (size > HYPERCALL_FILE_IO_MAX)
        return Error(EINVAL);
    /* Fewer records than fit are fine (getdents reports the bytes used), so one
     * transfer step is the most a call returns. */
    size_t step = size_t(smaller(size, TRANSFER_STEP));
    if (!memory.accessible(buffer, step, AccessKind::write))
        return Error(EFAULT);
    VfsContext context(view_, root_);
    VfsSyscall sys(context, handles_);
    TRY(seek_to(sys, handle, r.rsi));
    if (!transfer_) {
        transfer_ = new (std::nothrow) uint8_t[TRANSFER_STEP];
        if (!transfer_)
            return Error(ENOMEM);
    }
    size_t used = TRY(sys.getdents(handle, transfer_, step));
    if (!memory.write(buffer, transfer_, used))
        return Error(EFAULT);
    return used;
}

Result<uint64_t> FileServer::stat(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    VfsContext context(view_, root_);
    TRY(enter(r.rbx, context));
    const char* path = TRY(copy_path(memory, r.rcx, paths_[0]));
    VfsSyscall sys(context, handles_);
    struct stat status {};
    TRY(sys.stat(path, status));
    if (!memory.write(r.rdx, &status, sizeof(status)))
        return Error(EFAULT);
    return 0;
}

Result<uint64_t> FileServer::fstat(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    int handle = TRY(handle_number(r.rbx));
    VfsContext context(view_, root_);
    VfsSyscall sys(context, handles_);
    struct stat status {};
    TRY(sys.fstat(handle, status));
    if (!memory.write(r.rcx, &status, sizeof(status)))
        return Error(EFAULT);
    return 0;
}

Result<uint64_t> FileServer::path_call(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    VfsContext context(view_, root_);
    context.set_account(account_);
    TRY(enter(r.rbx, context));
    const char* path = TRY(copy_path(memory, r.rcx, paths_[0]));
    Result<ParentAndName> writable = check_writable_parent(context, path);
    /* An existing name is EEXIST to mkdir even where nothing may change, as on
     * Linux: a guest making its /dev on a read-only root learns that it is there. */
    if (r.rax == HYPERCALL_FILE_MKDIR && writable.is_error() && writable.error() == EROFS &&
        !resolve_path(context, path).is_error())
        return Error(EEXIST);
    if (writable.is_error())
        return Error(writable.error());
    VfsSyscall sys(context, handles_);
    switch (r.rax) {
    case HYPERCALL_FILE_MKDIR: TRY(sys.mkdir(path, uint32_t(r.rdx & MODE_BITS))); break;
    case HYPERCALL_FILE_RMDIR: TRY(sys.rmdir(path)); break;
    case HYPERCALL_FILE_UNLINK: TRY(sys.unlink(path)); break;
    case HYPERCALL_FILE_TRUNCATE: {
        RefPtr<Inode> file = TRY(resolve_path(context, path));
        if (file->is_directory())
            return Error(EISDIR);
        TRY(file->file_system().truncate(*file, r.rdx));
        break;
    }
    default: return Error(ENOSYS);
    }
    return 0;
}

/* `path` made absolute within the root when it is relative to a directory
 * handle: that directory's path (getcwd in a context standing there) joined with
 * it, in place. */
Result<void> FileServer::make_absolute(uint64_t at, PathBuffer& path)
{
    if (path.text[0] == '/' || at == HYPERCALL_FILE_ROOT)
        return {};
    VfsContext context(view_, root_);
    TRY(enter(at, context));
    VfsSyscall sys(context, handles_);
    PathBuffer& joined = paths_[2];
    size_t directory_length = TRY(sys.getcwd(joined.text, PATH_MAX)) - 1;
    size_t name_length = __builtin_strlen(path.text);
    if (directory_length + 1 + name_length >= PATH_MAX)
        return Error(ENAMETOOLONG);
    joined.text[directory_length] = '/';
    __builtin_memcpy(joined.text + directory_length + 1, path.text, name_length + 1);
    __builtin_memcpy(path.text, joined.text, directory_length + 1 + name_length + 1);
    return {};
}

Result<uint64_t> FileServer::rename(const HypercallRegisters& r, GuestVirtualMemory& memory)
{
    /* VfsSyscall::rename resolves both paths in one context, so a path relative to
     * a directory handle is first made absolute within the root. */
    VfsContext check(view_, root_);
    TRY(enter(r.rbx, check));
    TRY(enter(r.rdx, check));
    TRY(copy_path(memory, r.rcx, paths_[0]));
    TRY(copy_path(memory, r.rsi, paths_[1]));
    TRY(make_absolute(r.rbx, paths_[0]));
    TRY(make_absolute(r.rdx, paths_[1]));
    VfsContext context(view_, root_);
    ParentAndName from = TRY(check_writable_parent(context, paths_[0].text));
    ParentAndName to = TRY(check_writable_parent(context, paths_[1].text));
    VfsSyscall sys(context, handles_);
    TRY(sys.rename(paths_[0].text, paths_[1].text));
    /* Handles open for writing on the moved name follow it (this VM moved it). */
    for (size_t handle = 0; names_ && handle < HYPERCALL_FILE_HANDLES_MAX; ++handle) {
        WritableName& name = names_[handle];
        if (name.directory == from.directory && StringView(name.name) == from.name) {
            name.directory = to.directory;
            (void)to.name.copy_to(name.name, sizeof(name.name));
        }
    }
    return 0;
}
