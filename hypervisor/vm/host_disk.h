/* A VM's IDE disk backed by a host file (hypervisor/devices/ata_disk.h's
 * SectorStore over the host's VFS). The host user names the file; the guest
 * only picks sectors, which the disk model has already checked against
 * sector_count(). Holes of a sparse file read as zeros and cost nothing until
 * written; the pages a write fills in are charged to the VM's storage account,
 * so a guest cannot turn a large sparse image into host memory beyond its
 * quota. A failed host read or write (out of memory, past the quota, the file
 * shrunk) is reported to the disk model, which aborts the guest's command. */
#pragma once
#include "fs/inode.h"
#include "fs/storage_account.h"
#include "hypervisor/devices/ata_disk.h"
#include "lib/result.h"

#include <stddef.h>
#include <stdint.h>

class HostDisk final : public devices::SectorStore {
public:
    HostDisk() = default;
    HostDisk(const HostDisk&) = delete;
    HostDisk& operator=(const HostDisk&) = delete;

    /* Whether `path` names a file that can back a disk: a regular file of the
     * root file system holding at least one sector. Errors: ENOENT (no such
     * file), EISDIR, EINVAL (another file system, or smaller than a sector).
     * Takes the file system's lock. */
    [[nodiscard]] static Result<uint64_t> check(const char* path);
    /* Opens it (check()'s errors), charging pages that writes add to `payer`
     * (the VM's storage account; nullptr: the host's, uncharged); takes the
     * file system's lock. */
    [[nodiscard]] Result<void> open(const char* path, const RefPtr<StorageAccount>& payer);
    /* Drops the file; the caller holds the file system's lock (inode reference
     * counts change only under it). Afterwards every access fails. */
    void close_locked();
    bool is_open() const { return inode_ != nullptr; }

    uint64_t sector_count() const override { return sectors_; }
    bool read_sectors(uint64_t lba, uint32_t count, uint8_t* out) override;
    bool write_sectors(uint64_t lba, uint32_t count, const uint8_t* data) override;

private:
    RefPtr<Inode> inode_;
    RefPtr<StorageAccount> payer_;
    uint64_t sectors_ = 0;
};
