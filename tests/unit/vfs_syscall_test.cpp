/* kernel/fs/vfs_syscall.cpp: the calls as the syscall layer makes them, with the
 * errno each misuse must give. */
#include "vfs_fixture.h"

UNIT_TEST(vfs_open_create_write_read_round_trip)
{
    VfsFixture f;
    f.put("/hello", "hello, world");
    CHECK_EQ(f.get("/hello"), std::string("hello, world"));
    struct stat status;
    CHECK(!f.sys.stat("/hello", status).is_error());
    CHECK_EQ(status.st_size, uint64_t(12));
    CHECK(S_ISREG(status.st_mode));
    CHECK_EQ(status.st_dev, uint64_t(1));
}

UNIT_TEST(vfs_open_flag_semantics)
{
    VfsFixture f;
    CHECK_EQ(f.sys.open("/missing", O_RDONLY).error(), ENOENT);
    int fd = f.sys.open("/new", O_RDWR | O_CREAT | O_EXCL).value();
    CHECK_EQ(fd, 0);
    CHECK_EQ(f.sys.open("/new", O_RDWR | O_CREAT | O_EXCL).error(), EEXIST);
    CHECK(!f.sys.write(fd, "abcdef", 6).is_error());
    CHECK(!f.sys.close(fd).is_error());
    /* O_CREAT without O_EXCL opens the existing file, keeping its contents. */
    CHECK(!f.sys.close(f.sys.open("/new", O_WRONLY | O_CREAT).value()).is_error());
    CHECK_EQ(f.get("/new"), std::string("abcdef"));
    /* O_TRUNC empties it, but not when opened read-only. */
    CHECK(!f.sys.close(f.sys.open("/new", O_RDONLY | O_TRUNC).value()).is_error());
    CHECK_EQ(f.get("/new"), std::string("abcdef"));
    CHECK(!f.sys.close(f.sys.open("/new", O_WRONLY | O_TRUNC).value()).is_error());
    CHECK_EQ(f.get("/new"), std::string(""));
    CHECK_EQ(f.sys.open("/new", O_RDONLY | O_DIRECTORY).error(), ENOTDIR);
    CHECK_EQ(f.sys.open("/new/", O_RDONLY).error(), ENOTDIR);
    CHECK_EQ(f.sys.open("/newdir/", O_WRONLY | O_CREAT).error(), EISDIR);
    CHECK_EQ(f.sys.open("/", O_WRONLY).error(), EISDIR);
    CHECK_EQ(f.sys.open("/new", 3).error(), EINVAL);
    CHECK_EQ(f.sys.open("/x", O_CREAT | O_DIRECTORY).error(), EINVAL);
    CHECK_EQ(f.sys.open("/missing/x", O_WRONLY | O_CREAT).error(), ENOENT);
    CHECK_EQ(f.files.open_count(), 0);
}

UNIT_TEST(vfs_access_mode_is_checked_on_read_and_write)
{
    VfsFixture f;
    f.put("/file", "data");
    int reader = f.sys.open("/file", O_RDONLY).value();
    int writer = f.sys.open("/file", O_WRONLY).value();
    char buffer[4];
    CHECK_EQ(f.sys.write(reader, "x", 1).error(), EBADF);
    CHECK_EQ(f.sys.read(writer, buffer, 4).error(), EBADF);
    CHECK_EQ(f.sys.ftruncate(reader, 0).error(), EBADF);
    CHECK_EQ(f.sys.read(42, buffer, 4).error(), EBADF);
    int directory = f.sys.open("/", O_RDONLY).value();
    CHECK_EQ(f.sys.read(directory, buffer, 4).error(), EISDIR);
    CHECK_EQ(f.sys.close(99).error(), EBADF);
}

UNIT_TEST(vfs_append_writes_at_the_end)
{
    VfsFixture f;
    f.put("/log", "one ");
    int fd = f.sys.open("/log", O_WRONLY | O_APPEND).value();
    CHECK(!f.sys.write(fd, "two ", 4).is_error());
    CHECK(!f.sys.lseek(fd, 0, SEEK_SET).is_error());
    CHECK(!f.sys.write(fd, "three", 5).is_error());
    CHECK(!f.sys.close(fd).is_error());
    CHECK_EQ(f.get("/log"), std::string("one two three"));
}

UNIT_TEST(vfs_lseek_origins_and_negative_results)
{
    VfsFixture f;
    f.put("/f", "0123456789");
    int fd = f.sys.open("/f", O_RDWR).value();
    CHECK_EQ(f.sys.lseek(fd, 3, SEEK_SET).value(), uint64_t(3));
    CHECK_EQ(f.sys.lseek(fd, 2, SEEK_CUR).value(), uint64_t(5));
    char c;
    CHECK_EQ(f.sys.read(fd, &c, 1).value(), size_t(1));
    CHECK_EQ(c, '5');
    CHECK_EQ(f.sys.lseek(fd, -1, SEEK_END).value(), uint64_t(9));
    CHECK_EQ(f.sys.lseek(fd, -11, SEEK_END).error(), EINVAL);
    CHECK_EQ(f.sys.lseek(fd, -1, SEEK_SET).error(), EINVAL);
    CHECK_EQ(f.sys.lseek(fd, 0, 7).error(), EINVAL);
    CHECK_EQ(f.sys.lseek(fd, 0, SEEK_CUR).value(), uint64_t(9)); /* failures leave it */
    /* Seeking past the end and writing leaves a hole of zeros. */
    CHECK_EQ(f.sys.lseek(fd, 12, SEEK_SET).value(), uint64_t(12));
    CHECK(!f.sys.write(fd, "!", 1).is_error());
    CHECK(!f.sys.close(fd).is_error());
    CHECK_EQ(f.get("/f"), std::string("0123456789\0\0!", 13));
}

UNIT_TEST(vfs_dup_shares_the_offset)
{
    VfsFixture f;
    f.put("/f", "abcdef");
    int fd = f.sys.open("/f", O_RDONLY).value();
    int copy = f.sys.dup(fd).value();
    CHECK_EQ(copy, fd + 1);
    char buffer[3];
    CHECK_EQ(f.sys.read(fd, buffer, 3).value(), size_t(3));
    CHECK_EQ(f.sys.read(copy, buffer, 3).value(), size_t(3));
    CHECK_EQ(std::string(buffer, 3), std::string("def"));
    CHECK(!f.sys.close(fd).is_error());
    CHECK_EQ(f.sys.lseek(copy, 0, SEEK_CUR).value(), uint64_t(6));
}

UNIT_TEST(vfs_mkdir_rmdir_errors)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/d").is_error());
    CHECK(!f.sys.mkdir("/d/e/").is_error());
    CHECK_EQ(f.sys.mkdir("/d").error(), EEXIST);
    CHECK_EQ(f.sys.mkdir("/").error(), EEXIST);
    CHECK_EQ(f.sys.mkdir("/d/.").error(), EEXIST);
    CHECK_EQ(f.sys.rmdir("/d").error(), ENOTEMPTY);
    CHECK_EQ(f.sys.rmdir("/").error(), EBUSY);
    CHECK_EQ(f.sys.rmdir("/d/e/.").error(), EINVAL);
    CHECK_EQ(f.sys.rmdir("/d/e/..").error(), ENOTEMPTY);
    f.put("/file", "");
    CHECK_EQ(f.sys.rmdir("/file").error(), ENOTDIR);
    CHECK_EQ(f.sys.rmdir("/none").error(), ENOENT);
    CHECK(!f.sys.rmdir("/d/e").is_error());
    CHECK(!f.sys.rmdir("/d/").is_error());
    CHECK_EQ(f.list("/"), std::string(". .. file"));
}

UNIT_TEST(vfs_rmdir_refuses_a_mount_point)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/mnt").is_error());
    RamFs second;
    RefPtr<Inode> mount_point = resolve_path(f.context, "/mnt").value();
    CHECK(!f.vfs.mount(mount_point, second).is_error());
    CHECK_EQ(f.sys.rmdir("/mnt").error(), EBUSY);
    CHECK_EQ(f.sys.rename("/mnt", "/other").error(), EBUSY);
    f.put("/mnt/x", "on second");
    CHECK_EQ(f.sys.rename("/mnt/x", "/x").error(), EXDEV);
    CHECK(!f.vfs.unmount(second).is_error());
}

UNIT_TEST(vfs_unlink_semantics)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/d").is_error());
    f.put("/d/f", "x");
    CHECK_EQ(f.sys.unlink("/d").error(), EISDIR);
    CHECK_EQ(f.sys.unlink("/").error(), EISDIR);
    CHECK_EQ(f.sys.unlink("/d/f/").error(), ENOTDIR);
    CHECK_EQ(f.sys.unlink("/d/none").error(), ENOENT);
    /* An open file stays readable after its name is gone. */
    int fd = f.sys.open("/d/f", O_RDONLY).value();
    CHECK(!f.sys.unlink("/d/f").is_error());
    CHECK_EQ(f.sys.open("/d/f", O_RDONLY).error(), ENOENT);
    char c = 0;
    CHECK_EQ(f.sys.read(fd, &c, 1).value(), size_t(1));
    CHECK_EQ(c, 'x');
    struct stat status;
    CHECK(!f.sys.fstat(fd, status).is_error());
    CHECK_EQ(status.st_nlink, 0u);
    CHECK(!f.sys.close(fd).is_error());
    CHECK_EQ(f.ramfs.inode_count(), size_t(2));
}

UNIT_TEST(vfs_rename_moves_replaces_and_refuses_cycles)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/a").is_error());
    CHECK(!f.sys.mkdir("/a/b").is_error());
    CHECK(!f.sys.mkdir("/c").is_error());
    f.put("/a/one", "1");
    f.put("/a/two", "2");
    /* Within a directory, over an existing file, into another directory. */
    CHECK(!f.sys.rename("/a/one", "/a/uno").is_error());
    CHECK(!f.sys.rename("/a/uno", "/a/two").is_error());
    CHECK_EQ(f.get("/a/two"), std::string("1"));
    CHECK_EQ(f.get("/a/uno"), std::string("<errno 2>"));
    CHECK(!f.sys.rename("/a/two", "/c/two").is_error());
    CHECK_EQ(f.get("/c/two"), std::string("1"));
    /* Directories: into itself or below is EINVAL; over a non-empty one ENOTEMPTY. */
    CHECK_EQ(f.sys.rename("/a", "/a/b/a").error(), EINVAL);
    CHECK_EQ(f.sys.rename("/a", "/a/x").error(), EINVAL);
    CHECK_EQ(f.sys.rename("/a", "/c").error(), ENOTEMPTY);
    CHECK_EQ(f.sys.rename("/a", "/c/two").error(), ENOTDIR);
    CHECK_EQ(f.sys.rename("/c/two", "/a").error(), EISDIR);
    CHECK_EQ(f.sys.rename("/none", "/x").error(), ENOENT);
    CHECK_EQ(f.sys.rename("/c/two", "/none/x").error(), ENOENT);
    CHECK_EQ(f.sys.rename("/", "/x").error(), EBUSY);
    CHECK_EQ(f.sys.rename("/a/.", "/x").error(), EBUSY);
    CHECK_EQ(f.sys.rename("/c/two/", "/x").error(), ENOTDIR);
    /* A directory moves with its contents; over an empty directory is fine. */
    CHECK(!f.sys.mkdir("/empty").is_error());
    CHECK(!f.sys.rename("/a", "/empty").is_error());
    CHECK_EQ(f.list("/empty"), std::string(". .. b"));
    CHECK(!f.sys.rename("/empty/b", "/c/b").is_error());
    CHECK(!f.sys.chdir("/c/b").is_error());
    CHECK_EQ(f.cwd(), std::string("/c/b"));
    /* Renaming a file onto itself (same name) changes nothing. */
    CHECK(!f.sys.rename("/c/two", "/c/two").is_error());
    CHECK_EQ(f.get("/c/two"), std::string("1"));
}

UNIT_TEST(vfs_getdents_lists_and_resumes_by_offset)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/d").is_error());
    for (int i = 0; i < 30; ++i)
        f.put(("/d/file_with_a_long_name_" + std::to_string(i)).c_str(), "");
    CHECK(!f.sys.mkdir("/d/sub").is_error());
    /* f.list uses a 256-byte buffer: several calls, each resuming at the offset. */
    std::string names = f.list("/d");
    CHECK(names.starts_with(". .. file_with_a_long_name_0 file_with_a_long_name_1 "));
    CHECK(names.ends_with("file_with_a_long_name_29 sub"));

    int fd = f.sys.open("/d", O_RDONLY | O_DIRECTORY).value();
    alignas(8) char buffer[64];
    CHECK_EQ(f.sys.getdents(fd, buffer, 20).error(), EINVAL);
    size_t used = f.sys.getdents(fd, buffer, sizeof(buffer)).value();
    auto* first = reinterpret_cast<struct dirent*>(buffer);
    CHECK_EQ(std::string(first->d_name), std::string("."));
    CHECK_EQ(int(first->d_type), DT_DIR);
    CHECK_EQ(first->d_reclen % 8, 0);
    auto* second = reinterpret_cast<struct dirent*>(buffer + first->d_reclen);
    CHECK_EQ(std::string(second->d_name), std::string(".."));
    CHECK_EQ(used, size_t(first->d_reclen + second->d_reclen));
    /* lseek to a record's d_off resumes right after it. */
    CHECK(!f.sys.lseek(fd, int64_t(first->d_off), SEEK_SET).is_error());
    used = f.sys.getdents(fd, buffer, sizeof(buffer)).value();
    CHECK_EQ(std::string(first->d_name), std::string(".."));
    CHECK(!f.sys.close(fd).is_error());
    int file = f.sys.open("/d/sub/..//file_with_a_long_name_3", O_RDONLY).value();
    CHECK_EQ(f.sys.getdents(file, buffer, sizeof(buffer)).error(), ENOTDIR);
}

UNIT_TEST(vfs_getdents_types_and_inode_numbers)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/sub").is_error());
    f.put("/file", "x");
    int fd = f.sys.open("/", O_RDONLY).value();
    alignas(8) char buffer[256];
    size_t used = f.sys.getdents(fd, buffer, sizeof(buffer)).value();
    struct stat sub, file;
    CHECK(!f.sys.stat("/sub", sub).is_error());
    CHECK(!f.sys.stat("/file", file).is_error());
    int seen = 0;
    for (size_t at = 0; at < used;) {
        auto* record = reinterpret_cast<struct dirent*>(buffer + at);
        if (std::string(record->d_name) == "sub") {
            CHECK_EQ(record->d_ino, sub.st_ino);
            CHECK_EQ(int(record->d_type), DT_DIR);
            ++seen;
        }
        if (std::string(record->d_name) == "file") {
            CHECK_EQ(record->d_ino, file.st_ino);
            CHECK_EQ(int(record->d_type), DT_REG);
            ++seen;
        }
        at += record->d_reclen;
    }
    CHECK_EQ(seen, 2);
    CHECK_EQ(f.sys.getdents(fd, buffer, sizeof(buffer)).value(), size_t(0));
}

UNIT_TEST(vfs_chdir_and_getcwd)
{
    VfsFixture f;
    CHECK_EQ(f.cwd(), std::string("/"));
    CHECK(!f.sys.mkdir("/usr").is_error());
    CHECK(!f.sys.mkdir("/usr/local").is_error());
    CHECK(!f.sys.chdir("usr//local/").is_error());
    CHECK_EQ(f.cwd(), std::string("/usr/local"));
    f.put("here", "relative");
    CHECK_EQ(f.get("/usr/local/here"), std::string("relative"));
    CHECK(!f.sys.chdir("..").is_error());
    CHECK_EQ(f.cwd(), std::string("/usr"));
    CHECK_EQ(f.sys.chdir("local/here").error(), ENOTDIR);
    CHECK_EQ(f.sys.chdir("nothing").error(), ENOENT);
    CHECK(!f.sys.chdir("local").is_error());

    char small[10];
    CHECK_EQ(f.sys.getcwd(small, sizeof(small)).error(), ERANGE); /* "/usr/local" needs 11 with its NUL */
    char exact[11];
    CHECK_EQ(f.sys.getcwd(exact, sizeof(exact)).value(), size_t(11));
    CHECK_EQ(std::string(exact), std::string("/usr/local"));
    char one[1];
    CHECK(!f.sys.chdir("/").is_error());
    CHECK_EQ(f.sys.getcwd(one, 1).error(), ERANGE);
    char two[2];
    CHECK_EQ(f.sys.getcwd(two, 2).value(), size_t(2));
}

UNIT_TEST(vfs_cwd_removed_underneath)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/gone").is_error());
    CHECK(!f.sys.chdir("/gone").is_error());
    CHECK(!f.sys.rmdir("/gone").is_error());
    CHECK_EQ(f.cwd(), std::string("<errno 2>"));
    CHECK_EQ(f.sys.open("new", O_WRONLY | O_CREAT).error(), ENOENT);
    CHECK_EQ(f.sys.mkdir("sub").error(), ENOENT);
    CHECK(!f.sys.chdir("/").is_error());
}

UNIT_TEST(vfs_many_files_created_and_removed_leave_nothing_behind)
{
    VfsFixture f;
    CHECK(!f.sys.mkdir("/tmp").is_error());
    std::string block(5000, 'b');
    for (int i = 0; i < 200; ++i)
        f.put(("/tmp/f" + std::to_string(i)).c_str(), block);
    CHECK_EQ(f.ramfs.chunk_count(), size_t(400));
    for (int i = 0; i < 200; ++i)
        CHECK(!f.sys.unlink(("/tmp/f" + std::to_string(i)).c_str()).is_error());
    CHECK(!f.sys.rmdir("/tmp").is_error());
    CHECK_EQ(f.ramfs.inode_count(), size_t(1));
    CHECK_EQ(f.ramfs.chunk_count(), size_t(0));
}
