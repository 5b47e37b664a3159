/* A fresh VFS with a ramfs at / for the build machine's file system tests. */
#pragma once
#include "fs/ramfs.h"
#include "fs/vfs_syscall.h"
#include "unit_test.h"

#include <string>

struct VfsFixture {
    RamFs ramfs;
    Vfs vfs;
    VfsContext context;
    FileDescriptorTable files;
    VfsSyscall sys;

    VfsFixture() : context(mount_and_return(vfs, ramfs)), sys(context, files) {}

    static Vfs& mount_and_return(Vfs& vfs, RamFs& fs)
    {
        if (vfs.mount_root(fs).is_error())
            std::abort();
        return vfs;
    }

    /* Creates (or replaces) a file with `content`; aborts the test on failure. */
    void put(const char* path, const std::string& content)
    {
        Result<int> fd = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC);
        CHECK(!fd.is_error());
        if (fd.is_error())
            return;
        CHECK_EQ(sys.write(fd.value(), content.data(), content.size()).value(), content.size());
        CHECK(!sys.close(fd.value()).is_error());
    }

    /* The whole content of a file, or "<errno N>". */
    std::string get(const char* path)
    {
        Result<int> fd = sys.open(path, O_RDONLY);
        if (fd.is_error())
            return "<errno " + std::to_string(fd.error()) + ">";
        std::string content;
        char buffer[1000];
        for (;;) {
            Result<size_t> got = sys.read(fd.value(), buffer, sizeof(buffer));
            if (got.is_error() || got.value() == 0)
                break;
            content.append(buffer, got.value());
        }
        CHECK(!sys.close(fd.value()).is_error());
        return content;
    }

    std::string cwd()
    {
        char buffer[PATH_MAX];
        Result<size_t> length = sys.getcwd(buffer, sizeof(buffer));
        return length.is_error() ? "<errno " + std::to_string(length.error()) + ">" : std::string(buffer);
    }

    /* The names getdents reports, in order, space-separated. */
    std::string list(const char* path)
    {
        Result<int> fd = sys.open(path, O_RDONLY | O_DIRECTORY);
        if (fd.is_error())
            return "<errno " + std::to_string(fd.error()) + ">";
        std::string names;
        alignas(8) char buffer[256];
        for (;;) {
            Result<size_t> used = sys.getdents(fd.value(), buffer, sizeof(buffer));
            if (used.is_error() || used.value() == 0)
                break;
            for (size_t at = 0; at < used.value();) {
                auto* record = reinterpret_cast<struct dirent*>(buffer + at);
                names += (names.empty() ? "" : " ") + std::string(record->d_name);
                at += record->d_reclen;
            }
        }
        CHECK(!sys.close(fd.value()).is_error());
        return names;
    }
};
