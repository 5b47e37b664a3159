/* hostfs over the file hypercalls; see hypercall_fs.h and docs/hypercalls.md. */
#include "fs/hypercall_fs.h"

#include "abi/dirent.h"
#include "abi/fcntl.h"
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "fs/hypercall_ring.h"
#include "mm/direct_map.h"
#include "mm/kernel_heap.h"
#include "time/clock.h"

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
    /* Where the last read of this file ended: a read starting there is
     * sequential and may fetch a read-ahead window. 0 at first, so a file read
     * from its start is read ahead at once. */
    uint64_t next_read_ = 0;
    HostInode* next_ = nullptr;
    /* A directory's records from one getdents, from host offset listing_start_
     * (readdir answers from it; kmalloc'd at the first readdir, or none). */
    uint8_t* listing_ = nullptr;
    size_t listing_used_ = 0;
    uint64_t listing_start_ = 0;
    /* The status the host gave with the notify numbered status_notify_ (the
     * lookup's fstat). While no later notify has happened we have seen nothing
     * since, so answering stat with it is as if the stat had run then: `ls -l`
     * costs one notify per name, not two. */
    struct stat status_ {};
    uint64_t status_notify_ = 0;
    bool status_known_ = false;
};

namespace {

/* A host answer as a Result: the host returns a negative errno on failure. */
Result<uint64_t> answer(int64_t result)
{
    if (result < 0)
        return Error(int(-result));
    return uint64_t(result);
}

/* One file call, through the request ring when the host offers it. */
Result<uint64_t> call(uint64_t number, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0)
{
    return answer(hypercall_ring::call({number, rbx, rcx, rdx, rsi}));
}

/* The number of a read or write of `buffer`: with HYPERCALL_RING_PHYSICAL_BUFFER
 * and the buffer's guest-physical address when the ring is up and the buffer lies
 * in the direct map (a kernel buffer, contiguous in physical memory too) and is
 * at most 16 KiB long, so the host makes no walk of our page tables; else as it
 * is. Only for small buffers: there the walk is most of the host's work (1,040
 * of 2,092 cycles for a 4 KiB read), while over many pages the host's walk under a
 * remembered page table costs one entry per page and beat the unpaged path in
 * pvfs_bench (1 MiB reads at 0.91 of the host against 0.67). */
constexpr size_t PHYSICAL_BUFFER_MAX = 16 * 1024;

uint64_t transfer_number(uint64_t number, const void* buffer, size_t length, uint64_t& address_out)
{
    auto at = reinterpret_cast<uint64_t>(buffer);
    address_out = at;
    if (!hypercall_ring::active() || at < DIRECT_MAP_BASE || length > DIRECT_MAP_SIZE ||
        at - DIRECT_MAP_BASE > DIRECT_MAP_SIZE - length || length > PHYSICAL_BUFFER_MAX)
        return number;
    address_out = at - DIRECT_MAP_BASE;
    return number | HYPERCALL_RING_PHYSICAL_BUFFER;
}

/* Host bytes of directory records one readdir batch fetches: an `ls` of a large
 * directory costs one notify per this many bytes of names. */
constexpr size_t LISTING_SIZE = 4096;

uint64_t address(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

/* A component as the NUL-terminated string the hypercalls take. */
struct Name {
    char text[NAME_MAX + 1] = {};
    explicit Name(StringView name) { (void)name.copy_to(text, sizeof(text)); }
};

} // namespace

HostInode::~HostInode()
{
    /* forget() also drops the read-ahead window: a later inode at this address
     * must not find this file's bytes. */
    static_cast<HypercallFs&>(file_system()).forget(*this);
    kfree(listing_);
    /* Queued: it goes to the host in front of the next batch, costing no exit of
     * its own. Nothing to do about a failed close: the host frees the handle with
     * the VM anyway. */
    hypercall_ring::close_later(handle_);
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
    (void)hypercall_ring::connect();
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

void HypercallFs::remember_status(HostInode& inode, const struct stat& status)
{
    inode.status_ = status;
    inode.status_notify_ = hypercall_ring::notify_count();
    inode.status_known_ = hypercall_ring::active();
}

Result<RefPtr<Inode>> HypercallFs::adopt(uint64_t handle, const struct stat& status, bool read_only)
{
    if (RefPtr<Inode> living = find(status.st_ino)) {
        hypercall_ring::close_later(handle);
        remember_status(own(*living), status);
        /* A lookup is where the guest sees changes it did not make (the
         * read-ahead model of fs/read_ahead.h): an open reads the file anew. */
        read_ahead_.forget(&own(*living));
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
    remember_status(*inode, status);
    inode->next_ = inodes_;
    inodes_ = inode;
    ++inode_count_;
    return RefPtr<Inode>(inode);
}

void HypercallFs::forget(HostInode& inode)
{
    read_ahead_.forget(&inode);
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
    /* One batch: the file opened for reading and writing (the guest's VFS checks
     * each open file's own flags, and one host handle serves every guest
     * descriptor) and for reading only, each with the fstat of that very handle
     * (HYPERCALL_RING_PREVIOUS_RESULT), so the inode number is the opened file's.
     * Outside the VM's writable directory the host refuses the first (EROFS), and
     * a directory opens for reading only (EISDIR); the unused handle is closed
     * with the next batch. */
    struct stat writable_status {}, read_only_status {};
    const hypercall_ring::Request batch[] = {
        {HYPERCALL_FILE_OPEN, at, address(text.text), O_RDWR, 0},
        {HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT, address(&writable_status), 0, 0},
        {HYPERCALL_FILE_OPEN, at, address(text.text), O_RDONLY, 0},
        {HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT, address(&read_only_status), 0, 0},
    };
    int64_t results[4];
    hypercall_ring::submit(batch, 4, results);
    bool writable = results[0] >= 0 && results[1] == 0;
    bool readable = results[2] >= 0 && results[3] == 0;
    if (results[0] >= 0 && !writable)
        hypercall_ring::close_later(uint64_t(results[0]));
    if (results[2] >= 0 && (writable || !readable))
        hypercall_ring::close_later(uint64_t(results[2]));
    if (writable)
        return adopt(uint64_t(results[0]), writable_status);
    if (!readable)
        return Error(int(-(results[2] < 0 ? results[2] : results[3])));
    /* A file the host would not give for writing is read-only here. */
    bool read_only = !S_ISDIR(read_only_status.st_mode);
    if (read_only && results[0] != -int64_t(EROFS))
        return Error(results[0] < 0 ? int(-results[0]) : EIO);
    return adopt(uint64_t(results[2]), read_only_status, read_only);
}

Result<RefPtr<Inode>> HypercallFs::create(Inode& directory, StringView name, uint32_t mode, StorageAccount*)
{
    own(directory).listing_used_ = 0;
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
    own(directory).listing_used_ = 0;
    Name text(name);
    TRY(call(HYPERCALL_FILE_MKDIR, own(directory).handle(), address(text.text), mode));
    return lookup(directory, name);
}

Result<void> HypercallFs::unlink(Inode& directory, StringView name)
{
    own(directory).listing_used_ = 0;
    Name text(name);
    TRY(call(HYPERCALL_FILE_UNLINK, own(directory).handle(), address(text.text)));
    return {};
}

Result<void> HypercallFs::rmdir(Inode& directory, StringView name)
{
    own(directory).listing_used_ = 0;
    Name text(name);
    TRY(call(HYPERCALL_FILE_RMDIR, own(directory).handle(), address(text.text)));
    return {};
}

Result<void> HypercallFs::rename(Inode& from_directory, StringView from_name, Inode& to_directory, StringView to_name)
{
    own(from_directory).listing_used_ = 0;
    own(to_directory).listing_used_ = 0;
    Name from(from_name), to(to_name);
    TRY(call(HYPERCALL_FILE_RENAME, own(from_directory).handle(), address(from.text), own(to_directory).handle(),
             address(to.text)));
    return {};
}

namespace {

/* Reads of `handle` straight into `buffer`, up to HYPERCALL_FILE_IO_MAX per
 * request: the host walks our page tables for the whole piece at once. */
Result<size_t> read_from_host(uint64_t handle, uint64_t offset, void* buffer, size_t count)
{
    auto* bytes = static_cast<uint8_t*>(buffer);
    size_t done = 0;
    while (done < count) {
        size_t piece = count - done < HYPERCALL_FILE_IO_MAX ? count - done : HYPERCALL_FILE_IO_MAX;
        uint64_t at = 0;
        uint64_t number = transfer_number(HYPERCALL_FILE_READ, bytes + done, piece, at);
        Result<uint64_t> got = call(number, handle, at, piece, offset + done);
        if (got.is_error())
            return done ? Result<size_t>(done) : Error(got.error());
        done += size_t(got.value());
        if (got.value() < piece)
            break;
    }
    return done;
}

} // namespace

/* A window's key is its HostInode: forget() drops it before the inode goes. */
Result<size_t> HypercallFs::fetch(const void* file, uint64_t offset, void* into, size_t length)
{
    return read_from_host(static_cast<const HostInode*>(file)->handle(), offset, into, length);
}

/* Without memory for a window hostfs still works, every read one request. */
uint8_t* HypercallFs::allocate() { return static_cast<uint8_t*>(kmalloc(ReadAhead::WINDOW_MAX)); }

void HypercallFs::release(uint8_t* bytes) { kfree(bytes); }

Result<size_t> HypercallFs::read(Inode& file, uint64_t offset, void* buffer, size_t count)
{
    HostInode& host = own(file);
    bool served = false;
    size_t got =
        read_ahead_.read(&host, offset, buffer, count, clock::nanoseconds(), offset == host.next_read_, served);
    if (!served)
        got = TRY(read_from_host(host.handle(), offset, buffer, count));
    host.next_read_ = offset + got;
    return got;
}

Result<size_t> HypercallFs::write(Inode& file, uint64_t offset, const void* buffer, size_t count, StorageAccount*)
{
    if (own(file).read_only_)
        return Error(EROFS);
    /* Dropped before the first byte goes: a write that fails half-way has still
     * changed the file. */
    read_ahead_.forget(&own(file));
    auto* bytes = static_cast<const uint8_t*>(buffer);
    size_t done = 0;
    while (done < count) {
        size_t piece = count - done < HYPERCALL_FILE_IO_MAX ? count - done : HYPERCALL_FILE_IO_MAX;
        uint64_t at = 0;
        uint64_t number = transfer_number(HYPERCALL_FILE_WRITE, bytes + done, piece, at);
        Result<uint64_t> put = call(number, own(file).handle(), at, piece, offset + done);
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
    read_ahead_.forget(&own(file));
    TRY(call(HYPERCALL_FILE_FTRUNCATE, own(file).handle(), size));
    return {};
}

/* The host's directory offsets are its VFS's: 0 and 1 are "." and "..", which
 * our VFS adds itself, so cookie c is host offset c + 2. One getdents fetches
 * LISTING_SIZE bytes of records into the directory's listing; readdir answers
 * from there while the cookie lies in it. A listing starting at cookie 0 is
 * always fetched anew, so every new walk of the directory sees it as it is now
 * (as POSIX asks of opendir and rewinddir); our own changes drop it too. */
Result<bool> HypercallFs::readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry)
{
    HostInode& host = own(directory);
    uint64_t wanted = cookie + 2;
    if (!host.listing_)
        host.listing_ = static_cast<uint8_t*>(kmalloc(LISTING_SIZE));
    alignas(8) uint8_t one_record[DIRENT_RECORD_SIZE(NAME_MAX)];
    uint8_t* records = host.listing_ ? host.listing_ : one_record;
    size_t capacity = host.listing_ ? LISTING_SIZE : sizeof(one_record);
    /* Where `wanted` starts in the listing: the first record is at
     * listing_start_, each next one at its predecessor's d_off. */
    size_t at = 0;
    bool found = false;
    if (host.listing_ && cookie != 0 && host.listing_used_) {
        uint64_t offset = host.listing_start_;
        while (at + DIRENT_HEADER_SIZE < host.listing_used_ && offset != wanted) {
            auto* record = reinterpret_cast<const struct dirent*>(records + at);
            offset = record->d_off;
            at += record->d_reclen;
        }
        found = offset == wanted && at + DIRENT_HEADER_SIZE < host.listing_used_;
    }
    if (!found) {
        host.listing_used_ = 0;
        uint64_t used = TRY(call(HYPERCALL_FILE_GETDENTS, host.handle(), address(records), capacity, wanted));
        if (used == 0)
            return false;
        if (used > capacity)
            return Error(EIO);
        host.listing_used_ = host.listing_ ? size_t(used) : 0;
        host.listing_start_ = wanted;
        at = 0;
        /* Records are checked once, when they arrive: each must fit and move on. */
        for (size_t check = 0; check < used;) {
            auto* record = reinterpret_cast<const struct dirent*>(records + check);
            if (used - check < DIRENT_HEADER_SIZE + 1 || record->d_reclen < DIRENT_HEADER_SIZE + 1 ||
                record->d_reclen > used - check || record->d_reclen % 8 != 0) {
                host.listing_used_ = 0;
                return Error(EIO);
            }
            check += record->d_reclen;
        }
    }
    auto* record = reinterpret_cast<const struct dirent*>(records + at);
    if (record->d_off < wanted + 1)
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
    HostInode& host = own(inode);
    if (host.status_known_ && host.status_notify_ == hypercall_ring::notify_count()) {
        out = host.status_;
        return {};
    }
    TRY(call(HYPERCALL_FILE_FSTAT, own(inode).handle(), address(&out)));
    return {};
}
