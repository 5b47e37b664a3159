/* The interface every file system implements (SWEB's superblock): the VFS resolves
 * paths, checks flags and keeps descriptors; a FileSystem only works on its own
 * inodes, one directory and one name at a time. Names passed in are single
 * components (no '/'), 1..NAME_MAX characters, never "." or "..", except that
 * lookup() takes ".." to mean the parent. Errors are errno values. */
#pragma once
#include "abi/limits.h"
#include "abi/stat.h"
#include "fs/inode.h"
#include "fs/io_vector.h"
#include "fs/storage_account.h"
#include "lib/result.h"
#include "lib/string_view.h"

/* One name of a directory, as readdir() reports it. */
struct DirectoryEntry {
    char name[NAME_MAX + 1];
    uint64_t inode_number;
    InodeType type;
    /* The cookie that continues after this entry. */
    uint64_t next_cookie;
};

class FileSystem {
public:
    virtual ~FileSystem() = default;

    virtual const char* name() const = 0;
    virtual RefPtr<Inode> root() = 0;

    /* The inode `name` names in `directory`; ".." is the parent (the root's parent
     * is the root itself: crossing into the mounting file system is the VFS's job). */
    virtual Result<RefPtr<Inode>> lookup(Inode& directory, StringView name) = 0;
    /* A new empty regular file; EEXIST when the name is taken. `account` pays for
     * the new inode (and, in write(), for the data), nullptr for the host's own
     * programs (fs/storage_account.h); a file system that stores nothing of its
     * own ignores it. */
    virtual Result<RefPtr<Inode>> create(Inode& directory, StringView name, uint32_t mode,
                                         StorageAccount* account) = 0;
    virtual Result<RefPtr<Inode>> mkdir(Inode& directory, StringView name, uint32_t mode,
                                        StorageAccount* account) = 0;
    /* Removes a name of a non-directory (EISDIR for a directory). */
    virtual Result<void> unlink(Inode& directory, StringView name) = 0;
    /* Removes an empty directory (ENOTDIR, ENOTEMPTY). */
    virtual Result<void> rmdir(Inode& directory, StringView name) = 0;
    /* Moves a name, replacing an existing target of a compatible type (EISDIR,
     * ENOTDIR, ENOTEMPTY). The VFS has already refused moving a directory into
     * itself and crossing file systems. */
    virtual Result<void> rename(Inode& from_directory, StringView from_name, Inode& to_directory, StringView to_name) = 0;

    /* Reads up to `count` bytes at `offset`; fewer at the end of the file, 0 past it. */
    virtual Result<size_t> read(Inode& file, uint64_t offset, void* buffer, size_t count) = 0;
    /* Writes `count` bytes at `offset`, growing the file; a gap reads as zeros.
     * Fewer when space runs out after some bytes (ENOSPC when none fit). */
    virtual Result<size_t> write(Inode& file, uint64_t offset, const void* buffer, size_t count,
                                 StorageAccount* account) = 0;
    virtual Result<void> truncate(Inode& file, uint64_t size) = 0;
    /* read() and write() over a scattered buffer, the vectors filled (or drained)
     * in order: the bytes go straight between the file and the vectors' memory.
     * A file system that keeps its data in memory copies each byte once; this
     * default calls read() or write() once per vector. An error after some bytes
     * moved returns those bytes. */
    virtual Result<size_t> readv(Inode& file, uint64_t offset, const IoVector* vectors, size_t count);
    virtual Result<size_t> writev(Inode& file, uint64_t offset, const IoVector* vectors, size_t count,
                                  StorageAccount* account);

    /* The first entry at or after `cookie` (start with 0) into `entry`; false when
     * there is none. "." and ".." are not reported (the VFS adds them). Entries
     * added or removed meanwhile do not make others be skipped or repeated. */
    virtual Result<bool> readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry) = 0;
    /* Fills everything but st_dev (the VFS knows the mount). */
    virtual Result<void> stat(Inode& inode, struct stat& out) = 0;
};
