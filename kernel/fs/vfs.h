/* The virtual file system's mount table: which file system hangs where. A mount
 * covers a directory (the mount point) with the root of another file system;
 * path resolution (fs/path_resolver.h) enters it going down and leaves it going
 * up through "..". There is one Vfs in the kernel (kernel_vfs()); tests make their
 * own. */
#pragma once
#include "fs/file_system.h"

class Vfs {
public:
    static constexpr size_t MAX_MOUNTS = 16;

    /* The file system at "/": once, before anything else. */
    [[nodiscard]] Result<void> mount_root(FileSystem& fs);
    /* Covers the directory `mount_point` with `fs` (ENOTDIR; EBUSY when it is already
     * a mount point or `fs` is mounted; ENOMEM when the table is full). */
    [[nodiscard]] Result<void> mount(const RefPtr<Inode>& mount_point, FileSystem& fs);
    /* Removes the mount of `fs` (EINVAL when it is not mounted, EBUSY for the root).
     * FIXME: does not yet check that nothing on `fs` is still open or a cwd. */
    [[nodiscard]] Result<void> unmount(FileSystem& fs);

    /* The root of the root file system; null before mount_root. */
    RefPtr<Inode> root() const;
    /* The root of whatever is mounted on `inode` (repeatedly), or `inode` itself. */
    RefPtr<Inode> enter_mounts(const RefPtr<Inode>& inode) const;
    /* The directory `fs` is mounted on; null for the root file system and for a
     * file system that is not mounted. */
    RefPtr<Inode> mount_point_of(const FileSystem& fs) const;
    bool is_mount_point(const Inode& inode) const;
    /* st_dev of the files of `fs`: 1 for the root file system, 0 when not mounted. */
    uint64_t device_number(const FileSystem& fs) const;

private:
    struct Mount {
        FileSystem* fs = nullptr;
        RefPtr<Inode> mount_point; /* null for the root file system */
    };
    const Mount* find(const FileSystem& fs) const;

    Mount mounts_[MAX_MOUNTS];
};
