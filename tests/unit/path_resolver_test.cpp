/* kernel/fs/path_resolver.cpp: absolute and relative paths, ".", "..", slashes,
 * limits, mounts and a confined root. */
#include "fs/path_resolver.h"
#include "vfs_fixture.h"

namespace {

/* The inode number a path resolves to, or -errno. */
int64_t resolve(VfsFixture& f, const char* path)
{
    Result<RefPtr<Inode>> inode = resolve_path(f.context, path);
    return inode.is_error() ? -int64_t(inode.error()) : int64_t(inode.value()->number());
}

int64_t number_of(VfsFixture& f, const char* path)
{
    struct stat status;
    return f.sys.stat(path, status).is_error() ? -1 : int64_t(status.st_ino);
}

/* /a/b/c (directories) and /a/file. */
void make_tree(VfsFixture& f)
{
    CHECK(!f.sys.mkdir("/a").is_error());
    CHECK(!f.sys.mkdir("/a/b").is_error());
    CHECK(!f.sys.mkdir("/a/b/c").is_error());
    f.put("/a/file", "x");
}

} // namespace

UNIT_TEST(path_absolute_and_relative_reach_the_same_inode)
{
    VfsFixture f;
    make_tree(f);
    int64_t c = resolve(f, "/a/b/c");
    CHECK(c > 0);
    CHECK(!f.sys.chdir("/a").is_error());
    CHECK_EQ(resolve(f, "b/c"), c);
    CHECK_EQ(resolve(f, "./b/./c/."), c);
    CHECK_EQ(resolve(f, "/a/b/c"), c);
}

UNIT_TEST(path_dot_dot_goes_up_but_never_above_the_root)
{
    VfsFixture f;
    make_tree(f);
    int64_t root = resolve(f, "/");
    CHECK_EQ(resolve(f, "/a/b/c/../.."), resolve(f, "/a"));
    CHECK_EQ(resolve(f, "/.."), root);
    CHECK_EQ(resolve(f, "/../../.."), root);
    CHECK_EQ(resolve(f, "/../a/../../a/b"), resolve(f, "/a/b"));
    CHECK(!f.sys.chdir("/a/b").is_error());
    CHECK_EQ(resolve(f, "../../../../.."), root);
}

UNIT_TEST(path_repeated_and_trailing_slashes)
{
    VfsFixture f;
    make_tree(f);
    int64_t c = resolve(f, "/a/b/c");
    CHECK_EQ(resolve(f, "//a///b////c"), c);
    CHECK_EQ(resolve(f, "/a/b/c/"), c);
    CHECK_EQ(resolve(f, "/a/b/c//"), c);
    CHECK_EQ(resolve(f, "///"), resolve(f, "/"));
    CHECK_EQ(resolve(f, "/a/file"), number_of(f, "/a/file"));
    CHECK_EQ(resolve(f, "/a/file/"), -int64_t(ENOTDIR));
    CHECK_EQ(resolve(f, "/a/file/."), -int64_t(ENOTDIR));
}

UNIT_TEST(path_errors_for_missing_and_non_directory_components)
{
    VfsFixture f;
    make_tree(f);
    CHECK_EQ(resolve(f, ""), -int64_t(ENOENT));
    CHECK_EQ(resolve(f, "/nothing"), -int64_t(ENOENT));
    CHECK_EQ(resolve(f, "/nothing/b"), -int64_t(ENOENT));
    CHECK_EQ(resolve(f, "/a/file/b"), -int64_t(ENOTDIR));
    CHECK_EQ(resolve(f, "/a/file/.."), -int64_t(ENOTDIR));
    CHECK_EQ(resolve(f, nullptr), -int64_t(EFAULT));
}

UNIT_TEST(path_name_and_path_length_limits)
{
    VfsFixture f;
    std::string longest_name(NAME_MAX, 'n');
    std::string too_long_name(NAME_MAX + 1, 'n');
    CHECK(!f.sys.mkdir(("/" + longest_name).c_str()).is_error());
    CHECK(resolve(f, ("/" + longest_name).c_str()) > 0);
    CHECK_EQ(f.sys.mkdir(("/" + too_long_name).c_str()).error(), ENAMETOOLONG);
    CHECK_EQ(resolve(f, ("/" + too_long_name).c_str()), -int64_t(ENAMETOOLONG));
    CHECK_EQ(resolve(f, ("/" + too_long_name + "/x").c_str()), -int64_t(ENAMETOOLONG));

    /* PATH_MAX counts the NUL: 4095 characters are fine, 4096 are too long. */
    std::string just_fits = "/";
    while (just_fits.size() + 2 <= PATH_MAX - 1)
        just_fits += "./";
    just_fits.resize(PATH_MAX - 1, '/');
    CHECK_EQ(just_fits.size(), size_t(PATH_MAX - 1));
    CHECK_EQ(resolve(f, just_fits.c_str()), resolve(f, "/"));
    CHECK_EQ(resolve(f, (just_fits + "/").c_str()), -int64_t(ENAMETOOLONG));
}

UNIT_TEST(path_resolve_parent_splits_off_the_last_name)
{
    VfsFixture f;
    make_tree(f);
    Result<ParentAndName> parent = resolve_parent(f.context, "/a/b//new/");
    CHECK(!parent.is_error());
    CHECK(parent.value().name == "new");
    CHECK(parent.value().trailing_slash);
    CHECK_EQ(int64_t(parent.value().directory->number()), resolve(f, "/a/b"));
    Result<ParentAndName> root = resolve_parent(f.context, "//");
    CHECK(root.value().name.empty());
    CHECK_EQ(resolve_parent(f.context, "/missing/new").error(), ENOENT);
    CHECK_EQ(resolve_parent(f.context, "/a/file/new").error(), ENOTDIR);
}

UNIT_TEST(path_crosses_mounts_down_and_up)
{
    VfsFixture f;
    make_tree(f);
    RamFs second;
    RefPtr<Inode> mount_point = resolve_path(f.context, "/a/b").value();
    CHECK(!f.vfs.mount(mount_point, second).is_error());
    CHECK_EQ(f.vfs.mount(mount_point, second).error(), EBUSY);
    /* /a/b now shows the second file system's (empty) root. */
    CHECK_EQ(resolve(f, "/a/b/c"), -int64_t(ENOENT));
    f.put("/a/b/on_second", "2");
    CHECK_EQ(f.get("/a/b/on_second"), std::string("2"));
    CHECK_EQ(resolve(f, "/a/b/.."), resolve(f, "/a"));
    CHECK_EQ(resolve(f, "/a/b/../file"), resolve(f, "/a/file"));
    struct stat status;
    CHECK(!f.sys.stat("/a/b/on_second", status).is_error());
    CHECK_EQ(status.st_dev, uint64_t(2));
    CHECK(!f.sys.chdir("/a/b").is_error());
    CHECK_EQ(f.cwd(), std::string("/a/b"));
    CHECK(!f.sys.chdir("/").is_error());
    CHECK(!f.vfs.unmount(second).is_error());
    CHECK(resolve(f, "/a/b/c") > 0);
}

UNIT_TEST(path_confined_context_cannot_escape_its_root)
{
    VfsFixture f;
    make_tree(f);
    f.put("/secret", "host only");
    f.put("/a/b/visible", "guest file");
    VfsContext guest(f.vfs, resolve_path(f.context, "/a/b").value());
    FileDescriptorTable guest_files;
    VfsSyscall guest_sys(guest, guest_files);
    CHECK_EQ(resolve_path(guest, "/../../secret").error(), ENOENT);
    CHECK_EQ(resolve_path(guest, "../secret").error(), ENOENT);
    CHECK_EQ(resolve_path(guest, "/c/../../../..").value()->number(), uint64_t(resolve(f, "/a/b")));
    CHECK(!resolve_path(guest, "/visible").is_error());
    CHECK(!guest_sys.chdir("/c").is_error());
    char buffer[64];
    CHECK_EQ(guest_sys.getcwd(buffer, sizeof(buffer)).value(), size_t(3));
    CHECK_EQ(std::string(buffer), std::string("/c"));
    CHECK_EQ(guest_sys.rmdir("/").error(), EBUSY);
}

UNIT_TEST(path_confined_cwd_moved_out_of_the_root_resolves_nothing)
{
    /* Regression: ".." stopped only at the root itself, so a cwd that someone
     * renamed out of the root climbed to the host's "/". */
    VfsFixture f;
    make_tree(f);
    f.put("/secret", "host only");
    VfsContext guest(f.vfs, resolve_path(f.context, "/a/b").value());
    FileDescriptorTable guest_files;
    VfsSyscall guest_sys(guest, guest_files);
    CHECK(!guest_sys.chdir("/c").is_error());
    CHECK(!f.sys.rename("/a/b/c", "/c").is_error());
    CHECK_EQ(resolve_path(guest, "..").error(), ENOENT);
    CHECK_EQ(resolve_path(guest, "../secret").error(), ENOENT);
    CHECK_EQ(resolve_path(guest, ".").error(), ENOENT);
    CHECK_EQ(guest_sys.mkdir("../escape").error(), ENOENT);
    CHECK_EQ(guest_sys.open("x", O_RDWR | O_CREAT).error(), ENOENT);
    char buffer[64];
    CHECK_EQ(guest_sys.getcwd(buffer, sizeof(buffer)).error(), ENOENT);
    /* Absolute paths start at the root as before. */
    CHECK(!resolve_path(guest, "/").is_error());
    CHECK_EQ(resolve_path(guest, "/c").error(), ENOENT);
    /* An unconfined context keeps following its cwd wherever it went. */
    CHECK(!f.sys.chdir("/c").is_error());
    CHECK(!f.sys.rename("/c", "/a/c2").is_error());
    CHECK_EQ(resolve(f, "../file"), resolve(f, "/a/file"));
}

UNIT_TEST(path_is_beneath_follows_the_inodes)
{
    VfsFixture f;
    make_tree(f);
    RefPtr<Inode> a = resolve_path(f.context, "/a").value();
    RefPtr<Inode> c = resolve_path(f.context, "/a/b/c").value();
    CHECK(is_beneath(f.vfs, c, a));
    CHECK(is_beneath(f.vfs, a, a));
    CHECK(!is_beneath(f.vfs, a, c));
    CHECK(!is_beneath(f.vfs, resolve_path(f.context, "/a/file").value(), a));
    CHECK(!f.sys.rename("/a/b", "/b").is_error());
    CHECK(!is_beneath(f.vfs, c, a));
    CHECK(!f.sys.rmdir("/b/c").is_error());
    CHECK(!is_beneath(f.vfs, c, f.vfs.root()));
}
