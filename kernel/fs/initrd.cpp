/* Unpacks a cpio archive into the VFS, entry by entry, with the same calls a user
 * program would make (mkdir, open, write, close). */
#include "fs/initrd.h"

#include "abi/fcntl.h"
#include "mm/memory_map.h"

namespace {

/* "./etc/motd", "/etc/motd" and "etc/motd" all mean /etc/motd; "." is the root. */
StringView relative_name(StringView name)
{
    for (;;) {
        if (name.starts_with("./"))
            name = name.substring(2);
        else if (name.starts_with("/"))
            name = name.substring(1);
        else
            break;
    }
    return name == "." ? StringView() : name;
}

/* "/" + name, NUL-terminated, on the heap (a path may be PATH_MAX long). */
class AbsolutePath {
public:
    explicit AbsolutePath(StringView name) : length_(name.length() + 1), text_(new char[name.length() + 2])
    {
        text_[0] = '/';
        __builtin_memcpy(text_ + 1, name.data(), name.length());
        text_[length_] = '\0';
    }
    AbsolutePath(const AbsolutePath&) = delete;
    AbsolutePath& operator=(const AbsolutePath&) = delete;
    ~AbsolutePath() { delete[] text_; }

    const char* c_str() const { return text_; }

    /* Makes every directory above the last component, like mkdir -p, by cutting
     * the path at each slash in turn. */
    Result<void> make_parents(VfsSyscall& vfs)
    {
        for (size_t i = 1; i < length_; ++i) {
            if (text_[i] != '/')
                continue;
            text_[i] = '\0';
            Result<void> made = vfs.mkdir(text_, 0755);
            text_[i] = '/';
            if (made.is_error() && made.error() != EEXIST)
                return made;
        }
        return {};
    }

private:
    size_t length_;
    char* text_;
};

/* A page of the file that is all zeros (a disk image is mostly such pages). */
bool all_zero(const uint8_t* bytes, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        if (bytes[i] != 0)
            return false;
    }
    return true;
}

Result<void> write_all(VfsSyscall& vfs, int fd, const uint8_t* bytes, size_t count)
{
    size_t written = 0;
    while (written < count) {
        Result<size_t> done = vfs.write(fd, bytes + written, count - written);
        if (done.is_error())
            return Error(done.error());
        if (done.value() == 0)
            return Error(EIO);
        written += done.value();
    }
    return {};
}

/* Writes the entry's data page by page, skipping pages of zeros: they stay holes
 * in the ramfs (they read as zeros and cost no memory), and the final ftruncate
 * gives the file its whole length when it ends in a hole. So a 128 MiB disk image
 * holding 2 MiB of data costs about 2 MiB of host memory, not 128. */
Result<void> write_pages(VfsSyscall& vfs, int fd, const CpioEntry& entry)
{
    const uint8_t* data = entry.data;
    for (size_t offset = 0; offset < entry.size; offset += PAGE_SIZE) {
        size_t count = entry.size - offset < PAGE_SIZE ? entry.size - offset : PAGE_SIZE;
        if (all_zero(data + offset, count))
            continue;
        TRY(vfs.lseek(fd, int64_t(offset), SEEK_SET));
        TRY(write_all(vfs, fd, data + offset, count));
    }
    return vfs.ftruncate(fd, entry.size);
}

Result<void> write_file(VfsSyscall& vfs, const char* path, const CpioEntry& entry)
{
    int fd = TRY(vfs.open(path, O_WRONLY | O_CREAT | O_TRUNC, entry.mode & 07777));
    Result<void> written = write_pages(vfs, fd, entry);
    Result<void> closed = vfs.close(fd);
    if (written.is_error())
        return written;
    return closed;
}

Result<void> unpack_entry(VfsSyscall& vfs, const CpioEntry& entry, InitrdReport& report)
{
    StringView name = relative_name(entry.name);
    if (name.empty())
        return {};
    if (!entry.is_directory() && !entry.is_regular()) {
        ++report.skipped;
        return {};
    }
    AbsolutePath path(name);
    TRY(path.make_parents(vfs));
    if (entry.is_directory()) {
        Result<void> made = vfs.mkdir(path.c_str(), entry.mode & 07777);
        if (made.is_error() && made.error() != EEXIST)
            return made;
        ++report.directories;
        return {};
    }
    TRY(write_file(vfs, path.c_str(), entry));
    ++report.files;
    report.bytes += entry.size;
    return {};
}

} // namespace

InitrdReport unpack_initrd(VfsSyscall& vfs, const void* archive, size_t size)
{
    InitrdReport report;
    CpioReader reader(archive, size);
    CpioEntry entry;
    CpioStatus status;
    while ((status = reader.next(entry)) == CpioStatus::ok) {
        Result<void> unpacked = unpack_entry(vfs, entry, report);
        if (unpacked.is_error()) {
            report.error = unpacked.error();
            return report;
        }
    }
    report.archive = status;
    return report;
}
