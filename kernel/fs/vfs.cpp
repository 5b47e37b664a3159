/* The mount table: a small fixed array, looked up by file system and by covered
 * directory. Slot 0 is the root file system. */
#include "fs/vfs.h"

Result<void> Vfs::mount_root(FileSystem& fs)
{
    if (mounts_[0].fs)
        return Error(EBUSY);
    mounts_[0].fs = &fs;
    return {};
}

Result<void> Vfs::mount(const RefPtr<Inode>& mount_point, FileSystem& fs)
{
    if (!mounts_[0].fs)
        return Error(ENOENT);
    if (!mount_point->is_directory())
        return Error(ENOTDIR);
    if (find(fs) || is_mount_point(*mount_point))
        return Error(EBUSY);
    for (Mount& mount : mounts_) {
        if (!mount.fs) {
            mount.fs = &fs;
            mount.mount_point = mount_point;
            return {};
        }
    }
    return Error(ENOMEM);
}

Result<void> Vfs::unmount(FileSystem& fs)
{
    if (mounts_[0].fs == &fs)
        return Error(EBUSY);
    for (Mount& mount : mounts_) {
        if (mount.fs == &fs) {
            mount = Mount{};
            return {};
        }
    }
    return Error(EINVAL);
}

RefPtr<Inode> Vfs::root() const { return mounts_[0].fs ? mounts_[0].fs->root() : nullptr; }

RefPtr<Inode> Vfs::enter_mounts(const RefPtr<Inode>& inode) const
{
    RefPtr<Inode> current = inode;
    for (bool entered = true; entered;) {
        entered = false;
        for (const Mount& mount : mounts_) {
            if (mount.fs && mount.mount_point == current) {
                current = mount.fs->root();
                entered = true;
                break;
            }
        }
    }
    return current;
}

RefPtr<Inode> Vfs::mount_point_of(const FileSystem& fs) const
{
    const Mount* mount = find(fs);
    return mount ? mount->mount_point : nullptr;
}

bool Vfs::is_mount_point(const Inode& inode) const
{
    for (const Mount& mount : mounts_) {
        if (mount.fs && mount.mount_point.get() == &inode)
            return true;
    }
    return false;
}

uint64_t Vfs::device_number(const FileSystem& fs) const
{
    const Mount* mount = find(fs);
    return mount ? uint64_t(mount - mounts_) + 1 : 0;
}

const Vfs::Mount* Vfs::find(const FileSystem& fs) const
{
    for (const Mount& mount : mounts_) {
        if (mount.fs == &fs)
            return &mount;
    }
    return nullptr;
}
