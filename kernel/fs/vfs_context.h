/* Where a process's paths start: its root ("/" and the ceiling of "..") and its
 * current directory. The hypervisor gives each VM a context whose root is a
 * directory of the host's file system; no path resolved in it can leave that
 * directory: ".." at the root stays at the root, and a cwd that was moved out of
 * it resolves nothing (fs/path_resolver.h). */
#pragma once
#include "fs/storage_account.h"
#include "fs/vfs.h"

class VfsContext {
public:
    /* The whole file system tree of `vfs`. */
    explicit VfsContext(Vfs& vfs) : VfsContext(vfs, vfs.root()) {}
    /* Confined to `root`, a directory (a mount point's mounted root, not the covered one). */
    VfsContext(Vfs& vfs, RefPtr<Inode> root) : vfs_(vfs), root_(root), cwd_(root)
    {
        if (!root_ || !root_->is_directory())
            panic("VfsContext needs a directory as its root");
    }

    Vfs& vfs() const { return vfs_; }
    const RefPtr<Inode>& root() const { return root_; }
    const RefPtr<Inode>& cwd() const { return cwd_; }
    /* Whether the root is less than the whole tree, so that a cwd can be outside it. */
    bool confined() const { return root_ != vfs_.root(); }
    void set_cwd(RefPtr<Inode> directory) { cwd_ = directory; }
    /* Who pays for the files and bytes created through this context (a VM's
     * account); nullptr for the host's own programs. */
    StorageAccount* account() const { return account_.get(); }
    void set_account(RefPtr<StorageAccount> account) { account_ = account; }

private:
    Vfs& vfs_;
    RefPtr<Inode> root_;
    RefPtr<Inode> cwd_;
    RefPtr<StorageAccount> account_;
};
