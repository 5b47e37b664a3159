/* A process's file descriptors: small integers naming OpenFiles. New descriptors
 * take the lowest free number (POSIX open(), dup()); there are at most OPEN_MAX. */
#pragma once
#include "abi/limits.h"
#include "fs/open_file.h"
#include "lib/result.h"

class FileDescriptorTable {
public:
    static constexpr int MAX_DESCRIPTORS = OPEN_MAX;

    FileDescriptorTable() = default;
    FileDescriptorTable(const FileDescriptorTable&) = delete;
    FileDescriptorTable& operator=(const FileDescriptorTable&) = delete;

    /* The lowest free descriptor at or above `lowest` now refers to `file` (EMFILE). */
    [[nodiscard]] Result<int> allocate(RefPtr<OpenFile> file, int lowest = 0);
    /* The file `fd` refers to (EBADF). */
    [[nodiscard]] Result<RefPtr<OpenFile>> get(int fd) const;
    [[nodiscard]] Result<void> close(int fd);
    /* A new, lowest-numbered descriptor for the same OpenFile (EBADF, EMFILE). */
    [[nodiscard]] Result<int> dup(int fd);
    /* Makes `new_fd` refer to `fd`'s OpenFile, closing what it referred to (EBADF). */
    [[nodiscard]] Result<int> dup2(int fd, int new_fd);
    /* Every descriptor of `other` refers to the same OpenFile here too (fork). */
    void copy_from(const FileDescriptorTable& other);
    void close_all();
    int open_count() const;

private:
    static bool valid(int fd) { return fd >= 0 && fd < MAX_DESCRIPTORS; }

    RefPtr<OpenFile> files_[MAX_DESCRIPTORS];
};
