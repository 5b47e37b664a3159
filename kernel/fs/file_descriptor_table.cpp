/* The descriptor table: a fixed array searched from the bottom, so the lowest
 * free number is taken as POSIX requires (POSIX.1-2017, 2.14 "File Descriptor
 * Allocation"). */
#include "fs/file_descriptor_table.h"

Result<int> FileDescriptorTable::allocate(RefPtr<OpenFile> file, int lowest)
{
    if (!file)
        panic("FileDescriptorTable::allocate without a file");
    for (int fd = lowest < 0 ? 0 : lowest; fd < MAX_DESCRIPTORS; ++fd) {
        if (!files_[fd]) {
            files_[fd] = file;
            return fd;
        }
    }
    return Error(EMFILE);
}

Result<RefPtr<OpenFile>> FileDescriptorTable::get(int fd) const
{
    if (!valid(fd) || !files_[fd])
        return Error(EBADF);
    return files_[fd];
}

Result<void> FileDescriptorTable::close(int fd)
{
    if (!valid(fd) || !files_[fd])
        return Error(EBADF);
    files_[fd] = nullptr;
    return {};
}

Result<int> FileDescriptorTable::dup(int fd)
{
    RefPtr<OpenFile> file = TRY(get(fd));
    return allocate(file);
}

Result<int> FileDescriptorTable::dup2(int fd, int new_fd)
{
    RefPtr<OpenFile> file = TRY(get(fd));
    if (!valid(new_fd))
        return Error(EBADF);
    files_[new_fd] = file;
    return new_fd;
}

void FileDescriptorTable::copy_from(const FileDescriptorTable& other)
{
    for (int fd = 0; fd < MAX_DESCRIPTORS; ++fd)
        files_[fd] = other.files_[fd];
}

void FileDescriptorTable::close_all()
{
    for (RefPtr<OpenFile>& file : files_)
        file = nullptr;
}

int FileDescriptorTable::open_count() const
{
    int count = 0;
    for (const RefPtr<OpenFile>& file : files_)
        count += file ? 1 : 0;
    return count;
}
