/* A VM's root directory as its start resolves it: a directory of the host's
 * root file system, the path without "." and ".." for messages, and the
 * directory beneath it where the VM may change files. Part of vm_manager. */
#pragma once
#include "abi/vm.h"
#include "fs/inode.h"
#include "lib/failure.h"
#include "lib/ref_ptr.h"
#include "lib/result.h"

#include <stddef.h>

namespace vm_manager {

/* `path` without ".", ".." and repeated or trailing slashes, relative paths taken
 * from "/" (the kernel's working directory): what the user meant, for messages.
 * False when it does not fit in `size`. */
[[nodiscard]] bool canonical_path(const char* path, char* out, size_t size);

/* A reference to the VM's root directory while the VM starts. Inode reference
 * counts change only under the file system's lock, so it is dropped there. */
class RootDirectory {
public:
    RootDirectory() = default;
    RootDirectory(const RootDirectory&) = delete;
    RootDirectory& operator=(const RootDirectory&) = delete;
    ~RootDirectory();
    RefPtr<Inode> inode;
    /* Where beneath it the VM may change files; null for nowhere. */
    RefPtr<Inode> writable;
    /* What the VM may change, for the user ("writable /shared", "nothing writable: ..."). */
    char note[VM_ERROR_LENGTH - VM_PATH_LENGTH - 32] = {};
};

/* The VM's root: a directory of the host's root file system (another mount,
 * like the terminals of /dev, is not a place for a VM). `canonical` receives
 * the root as resolved. */
[[nodiscard]] Result<void> resolve_root(const char* root, const char* writable, RootDirectory& out, char* canonical,
                                        size_t canonical_size, Failure& why);

} // namespace vm_manager
