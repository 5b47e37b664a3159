/* hostfs: the paravirtual file system of a kernel running under the Matryoshka
 * hypervisor. Every operation of this FileSystem is a file hypercall
 * (abi/hypercall.h, docs/hypercalls.md) on a directory of the host's VFS, the
 * VM's root; no file data is kept in the guest. An inode holds a host handle,
 * opened when the inode is looked up and closed when the last reference goes, and
 * there is at most one inode per host file, so the VFS's identity checks (mount
 * points, a directory moved into itself) work as on any other file system.
 * Where the host exports its files read-only (everywhere but the VM's writable
 * directory) the handle is a read-only one, and writes answer EROFS. The one
 * cache is read-ahead (fs/read_ahead.h): a sequential reader's small reads come
 * from a window of the file fetched by one request, with the coherence model
 * written there. */
#pragma once
#include "fs/file_system.h"
#include "fs/read_ahead.h"

class HostInode;

class HypercallFs final : public FileSystem, private ReadAhead::Host {
public:
    /* Whether CPUID names the Matryoshka hypervisor and its FILES feature. */
    static bool available();
    /* Opens the VM's root; the host's errno when it refuses. */
    [[nodiscard]] static Result<HypercallFs*> connect();
    ~HypercallFs() override;

    const char* name() const override { return "hostfs"; }
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
    Result<void> truncate(Inode& file, uint64_t size) override;
    Result<bool> readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry) override;
    Result<void> stat(Inode& inode, struct stat& out) override;

    /* Inodes alive, each holding one host handle. */
    size_t inode_count() const { return inode_count_; }
    /* Host requests made to fill read-ahead windows, for the tests. */
    uint64_t read_ahead_fetches() const { return read_ahead_.fetches(); }

private:
    friend class HostInode;
    HypercallFs() = default;
    HostInode& own(Inode& inode);
    /* The inode of host file `number`, when one is alive. */
    RefPtr<Inode> find(uint64_t number);
    /* An inode for a freshly opened handle (or the living one, closing the handle);
     * `read_only` when the host refused the handle for writing. ENOMEM (and
     * `handle` closed) when there is no memory for a new inode. */
    [[nodiscard]] Result<RefPtr<Inode>> adopt(uint64_t handle, const struct stat& status, bool read_only = false);
    void forget(HostInode& inode);
    /* The status a lookup's batch brought, for a stat before the next notify. */
    static void remember_status(HostInode& inode, const struct stat& status);

    HostInode* inodes_ = nullptr; /* every living inode, linked through HostInode::next_ */
    size_t inode_count_ = 0;
    RefPtr<Inode> root_;
    /* ReadAhead::Host: windows are filled by read requests, from the kernel heap. */
    Result<size_t> fetch(const void* file, uint64_t offset, void* into, size_t length) override;
    uint8_t* allocate() override;
    void release(uint8_t* bytes) override;
    ReadAhead read_ahead_{*this};
};
