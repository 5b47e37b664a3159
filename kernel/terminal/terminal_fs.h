/* The file system mounted at /dev: one directory with a file per terminal
 * (/dev/tty1 .. /dev/tty3, /dev/ttyS0, /dev/log). Opening one gives a descriptor
 * whose reads and writes reach the terminal, so a shell's fds 0, 1 and 2 are
 * ordinary descriptors. Nothing can be created, removed or renamed here (EROFS).
 *
 * A read may sleep until something is typed; the syscall layer therefore asks
 * terminal_of() and does terminal I/O without the file system lock. The read()
 * and write() below are for kernel code that holds no such lock. */
#pragma once
#include "fs/file_system.h"
#include "terminal/terminal.h"

class TerminalFs final : public FileSystem {
public:
    static constexpr size_t MAX_TERMINALS = 8;

    TerminalFs();
    /* Lists `terminal` under its name; before anyone looks. */
    void add(Terminal& terminal);
    /* The terminal behind `inode`, or nullptr when it is no terminal of this file system. */
    Terminal* terminal_of(const Inode& inode) const;

    const char* name() const override { return "terminalfs"; }
    RefPtr<Inode> root() override { return root_; }
    Result<RefPtr<Inode>> lookup(Inode& directory, StringView name) override;
    Result<RefPtr<Inode>> create(Inode&, StringView, uint32_t, StorageAccount*) override { return Error(EROFS); }
    Result<RefPtr<Inode>> mkdir(Inode&, StringView, uint32_t, StorageAccount*) override { return Error(EROFS); }
    Result<void> unlink(Inode&, StringView) override { return Error(EROFS); }
    Result<void> rmdir(Inode&, StringView) override { return Error(EROFS); }
    Result<void> rename(Inode&, StringView, Inode&, StringView) override { return Error(EROFS); }
    Result<size_t> read(Inode& file, uint64_t offset, void* buffer, size_t count) override;
    Result<size_t> write(Inode& file, uint64_t offset, const void* buffer, size_t count, StorageAccount*) override;
    /* O_TRUNC on a terminal ("echo hi > /dev/tty2") does nothing. */
    Result<void> truncate(Inode&, uint64_t) override { return {}; }
    Result<bool> readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry) override;
    Result<void> stat(Inode& inode, struct stat& out) override;

private:
    static constexpr uint64_t ROOT_NUMBER = 1;

    RefPtr<Inode> root_;
    RefPtr<Inode> inodes_[MAX_TERMINALS];
    Terminal* terminals_[MAX_TERMINALS] = {};
    size_t count_ = 0;
};
