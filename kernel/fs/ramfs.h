/* ramfs: a writable file system that lives only in kernel memory. It holds the
 * unpacked initrd at / and serves as the model file system for students. A file's
 * contents are the pages it has written, kept sparsely: a sorted list of leaves,
 * each one page that locates 255 consecutive data pages. A hole costs nothing and
 * reads as zeros, so a 1-byte write at 4 GiB costs two pages (a leaf and the data).
 * Data and leaf pages come from fs/file_pages.h (never the kernel's reserve, never
 * the heap) and are charged, like every inode, to the StorageAccount of whoever
 * made them. Every allocation can fail: file data with ENOSPC, names and inodes
 * with ENOMEM, and a failed operation leaves the tree as it was. */
#pragma once
#include "fs/file_pages.h"
#include "fs/file_system.h"
#include "fs/storage_account.h"

class RamInode;

class RamFs final : public FileSystem {
public:
    static constexpr size_t CHUNK_SIZE = file_pages::PAGE_BYTES;
    /* 4 GiB. Larger sizes fail with EFBIG; keeps page indices within 32 bits and
     * sizes far from overflow (docs/syscalls.md). */
    static constexpr uint64_t MAX_FILE_SIZE = uint64_t(1) << 32;

    RamFs();
    ~RamFs() override;

    const char* name() const override { return "ramfs"; }
    RefPtr<Inode> root() override;

    Result<RefPtr<Inode>> lookup(Inode& directory, StringView name) override;
    Result<RefPtr<Inode>> create(Inode& directory, StringView name, uint32_t mode, StorageAccount* account) override;
    Result<RefPtr<Inode>> mkdir(Inode& directory, StringView name, uint32_t mode, StorageAccount* account) override;
    Result<void> unlink(Inode& directory, StringView name) override;
    Result<void> rmdir(Inode& directory, StringView name) override;
    Result<void> rename(Inode& from_directory, StringView from_name, Inode& to_directory, StringView to_name) override;
    Result<size_t> read(Inode& file, uint64_t offset, void* buffer, size_t count) override;
    Result<size_t> write(Inode& file, uint64_t offset, const void* buffer, size_t count,
                         StorageAccount* account) override;
    Result<size_t> readv(Inode& file, uint64_t offset, const IoVector* vectors, size_t count) override;
    Result<size_t> writev(Inode& file, uint64_t offset, const IoVector* vectors, size_t count,
                          StorageAccount* account) override;
    Result<void> truncate(Inode& file, uint64_t size) override;
    Result<bool> readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry) override;
    Result<void> stat(Inode& inode, struct stat& out) override;

    /* Inodes alive (reachable or still referenced), and pages of file data held
     * (chunks, without the leaves): what the leak tests count. */
    size_t inode_count() const { return inode_count_; }
    size_t chunk_count() const { return chunk_count_; }

private:
    friend class RamInode;
    RamInode& own(Inode& inode);
    RamInode& own_directory(Inode& inode);
    Result<RefPtr<Inode>> add(Inode& directory, StringView name, InodeType type, uint32_t mode,
                              StorageAccount* account);

    uint64_t next_number_ = 1;
    size_t inode_count_ = 0;
    size_t chunk_count_ = 0;
    /* Last: the root inode's constructor uses the counters above. */
    RefPtr<RamInode> root_;
};
