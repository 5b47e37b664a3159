/* hostfs over the file hypercalls; see hypercall_fs.h and docs/hypercalls.md. */
#include "fs/hypercall_fs.h"

#include "abi/dirent.h"
#include "abi/fcntl.h"
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"

#include <new>

class HostInode final : public Inode {
public:
    HostInode(HypercallFs& fs, uint64_t handle, uint64_t number, InodeType type)
        : Inode(fs, number, type), handle_(handle)
    {
    }
    ~HostInode() override;

    uint64_t handle() const { return handle_; }

private:
    friend class HypercallFs;
    uint64_t handle_;
    bool read_only_ = false; /* the host refused this file for writing (EROFS) */
    HostInode* next_ = nullptr;
};

namespace {

/* A hypercall's result as a Result: the host returns a negative errno on failure. */
Result<uint64_t> call(uint64_t number, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0)
{
    auto result = int64_t(cpu::vmcall(number, rbx, rcx, rdx, rsi));
    if (result < 0)
        return Error(int(-result));
    return uint64_t(result);
}

uint64_t address(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

/* A component as the NUL-terminated string the hypercalls take. */
struct Name {
    char text[NAME_MAX + 1] = {};
    explicit Name(StringView name) { (void)name.copy_to(text, sizeof(text)); }
};

} // namespace

HostInode::~HostInode()
{
    static_cast<HypercallFs&>(file_system()).forget(*this);
    /* Nothing to do about a failed close: the host frees the handle with the VM anyway. */
    (void)call(HYPERCALL_FILE_CLOSE, handle_);
}

bool HypercallFs::available()
{
    if (!(cpu::cpuid(1).ecx & (1u << 31)))
        return false;
    cpu::CpuidResult base = cpu::cpuid(HYPERVISOR_CPUID_BASE);
    if (base.ebx != HYPERVISOR_SIGNATURE_EBX || base.ecx != HYPERVISOR_SIGNATURE_EBX ||
        base.edx != HYPERVISOR_SIGNATURE_EBX || base.eax < HYPERVISOR_CPUID_FEATURES)
        return false;
    return cpu::cpuid(HYPERVISOR_CPUID_FEATURES).ebx & HYPERCALL_FEATURE_FILES;
}

Result<HypercallFs*> HypercallFs::connect()
{
    uint64_t handle = TRY(call(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, address("/"), O_RDONLY | O_DIRECTORY));
    struct stat status {};
    if (Result<uint64_t> got = call(HYPERCALL_FILE_FSTAT, handle, address(&status)); got.is_error()) {
        (void)call(HYPERCALL_FILE_CLOSE, handle);
        return Error(got.error());
    }
    auto* fs = new HypercallFs;
    Result<RefPtr<Inode>> root = fs->adopt(handle, status);
    if (root.is_error()) {
        delete fs;
        return Error(root.error());
    }
    fs->root_ = root.value();
    return fs;
}

HypercallFs::~HypercallFs()
{
    root_ = nullptr;
    if (inode_count_ != 0)
        panic("hostfs destroyed with %zu inodes in use", inode_count_);
}

RefPtr<Inode> HypercallFs::root() { return root_; }

HostInode& HypercallFs::own(Inode& inode)
{
    if (&inode.file_system() != this)
        panic("hostfs asked about another file system's inode");
    return static_cast<HostInode&>(inode);
}

RefPtr<Inode> HypercallFs::find(uint64_t number)
{
    for (HostInode* inode = inodes_; inode; inode = inode->next_) {
        if (inode->number() == number)
            return RefPtr<Inode>(inode);
    }
    return nullptr;
}

Result<RefPtr<Inode>> HypercallFs::adopt(uint64_t handle, const struct stat& status, bool read_only)
{
    if (RefPtr<Inode> living = find(status.st_ino)) {
        (void)call(HYPERCALL_FILE_CLOSE, handle);
        return living;
    }
    InodeType type = S_ISDIR(status.st_mode) ? InodeType::directory : InodeType::regular;
    /* A user program's lookup reaches this: out of memory is its ENOMEM. */
    auto* inode = new (std::nothrow) HostInode(*this, handle, status.st_ino, type);
    if (!inode) {
        (void)call(HYPERCALL_FILE_CLOSE, handle);
        return Error(ENOMEM);
    }
    inode->read_only_ = read_only;
    inode->next_ = inodes_;
    inodes_ = inode;
    ++inode_count_;
    return RefPtr<Inode>(inode);
}

void HypercallFs::forget(HostInode& inode)
{
    for (HostInode** link = &inodes_; *link; link = &(*link)->next_) {
        if (*link == &inode) {
            *link = inode.next_;
            --inode_count_;
            return;
        }
    }
    panic("hostfs inode %lu is not in the inode list", inode.number());
}

Result<RefPtr<Inode>> HypercallFs::lookup(Inode& directory, StringView name)
{
    uint64_t at = own(directory).handle();
    Name text(name);
    struct stat status {};
    TRY(call(HYPERCALL_FILE_STAT, at, address(text.text), address(&status)));
    if (RefPtr<Inode> living = find(status.st_ino))
        return living;
    /* Files are opened for reading and writing: the guest's VFS checks each open
     * file's own flags, and one host handle serves every guest descriptor. */
    int flags = S_ISDIR(status.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDWR;
    Result<uint64_t> writable = call(HYPERCALL_FILE_OPEN, at, address(text.text), uint64_t(flags));
    /* Outside the VM's writable directory the host gives files for reading only. */
    bool read_only = writable.is_error() && writable.error() == EROFS;
    if (writable.is_error() && !read_only)
        return Error(writable.error());
    uint64_t handle = read_only ? TRY(call(HYPERCALL_FILE_OPEN, at, address(text.text), O_RDONLY)) : writable.value();
    struct stat opened {};
    if (Result<uint64_t> got = call(HYPERCALL_FILE_FSTAT, handle, address(&opened)); got.is_error()) {
        (void)call(HYPERCALL_FILE_CLOSE, handle);
        return Error(got.error());
    }
    return adopt(handle, opened, read_only);
}

Result<RefPtr<Inode>> HypercallFs::create(Inode& directory, StringView name, uint32_t mode, StorageAccount*)
{
    Name text(name);
    uint64_t handle =
        TRY(call(HYPERCALL_FILE_OPEN, own(directory).handle(), address(text.text), O_RDWR | O_CREAT | O_EXCL, mode));
    struct stat status {};
    if (Result<uint64_t> got = call(HYPERCALL_FILE_FSTAT, handle, address(&status)); got.is_error()) {
        (void)call(HYPERCALL_FILE_CLOSE, handle);
        return Error(got.error());
    }
    return adopt(handle, status);
}

Result<RefPtr<Inode>> HypercallFs::mkdir(Inode& directory, StringView name, uint32_t mode, StorageAccount*)
{
    Name text(name);
    TRY(call(HYPERCALL_FILE_MKDIR, own(directory).handle(), address(text.text), mode));
    return lookup(directory, name);
}

Result<void> HypercallFs::unlink(Inode& directory, StringView name)
{
    Name text(name);
    TRY(call(HYPERCALL_FILE_UNLINK, own(directory).handle(), address(text.text)));
    return {};
}

Result<void> HypercallFs::rmdir(Inode& directory, StringView name)
{
    Name text(name);
    TRY(call(HYPERCALL_FILE_RMDIR, own(directory).handle(), address(text.text)));
    return {};
}

Result<void> HypercallFs::rename(Inode& from_directory, StringView from_name, Inode& to_directory, StringView to_name)
{
    Name from(from_name), to(to_name);
    TRY(call(HYPERCALL_FILE_RENAME, own(from_directory).handle(), address(from.text), own(to_directory).handle(),
             address(to.text)));
    return {};
}

Result<size_t> HypercallFs::read(Inode& file, uint64_t offset, void* buffer, size_t count)
{
    /* Up to HYPERCALL_FILE_IO_MAX per hypercall: the host walks our page tables for
     * the whole buffer at once. */
    auto* bytes = static_cast<uint8_t*>(buffer);
    size_t done = 0;
    while (done < count) {
        size_t piece = count - done < HYPERCALL_FILE_IO_MAX ? count - done : HYPERCALL_FILE_IO_MAX;
        Result<uint64_t> got = call(HYPERCALL_FILE_READ, own(file).handle(), address(bytes + done), piece, offset + done);
        if (got.is_error())
            return done ? Result<size_t>(done) : Error(got.error());
        done += size_t(got.value());
        if (got.value() < piece)
            break;
    }
    return done;
}

Result<size_t> HypercallFs::write(Inode& file, uint64_t offset, const void* buffer, size_t count, StorageAccount*)
{
    if (own(file).read_only_)
        return Error(EROFS);
    auto* bytes = static_cast<const uint8_t*>(buffer);
    size_t done = 0;
    while (done < count) {
        size_t piece = count - done < HYPERCALL_FILE_IO_MAX ? count - done : HYPERCALL_FILE_IO_MAX;
        Result<uint64_t> put = call(HYPERCALL_FILE_WRITE, own(file).handle(), address(bytes + done), piece, offset + done);
        if (put.is_error())
            return done ? Result<size_t>(done) : Error(put.error());
        done += size_t(put.value());
        if (put.value() < piece)
            break;
    }
    return done;
}

Result<void> HypercallFs::truncate(Inode& file, uint64_t size)
{
    if (own(file).read_only_)
        return Error(EROFS);
    TRY(call(HYPERCALL_FILE_FTRUNCATE, own(file).handle(), size));
    return {};
}

Result<bool> HypercallFs::readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry)
{
    /* The host's directory offsets are its VFS's: 0 and 1 are "." and "..", which
     * our VFS adds itself, so cookie c is host offset c + 2. One record is enough. */
    alignas(8) uint8_t buffer[DIRENT_RECORD_SIZE(NAME_MAX)];
    uint64_t used = TRY(call(HYPERCALL_FILE_GETDENTS, own(directory).handle(), address(buffer), sizeof(buffer), cookie + 2));
    if (used == 0)
        return false;
    auto* record = reinterpret_cast<const struct dirent*>(buffer);
    if (used < DIRENT_HEADER_SIZE + 1 || record->d_reclen > used || record->d_off < cookie + 3)
        return Error(EIO);
    size_t name_length = __builtin_strnlen(record->d_name, record->d_reclen - DIRENT_HEADER_SIZE);
    if (name_length == 0 || name_length > NAME_MAX)
        return Error(EIO);
    (void)StringView(record->d_name, name_length).copy_to(entry.name, sizeof(entry.name));
    entry.inode_number = record->d_ino;
    entry.type = record->d_type == DT_DIR ? InodeType::directory : InodeType::regular;
    entry.next_cookie = record->d_off - 2;
    return true;
}

Result<void> HypercallFs::stat(Inode& inode, struct stat& out)
{
    TRY(call(HYPERCALL_FILE_FSTAT, own(inode).handle(), address(&out)));
    return {};
}
