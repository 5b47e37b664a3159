/* An open file: what open() creates and a file descriptor refers to (POSIX's
 * "open file description"). dup() makes a second descriptor for the same OpenFile,
 * so both share the offset and the flags; it is freed when the last one closes. */
#pragma once
#include "abi/fcntl.h"
#include "fs/inode.h"

class OpenFile : public RefCounted<OpenFile> {
public:
    OpenFile(RefPtr<Inode> inode, int flags) : inode_(inode), flags_(flags) {}

    const RefPtr<Inode>& inode() const { return inode_; }
    int flags() const { return flags_; }
    bool can_read() const { return (flags_ & O_ACCMODE) != O_WRONLY; }
    bool can_write() const { return (flags_ & O_ACCMODE) != O_RDONLY; }
    bool appends() const { return flags_ & O_APPEND; }

    /* The position of the next read or write; for a directory, getdents' cursor. */
    uint64_t offset() const { return offset_; }
    void set_offset(uint64_t offset) { offset_ = offset; }

private:
    RefPtr<Inode> inode_;
    int flags_;
    uint64_t offset_ = 0;
};
