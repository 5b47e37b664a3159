/* A VM's root directory; see vm_root.h. */
#include "hypervisor/vm/vm_root.h"

#include "abi/errno.h"
#include "fs/kernel_vfs.h"
#include "fs/path_resolver.h"
#include "hypervisor/vm/vm_manager.h"
#include "lib/format.h"
#include "lib/string.h"

namespace vm_manager {

namespace {

/* The directory beneath `root` where the VM may change files; null when none is
 * asked for or the one asked for cannot be, and `note` says which. */
RefPtr<Inode> writable_directory(const char* writable, const RefPtr<Inode>& root, char* note, size_t note_size)
{
    if (!writable || strcmp(writable, NO_WRITABLE) == 0) {
        format_string(note, note_size, "nothing writable");
        return nullptr;
    }
    Result<RefPtr<Inode>> directory = resolve_path(kernel_vfs::context(), writable);
    if (directory.is_error()) {
        format_string(note, note_size, "nothing writable: %s: %s", writable, errno_name(directory.error()));
        return nullptr;
    }
    if (!directory.value()->is_directory() || &directory.value()->file_system() != &root->file_system() ||
        !is_beneath(kernel_vfs::vfs(), directory.value(), root)) {
        format_string(note, note_size, "nothing writable: %s is not a directory beneath the root", writable);
        return nullptr;
    }
    format_string(note, note_size, "writable %s", writable);
    return directory.release_value();
}

} // namespace

bool canonical_path(const char* path, char* out, size_t size)
{
    size_t length = 0;
    out[0] = '\0';
    while (*path) {
        while (*path == '/')
            ++path;
        const char* name = path;
        while (*path && *path != '/')
            ++path;
        size_t name_length = size_t(path - name);
        if (name_length == 0 || (name_length == 1 && name[0] == '.'))
            continue;
        if (name_length == 2 && name[0] == '.' && name[1] == '.') {
            while (length > 0 && out[length] != '/')
                --length;
            out[length] = '\0';
            continue;
        }
        if (length + 1 + name_length + 1 > size)
            return false;
        out[length++] = '/';
        memcpy(out + length, name, name_length);
        length += name_length;
        out[length] = '\0';
    }
    if (length == 0) {
        if (size < 2)
            return false;
        out[0] = '/';
        out[1] = '\0';
    }
    return true;
}

RootDirectory::~RootDirectory()
{
    MutexLocker locker(kernel_vfs::lock());
    inode = nullptr;
    writable = nullptr;
}

Result<void> resolve_root(const char* root, const char* writable, RootDirectory& out, char* canonical,
                          size_t canonical_size, Failure& why)
{
    if (!canonical_path(root, canonical, canonical_size))
        return why.set(ENAMETOOLONG, "VM root %s: the path is too long", root);
    MutexLocker locker(kernel_vfs::lock());
    Result<RefPtr<Inode>> directory = resolve_path(kernel_vfs::context(), root);
    if (directory.is_error())
        return why.set(EINVAL, "VM root %s: %s", root, errno_name(directory.error()));
    if (!directory.value()->is_directory())
        return why.set(EINVAL, "VM root %s is not a directory", root);
    if (&directory.value()->file_system() != &kernel_vfs::vfs().root()->file_system())
        return why.set(EINVAL, "VM root %s is not on the root file system", root);
    out.inode = directory.release_value();
    out.writable = writable_directory(writable, out.inode, out.note, sizeof(out.note));
    return {};
}

} // namespace vm_manager
