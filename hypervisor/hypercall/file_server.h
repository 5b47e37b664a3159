/* The host side of the paravirtual file system (docs/hypercalls.md, "Files"): one
 * FileServer per VM serves the file hypercalls of abi/hypercall.h on a directory
 * of the host's VFS, the VM's root. Confinement comes from the VFS itself: paths
 * are resolved in a VfsContext whose root is that directory (".." stops there,
 * absolute paths start there) over a Vfs that mounts nothing, so no other file
 * system (the host's /dev, say) is reachable either; a directory handle that
 * anyone renamed out of the root resolves nothing (fs/path_resolver.h).
 *
 * The root is exported read-only except beneath one writable directory (or none):
 * a call that would change a name, a file's bytes or its size returns EROFS
 * unless the directory holding that name lies beneath the writable directory,
 * judged by inode at the time of the call, so that renames cannot smuggle a file
 * in or out. A handle open for writing writes while its file is still the one
 * under the name it was opened (or renamed to by this VM) in a directory beneath
 * the writable one; moved elsewhere by anyone else it must be opened again.
 * Handles index the VM's own descriptor table. No VMX here: guest memory comes as a GuestVirtualMemory, and
 * the caller holds the host's file system lock (the unit tests have none). */
#pragma once
#include "abi/hypercall.h"
#include "fs/file_descriptor_table.h"
#include "fs/vfs_syscall.h"
#include "hypervisor/hypercall/file_ring.h"
#include "hypervisor/hypercall/hypercall.h"

class FileServer final : public RingRequestServer {
public:
    /* Host bytes getdents fills per call. */
    static constexpr size_t TRANSFER_STEP = 64 * 1024;
    /* Pieces a read or write buffer can come in: one per page it touches at
     * most (a page never straddles two runs of guest RAM). */
    static constexpr size_t MAX_VECTORS = HYPERCALL_FILE_IO_MAX / 4096 + 1;

    /* Serves the directory `root` (of the file system it lies on), writable
     * beneath `writable` (a directory beneath `root`), or nowhere when it is null.
     * The files, directories and data pages the guest creates are charged to
     * `account` (the VM's quota; nullptr: unlimited, for tests). */
    FileServer(RefPtr<Inode> root, RefPtr<Inode> writable, RefPtr<StorageAccount> account = nullptr);
    ~FileServer();
    FileServer(const FileServer&) = delete;
    FileServer& operator=(const FileServer&) = delete;

    /* One file hypercall (registers.rax in HYPERCALL_FILE_FIRST..LAST): the value
     * for the guest's RAX, a negative errno on failure (-ENOSYS for other numbers). */
    uint64_t serve(const HypercallRegisters& registers, guest_paging::GuestVirtualMemory& memory) override;

    /* False when the host had no memory for the server's buffers (a VM start
     * reaches this: it is ENOMEM there, and the server must be deleted). */
    bool ready() const { return paths_ && vectors_; }
    int open_handle_count() const { return handles_.open_count(); }
    const RefPtr<Inode>& root() const { return root_; }
    const RefPtr<Inode>& writable() const { return writable_; }
    StorageAccount* account() const { return account_.get(); }
    /* The VM's request ring (file_ring_setup, file_ring_notify): goes with the server. */
    FileRing& ring() { return ring_; }
    /* FileServers in existence, for the leak tests: a VM's goes when the VM ends. */
    static size_t live_count();

private:
    /* Names the guest passes: copied once into these host buffers, then checked. */
    struct PathBuffer {
        char text[PATH_MAX];
    };

    Result<uint64_t> dispatch(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<const char*> copy_path(guest_paging::GuestVirtualMemory& memory, uint64_t address, PathBuffer& out);
    /* The context a path given relative to `at` resolves in. */
    Result<void> enter(uint64_t at, VfsContext& context);
    Result<int> handle_number(uint64_t value) const;
    /* The guest buffer of a read or write as host vectors in vectors_: how many. */
    Result<size_t> map_buffer(guest_paging::GuestVirtualMemory& memory, uint64_t buffer, uint64_t length,
                              guest_paging::AccessKind kind);
    Result<void> seek_to(VfsSyscall& sys, int handle, uint64_t offset);
    /* read (reading) or write: handle, buffer, length and offset from RBX..RSI. */
    Result<uint64_t> transfer(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory, bool reading);

    Result<uint64_t> open(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<uint64_t> read(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<uint64_t> write(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<uint64_t> getdents(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<uint64_t> stat(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<uint64_t> fstat(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    /* mkdir, rmdir, unlink, truncate: one path and a number. */
    Result<uint64_t> path_call(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<uint64_t> rename(const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory);
    Result<void> make_absolute(uint64_t at, PathBuffer& path);

    /* Where a handle open for writing was opened: the directory and the name in it. */
    struct WritableName {
        RefPtr<Inode> directory;
        char name[NAME_MAX + 1];
    };
    /* EROFS unless names in `directory` may change: it lies beneath writable_. */
    Result<void> check_writable(const RefPtr<Inode>& directory) const;
    /* The same for the directory holding `path`'s last component. */
    Result<ParentAndName> check_writable_parent(VfsContext& context, const char* path) const;
    /* EROFS when `handle` is open for writing but its file is no longer where it
     * was opened, or that place is no longer writable. */
    Result<void> check_still_writable(int handle) const;
    void remember_writable(int handle, const ParentAndName& location);
    void forget_writable(int handle)
    {
        if (names_)
            names_[handle].directory = nullptr;
    }

    /* Mounts nothing: the VM's view of the host is its root's file system alone. */
    Vfs view_;
    RefPtr<Inode> root_;
    RefPtr<Inode> writable_; /* null: the whole root is read-only */
    /* Set on every context that can create a file or write data (open, write,
     * mkdir): only those charge. */
    RefPtr<StorageAccount> account_;
    /* HYPERCALL_FILE_HANDLES_MAX, by handle; made at the first open for writing,
     * so a VM that never writes costs no more host memory than before. */
    WritableName* names_ = nullptr;
    FileDescriptorTable handles_;
    PathBuffer* paths_;   /* two for rename's names, one to join a name to its directory */
    uint8_t* transfer_ = nullptr; /* TRANSFER_STEP bytes for getdents, made at its first call */
    IoVector* vectors_;   /* MAX_VECTORS: the buffer of the read or write being served */
    FileRing ring_;
};
