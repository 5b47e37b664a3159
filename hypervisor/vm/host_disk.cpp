/* IDE disks over host files; see host_disk.h. */
#include "hypervisor/vm/host_disk.h"

#include "abi/errno.h"
#include "fs/file_system.h"
#include "fs/kernel_vfs.h"
#include "fs/path_resolver.h"
#include "lib/string.h"

namespace {

/* The file `path` names and its size in sectors; the file system's lock held. */
Result<RefPtr<Inode>> resolve_disk_file(const char* path, uint64_t& sectors)
{
    Result<RefPtr<Inode>> file = resolve_path(kernel_vfs::context(), path);
    if (file.is_error())
        return Error(ENOENT);
    if (file.value()->is_directory())
        return Error(EISDIR);
    /* Only the root file system: another mount (the terminals of /dev) could
     * block the VM's thread while it holds the file system's lock. */
    if (&file.value()->file_system() != &kernel_vfs::vfs().root()->file_system())
        return Error(EINVAL);
    struct stat status;
    if (file.value()->file_system().stat(*file.value(), status).is_error())
        return Error(EIO);
    sectors = status.st_size / HostDisk::SECTOR_SIZE;
    if (sectors == 0)
        return Error(EINVAL);
    return file.release_value();
}

} // namespace

Result<uint64_t> HostDisk::check(const char* path)
{
    MutexLocker locker(kernel_vfs::lock());
    uint64_t sectors = 0;
    Result<RefPtr<Inode>> file = resolve_disk_file(path, sectors);
    if (file.is_error())
        return Error(file.error());
    file.value() = nullptr;
    return sectors;
}

Result<void> HostDisk::open(const char* path, const RefPtr<StorageAccount>& payer)
{
    MutexLocker locker(kernel_vfs::lock());
    uint64_t sectors = 0;
    inode_ = TRY(resolve_disk_file(path, sectors));
    payer_ = payer;
    sectors_ = sectors;
    return {};
}

void HostDisk::close_locked()
{
    inode_ = nullptr;
    payer_ = nullptr;
    sectors_ = 0;
}

bool HostDisk::read_sectors(uint64_t lba, uint32_t count, uint8_t* out)
{
    MutexLocker locker(kernel_vfs::lock());
    if (!inode_ || lba >= sectors_ || count > sectors_ - lba)
        return false;
    size_t bytes = size_t(count) * SECTOR_SIZE;
    Result<size_t> got = inode_->file_system().read(*inode_, lba * SECTOR_SIZE, out, bytes);
    if (got.is_error())
        return false;
    /* The file shrank since it was opened: what is gone reads as zeros, as a
     * hole would. */
    if (got.value() < bytes)
        memset(out + got.value(), 0, bytes - got.value());
    return true;
}

bool HostDisk::write_sectors(uint64_t lba, uint32_t count, const uint8_t* data)
{
    MutexLocker locker(kernel_vfs::lock());
    if (!inode_ || lba >= sectors_ || count > sectors_ - lba)
        return false;
    size_t bytes = size_t(count) * SECTOR_SIZE;
    /* The guest cannot grow the file past the size its host user made, but it
     * can fill its holes: the pages that takes are the VM's, charged to its
     * quota (ENOSPC past it aborts the command; the pages stay charged to the
     * account after the VM ends, as its files' do). */
    Result<size_t> written = inode_->file_system().write(*inode_, lba * SECTOR_SIZE, data, bytes, payer_.get());
    return !written.is_error() && written.value() == bytes;
}
