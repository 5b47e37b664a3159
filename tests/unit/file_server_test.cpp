/* hypervisor/hypercall/file_server: the file hypercalls on a VM's root directory,
 * driven with fake guest memory. Most tests are about confinement: no path, handle
 * or length a guest passes reaches outside its root or its own handles. */
#include "abi/hypercall.h"
#include "hypervisor/hypercall/file_server.h"
#include "fake_guest_memory.h"
#include "vfs_fixture.h"

#include <cstring>
#include <vector>

namespace {

constexpr uint64_t PATH = FakeGuestMemory::BASE;           /* first path */
constexpr uint64_t PATH2 = FakeGuestMemory::BASE + 0x2000; /* second path */
constexpr uint64_t BUFFER = FakeGuestMemory::BASE + 0x10000;
constexpr uint64_t ROOT = HYPERCALL_FILE_ROOT;

/* A host tree with /vm as the VM's root and secrets beside it. */
struct Host : VfsFixture {
    FakeGuestMemory guest;
    FileServer* server = nullptr;

    Host()
    {
        CHECK(!sys.mkdir("/vm").is_error());
        CHECK(!sys.mkdir("/vm/sub").is_error());
        put("/vm/hello.txt", "hello from the host\n");
        put("/secret", "the host's secret\n");
        /* Writable everywhere in its root: these tests are about confinement; the
         * read-only export has its own (Export below). */
        RefPtr<Inode> root = resolve_path(context, "/vm").value();
        server = new FileServer(root, root);
    }
    ~Host() { delete server; }

    int64_t call(uint64_t number, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0)
    {
        return int64_t(server->serve({number, rbx, rcx, rdx, rsi}, guest));
    }
    int64_t open(const std::string& path, uint64_t flags = O_RDONLY, uint64_t at = ROOT)
    {
        return call(HYPERCALL_FILE_OPEN, at, guest.put(PATH, path), flags, 0644);
    }
    std::string read_all(int64_t handle)
    {
        int64_t got = call(HYPERCALL_FILE_READ, uint64_t(handle), BUFFER, 4096, 0);
        return got < 0 ? "<errno " + std::to_string(-got) + ">" : guest.get(BUFFER, size_t(got));
    }
};

} // namespace

UNIT_TEST(file_server_reads_a_file_of_the_root)
{
    Host host;
    int64_t handle = host.open("hello.txt");
    CHECK(handle >= 0);
    CHECK_EQ(host.read_all(handle), std::string("hello from the host\n"));
    CHECK_EQ(host.call(HYPERCALL_FILE_CLOSE, uint64_t(handle)), 0);
    CHECK_EQ(host.server->open_handle_count(), 0);
}

UNIT_TEST(file_server_dot_dot_stops_at_the_root)
{
    Host host;
    for (const char* path : {"../secret", "/../secret", "/../../secret", "sub/../../secret", "../../../../secret"})
        CHECK_EQ(host.open(path), -ENOENT);
    /* ".." of the root is the root itself. */
    int64_t up = host.open("..", O_RDONLY | O_DIRECTORY);
    CHECK(up >= 0);
    CHECK_EQ(host.open("hello.txt", O_RDONLY, uint64_t(up)) >= 0, true);
}

UNIT_TEST(file_server_absolute_paths_start_at_the_root)
{
    Host host;
    CHECK_EQ(host.open("/secret"), -ENOENT);
    int64_t handle = host.open("/hello.txt");
    CHECK_EQ(host.read_all(handle), std::string("hello from the host\n"));
    /* Also relative to a directory handle. */
    int64_t sub = host.open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(host.open("/hello.txt", O_RDONLY, uint64_t(sub)) >= 0);
    CHECK_EQ(host.open("../../secret", O_RDONLY, uint64_t(sub)), -ENOENT);
}

UNIT_TEST(file_server_embedded_nul_ends_the_path)
{
    Host host;
    /* "hello.txt\0/../../secret": only what precedes the NUL is the path. */
    std::string path("hello.txt\0/../../secret", 23);
    std::memcpy(&host.guest.bytes[PATH - FakeGuestMemory::BASE], path.data(), path.size() + 1);
    int64_t handle = host.call(HYPERCALL_FILE_OPEN, ROOT, PATH, O_RDONLY, 0);
    CHECK_EQ(host.read_all(handle), std::string("hello from the host\n"));
}

UNIT_TEST(file_server_refuses_long_and_unterminated_names)
{
    Host host;
    CHECK_EQ(host.open(std::string(NAME_MAX + 1, 'a')), -ENAMETOOLONG);
    CHECK_EQ(host.open(std::string(NAME_MAX + 1, 'a'), O_RDWR | O_CREAT), -ENAMETOOLONG);
    /* No NUL within PATH_MAX bytes. */
    std::memset(&host.guest.bytes[PATH - FakeGuestMemory::BASE], 'x', PATH_MAX + 100);
    CHECK_EQ(host.call(HYPERCALL_FILE_OPEN, ROOT, PATH, O_RDONLY, 0), -ENAMETOOLONG);
    /* A string running into unmapped memory. */
    uint64_t last = FakeGuestMemory::BASE + FakeGuestMemory::SIZE - 4;
    std::memset(&host.guest.bytes[last - FakeGuestMemory::BASE], 'x', 4);
    CHECK_EQ(host.call(HYPERCALL_FILE_OPEN, ROOT, last, O_RDONLY, 0), -EFAULT);
    CHECK_EQ(host.call(HYPERCALL_FILE_OPEN, ROOT, 0xFFFFFFFFFFFFFFF0ull, O_RDONLY, 0), -EFAULT);
}

UNIT_TEST(file_server_a_path_is_fetched_once)
{
    Host host;
    /* A short path in one page is one read of guest memory, however it is used. */
    host.guest.reads = 0;
    CHECK(host.open("hello.txt") >= 0);
    CHECK_EQ(host.guest.reads, size_t(1));
}

UNIT_TEST(file_server_rejects_bad_handles)
{
    Host host;
    for (uint64_t bad : {uint64_t(0), uint64_t(5), uint64_t(63), uint64_t(64), uint64_t(1) << 32, ROOT, ~uint64_t(0)}) {
        CHECK_EQ(host.call(HYPERCALL_FILE_READ, bad, BUFFER, 16, 0), -EBADF);
        CHECK_EQ(host.call(HYPERCALL_FILE_CLOSE, bad), -EBADF);
        CHECK_EQ(host.call(HYPERCALL_FILE_FSTAT, bad, BUFFER), -EBADF);
    }
    int64_t handle = host.open("hello.txt");
    CHECK_EQ(host.call(HYPERCALL_FILE_CLOSE, uint64_t(handle)), 0);
    CHECK_EQ(host.call(HYPERCALL_FILE_CLOSE, uint64_t(handle)), -EBADF);
    /* A file handle as the directory of a path. */
    int64_t file = host.open("hello.txt");
    CHECK_EQ(host.open("x", O_RDONLY, uint64_t(file)), -ENOTDIR);
}

UNIT_TEST(file_server_handles_belong_to_one_vm)
{
    Host host;
    FileServer other(resolve_path(host.context, "/vm").value(), nullptr);
    int64_t handle = host.open("hello.txt");
    CHECK(handle >= 0);
    /* The same number means nothing to another VM's server. */
    CHECK_EQ(int64_t(other.serve({HYPERCALL_FILE_READ, uint64_t(handle), BUFFER, 16, 0}, host.guest)), -EBADF);
    CHECK_EQ(host.read_all(handle), std::string("hello from the host\n"));
}

UNIT_TEST(file_server_checks_lengths_and_buffers)
{
    Host host;
    int64_t handle = host.open("hello.txt", O_RDWR);
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), BUFFER, HYPERCALL_FILE_IO_MAX + 1, 0), -EINVAL);
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), BUFFER, ~uint64_t(0), 0), -EINVAL);
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), 0xFFFFFFFFFFFFF000ull, 0x2000, 0), -EFAULT);
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), 0x1000, 16, 0), -EFAULT);
    CHECK_EQ(host.call(HYPERCALL_FILE_WRITE, uint64_t(handle), 0x1000, 16, 0), -EFAULT);
    CHECK_EQ(host.call(HYPERCALL_FILE_FSTAT, uint64_t(handle), 0x1000), -EFAULT);
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), BUFFER, 16, uint64_t(1) << 63), -EINVAL);
    CHECK_EQ(host.call(HYPERCALL_FILE_LSEEK, uint64_t(handle), 0, 7), -EINVAL);
    CHECK_EQ(host.call(HYPERCALL_FILE_OPEN, ROOT, host.guest.put(PATH, "hello.txt"), uint64_t(1) << 40, 0), -EINVAL);
    /* A buffer that ends past guest memory moves nothing: the file is unchanged. */
    uint64_t straddling = FakeGuestMemory::BASE + FakeGuestMemory::SIZE - 8;
    CHECK_EQ(host.call(HYPERCALL_FILE_WRITE, uint64_t(handle), straddling, 16, 0), -EFAULT);
    CHECK_EQ(host.get("/vm/hello.txt"), std::string("hello from the host\n"));
}

UNIT_TEST(file_server_unknown_numbers_are_enosys)
{
    Host host;
    CHECK_EQ(host.call(HYPERCALL_FILE_LAST + 1), -ENOSYS);
    CHECK_EQ(host.call(12345), -ENOSYS);
}

UNIT_TEST(file_server_large_reads_and_writes_move_in_one_call)
{
    Host host;
    int64_t handle = host.open("big", O_RDWR | O_CREAT);
    for (size_t i = 0; i < HYPERCALL_FILE_IO_MAX; ++i)
        host.guest.bytes[BUFFER - FakeGuestMemory::BASE + i] = uint8_t(i * 7 + 1);
    CHECK_EQ(host.call(HYPERCALL_FILE_WRITE, uint64_t(handle), BUFFER, HYPERCALL_FILE_IO_MAX, 0),
             int64_t(HYPERCALL_FILE_IO_MAX));
    uint64_t copy = BUFFER + HYPERCALL_FILE_IO_MAX;
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), copy, HYPERCALL_FILE_IO_MAX, 0),
             int64_t(HYPERCALL_FILE_IO_MAX));
    CHECK(std::memcmp(&host.guest.bytes[BUFFER - FakeGuestMemory::BASE], &host.guest.bytes[copy - FakeGuestMemory::BASE],
                      HYPERCALL_FILE_IO_MAX) == 0);
    /* At the handle's position: continues after the last read, 0 at the end. */
    CHECK_EQ(host.call(HYPERCALL_FILE_READ, uint64_t(handle), BUFFER, 16, HYPERCALL_FILE_POSITION), 0);
}

UNIT_TEST(file_server_directory_calls)
{
    Host host;
    CHECK_EQ(host.call(HYPERCALL_FILE_MKDIR, ROOT, host.guest.put(PATH, "made"), 0755), 0);
    /* ".." of the root is the root: this makes /vm/escape, not /escape. */
    CHECK_EQ(host.call(HYPERCALL_FILE_MKDIR, ROOT, host.guest.put(PATH, "../escape"), 0755), 0);
    CHECK_EQ(host.list("/vm/escape"), std::string(". .."));
    CHECK_EQ(host.list("/escape"), std::string("<errno 2>"));
    int64_t sub = host.open("sub", O_RDONLY | O_DIRECTORY);
    int64_t file = host.call(HYPERCALL_FILE_OPEN, uint64_t(sub), host.guest.put(PATH, "f"), O_RDWR | O_CREAT, 0644);
    CHECK(file >= 0);
    CHECK_EQ(host.call(HYPERCALL_FILE_WRITE, uint64_t(file), host.guest.put(BUFFER, "abc"), 3, 0), 3);
    /* rename between two directory handles: sub/f -> made/g */
    int64_t made = host.open("made", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(host.call(HYPERCALL_FILE_RENAME, uint64_t(sub), host.guest.put(PATH, "f"), uint64_t(made),
                       host.guest.put(PATH2, "g")),
             0);
    CHECK_EQ(host.get("/vm/made/g"), std::string("abc"));
    CHECK_EQ(host.call(HYPERCALL_FILE_RENAME, ROOT, host.guest.put(PATH, "made/g"), ROOT, host.guest.put(PATH2, "../../stolen")),
             0);
    CHECK_EQ(host.get("/stolen"), std::string("<errno 2>"));
    CHECK_EQ(host.get("/vm/stolen"), std::string("abc"));
    CHECK_EQ(host.call(HYPERCALL_FILE_TRUNCATE, ROOT, host.guest.put(PATH, "stolen"), 1), 0);
    CHECK_EQ(host.get("/vm/stolen"), std::string("a"));
    CHECK_EQ(host.call(HYPERCALL_FILE_UNLINK, ROOT, host.guest.put(PATH, "stolen")), 0);
    CHECK_EQ(host.call(HYPERCALL_FILE_RMDIR, ROOT, host.guest.put(PATH, "/")), -EBUSY);
    CHECK_EQ(host.call(HYPERCALL_FILE_RMDIR, ROOT, host.guest.put(PATH, "..")), -ENOTEMPTY);
    CHECK_EQ(host.list("/"), std::string(". .. vm secret"));
    /* getdents at an offset: the host's own directory offsets (0 ".", 1 ".."). */
    int64_t root = host.open("/", O_RDONLY | O_DIRECTORY);
    int64_t used = host.call(HYPERCALL_FILE_GETDENTS, uint64_t(root), BUFFER, 4096, 2);
    CHECK(used > 0);
    std::string names;
    for (int64_t at = 0; at < used;) {
        auto* record = reinterpret_cast<const struct dirent*>(&host.guest.bytes[BUFFER - FakeGuestMemory::BASE + at]);
        names += std::string(record->d_name) + " ";
        at += record->d_reclen;
    }
    CHECK_EQ(names, std::string("sub hello.txt made escape "));
}

UNIT_TEST(file_server_closes_every_handle_when_the_vm_ends)
{
    Host host;
    size_t inodes_before = host.ramfs.inode_count();
    int64_t handle = host.open("doomed", O_RDWR | O_CREAT);
    CHECK_EQ(host.call(HYPERCALL_FILE_UNLINK, ROOT, host.guest.put(PATH, "doomed")), 0);
    /* The unlinked file lives on while the VM holds it... */
    CHECK_EQ(host.ramfs.inode_count(), inodes_before + 1);
    CHECK(handle >= 0);
    size_t servers = FileServer::live_count();
    delete host.server;
    host.server = nullptr;
    /* ...and goes with the VM's server. */
    CHECK_EQ(host.ramfs.inode_count(), inodes_before);
    CHECK_EQ(FileServer::live_count(), servers - 1);
}

/* ---- directories moved out of a VM's root (docs/hypercalls.md, "Confinement") */

UNIT_TEST(file_server_a_directory_moved_out_of_the_root_resolves_nothing)
{
    Host host;
    host.put("/vm/sub/inside.txt", "inside\n");
    CHECK(!host.sys.mkdir("/vm/sub/deep").is_error());
    int64_t sub = host.open("sub", O_RDONLY | O_DIRECTORY);
    int64_t inside = host.open("sub/inside.txt");
    CHECK(sub >= 0 && inside >= 0);
    /* A host program moves the directory the VM holds out of the VM's root. */
    CHECK(!host.sys.rename("/vm/sub", "/moved").is_error());
    for (const char* path : {"..", "../secret", "../../secret", "inside.txt", "deep/..", ".", "deep"})
        CHECK_EQ(host.open(path, O_RDONLY, uint64_t(sub)), -ENOENT);
    CHECK_EQ(host.call(HYPERCALL_FILE_STAT, uint64_t(sub), host.guest.put(PATH, ".."), BUFFER), -ENOENT);
    CHECK_EQ(host.call(HYPERCALL_FILE_MKDIR, uint64_t(sub), host.guest.put(PATH, "new"), 0755), -ENOENT);
    CHECK_EQ(host.call(HYPERCALL_FILE_UNLINK, uint64_t(sub), host.guest.put(PATH, "inside.txt")), -ENOENT);
    CHECK_EQ(host.call(HYPERCALL_FILE_TRUNCATE, uint64_t(sub), host.guest.put(PATH, "inside.txt"), 0), -ENOENT);
    CHECK_EQ(host.call(HYPERCALL_FILE_RENAME, uint64_t(sub), host.guest.put(PATH, "inside.txt"), ROOT,
                       host.guest.put(PATH2, "stolen")),
             -ENOENT);
    CHECK_EQ(host.call(HYPERCALL_FILE_RENAME, ROOT, host.guest.put(PATH, "hello.txt"), uint64_t(sub),
                       host.guest.put(PATH2, "smuggled")),
             -ENOENT);
    /* What is already open still works: the file reads, the handle fstats. */
    CHECK_EQ(host.read_all(inside), std::string("inside\n"));
    CHECK_EQ(host.call(HYPERCALL_FILE_FSTAT, uint64_t(sub), BUFFER), 0);
    /* Absolute paths still start at the root, and nothing outside changed. */
    CHECK(host.open("/hello.txt", O_RDONLY, uint64_t(sub)) >= 0);
    CHECK_EQ(host.get("/secret"), std::string("the host's secret\n"));
    CHECK_EQ(host.list("/moved"), std::string(". .. inside.txt deep"));
    /* Moved back in, it resolves again. */
    CHECK(!host.sys.rename("/moved", "/vm/back").is_error());
    CHECK(host.open("inside.txt", O_RDONLY, uint64_t(sub)) >= 0);
}

UNIT_TEST(file_server_nested_roots_the_outer_vm_cannot_free_the_inner_one)
{
    Host host;
    CHECK(!host.sys.mkdir("/vm/sub/inner").is_error());
    host.put("/vm/sub/inner/mine.txt", "inner's\n");
    /* The inner VM's root is the outer one's /sub; it holds its directory inner/. */
    RefPtr<Inode> inner_root = resolve_path(host.context, "/vm/sub").value();
    FileServer inner(inner_root, inner_root);
    auto inner_call = [&](uint64_t number, uint64_t rbx, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0) {
        return int64_t(inner.serve({number, rbx, rcx, rdx, rsi}, host.guest));
    };
    int64_t held = inner_call(HYPERCALL_FILE_OPEN, ROOT, host.guest.put(PATH, "inner"), O_RDONLY | O_DIRECTORY);
    CHECK(held >= 0);
    /* The outer VM moves it up to its own root, out of the inner root. */
    CHECK_EQ(host.call(HYPERCALL_FILE_RENAME, ROOT, host.guest.put(PATH, "sub/inner"), ROOT, host.guest.put(PATH2, "out")), 0);
    for (const char* path : {"..", "../hello.txt", "../../secret", "../sub", "mine.txt"}) {
        CHECK_EQ(inner_call(HYPERCALL_FILE_OPEN, uint64_t(held), host.guest.put(PATH, path), O_RDONLY), -ENOENT);
        CHECK_EQ(inner_call(HYPERCALL_FILE_OPEN, uint64_t(held), host.guest.put(PATH, path), O_RDWR | O_CREAT), -ENOENT);
    }
    CHECK_EQ(inner_call(HYPERCALL_FILE_MKDIR, uint64_t(held), host.guest.put(PATH, "../escape"), 0755), -ENOENT);
    CHECK_EQ(host.list("/vm"), std::string(". .. sub hello.txt out"));
    /* Its own root still serves it. */
    CHECK_EQ(inner_call(HYPERCALL_FILE_OPEN, ROOT, host.guest.put(PATH, "../hello.txt"), O_RDONLY), -ENOENT);
    CHECK(inner_call(HYPERCALL_FILE_MKDIR, ROOT, host.guest.put(PATH, "fresh"), 0755) == 0);
    CHECK_EQ(host.list("/vm/sub"), std::string(". .. fresh"));
}

UNIT_TEST(file_server_dot_dot_of_the_root_lists_the_root_itself)
{
    Host host;
    int64_t root = host.open("/", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(host.call(HYPERCALL_FILE_GETDENTS, uint64_t(root), BUFFER, 4096, 0) > 0, true);
    auto* dot = reinterpret_cast<const struct dirent*>(&host.guest.bytes[BUFFER - FakeGuestMemory::BASE]);
    auto* dot_dot = reinterpret_cast<const struct dirent*>(&host.guest.bytes[BUFFER - FakeGuestMemory::BASE + dot->d_reclen]);
    CHECK_EQ(std::string(dot_dot->d_name), std::string(".."));
    CHECK_EQ(dot_dot->d_ino, dot->d_ino);
}

/* ---- the read-only export (docs/hypercalls.md, "What a VM may change") */

namespace {

/* The VM's root /vm, writable only beneath /vm/shared (or nowhere). */
struct Export : Host {
    explicit Export(bool writable = true)
    {
        CHECK(!sys.mkdir("/vm/shared").is_error());
        CHECK(!sys.mkdir("/vm/bin").is_error());
        put("/vm/bin/ls", "the real ls\n");
        put("/vm/shared/note", "shared\n");
        delete server;
        server = new FileServer(resolve_path(context, "/vm").value(),
                                writable ? resolve_path(context, "/vm/shared").value() : nullptr);
    }
    int64_t write(int64_t handle, const std::string& text)
    {
        return call(HYPERCALL_FILE_WRITE, uint64_t(handle), guest.put(BUFFER, text), text.size(), 0);
    }
    int64_t path_call(uint64_t number, const std::string& path, uint64_t value = 0)
    {
        return call(number, ROOT, guest.put(PATH, path), value);
    }
    int64_t rename(const std::string& from, const std::string& to)
    {
        return call(HYPERCALL_FILE_RENAME, ROOT, guest.put(PATH, from), ROOT, guest.put(PATH2, to));
    }
};

} // namespace

UNIT_TEST(file_server_export_outside_the_writable_directory_is_erofs)
{
    Export host;
    for (uint64_t flags : {uint64_t(O_WRONLY), uint64_t(O_RDWR), uint64_t(O_RDONLY | O_TRUNC), uint64_t(O_RDONLY | O_CREAT),
                           uint64_t(O_WRONLY | O_CREAT | O_TRUNC), uint64_t(O_RDWR | O_APPEND)}) {
        CHECK_EQ(host.open("/bin/ls", flags), -EROFS);
        CHECK_EQ(host.open("/new_file", flags), -EROFS);
    }
    CHECK_EQ(host.path_call(HYPERCALL_FILE_TRUNCATE, "/bin/ls", 0), -EROFS);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_UNLINK, "/bin/ls"), -EROFS);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_MKDIR, "/made", 0755), -EROFS);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_RMDIR, "/bin"), -EROFS);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_RMDIR, "/shared"), -EROFS);
    /* An existing name is EEXIST to mkdir, as on Linux. */
    CHECK_EQ(host.path_call(HYPERCALL_FILE_MKDIR, "/bin", 0755), -EEXIST);
    CHECK_EQ(host.rename("/bin/ls", "/shared/ls"), -EROFS);  /* from outside */
    CHECK_EQ(host.rename("/shared/note", "/bin/ls"), -EROFS); /* to outside */
    CHECK_EQ(host.rename("/shared", "/elsewhere"), -EROFS);  /* the writable directory itself */
    /* Paths that climb out of the writable directory are judged where they end. */
    CHECK_EQ(host.open("/shared/../bin/ls", O_RDWR), -EROFS);
    CHECK_EQ(host.open("shared/../new", O_RDWR | O_CREAT), -EROFS);
    /* Reading is fine; a file opened read-only stays read-only. */
    int64_t ls = host.open("/bin/ls");
    CHECK_EQ(host.read_all(ls), std::string("the real ls\n"));
    CHECK_EQ(host.write(ls, "evil"), -EBADF);
    CHECK_EQ(host.call(HYPERCALL_FILE_FTRUNCATE, uint64_t(ls), 0), -EBADF);
    CHECK_EQ(host.get("/vm/bin/ls"), std::string("the real ls\n"));
    CHECK_EQ(host.list("/vm"), std::string(". .. sub hello.txt shared bin"));
}

UNIT_TEST(file_server_export_beneath_the_writable_directory_everything_works)
{
    Export host;
    CHECK_EQ(host.path_call(HYPERCALL_FILE_MKDIR, "/shared/dir", 0755), 0);
    int64_t file = host.open("/shared/dir/f", O_RDWR | O_CREAT);
    CHECK(file >= 0);
    CHECK_EQ(host.write(file, "abc"), 3);
    CHECK_EQ(host.call(HYPERCALL_FILE_FTRUNCATE, uint64_t(file), 2), 0);
    /* Renamed by the VM itself (even into another directory), the handle follows. */
    CHECK_EQ(host.rename("/shared/dir/f", "/shared/g"), 0);
    CHECK_EQ(host.write(file, "xyz"), 3);
    CHECK_EQ(host.get("/vm/shared/g"), std::string("xyz"));
    CHECK_EQ(host.path_call(HYPERCALL_FILE_TRUNCATE, "/shared/g", 1), 0);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_RMDIR, "/shared/dir"), 0);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_UNLINK, "/shared/g"), 0);
    /* Unlinked while open, its bytes are nobody else's: still writable. */
    CHECK_EQ(host.write(file, "q"), 1);
    int64_t shared = host.open("/shared", O_RDONLY | O_DIRECTORY);
    CHECK(host.call(HYPERCALL_FILE_OPEN, uint64_t(shared), host.guest.put(PATH, "h"), O_WRONLY | O_CREAT, 0644) >= 0);
    CHECK_EQ(host.list("/vm/shared"), std::string(". .. note h"));
}

UNIT_TEST(file_server_export_a_file_moved_out_of_the_writable_directory_is_read_only)
{
    Export host;
    int64_t note = host.open("/shared/note", O_RDWR);
    CHECK(note >= 0);
    CHECK_EQ(host.write(note, "S"), 1);
    /* A host program (or another VM) moves it over /bin/ls: no longer writable
     * through the handle, whatever name it has now. */
    CHECK(!host.sys.rename("/vm/shared/note", "/vm/bin/ls").is_error());
    CHECK_EQ(host.write(note, "evil"), -EROFS);
    CHECK_EQ(host.call(HYPERCALL_FILE_FTRUNCATE, uint64_t(note), 0), -EROFS);
    CHECK_EQ(host.get("/vm/bin/ls"), std::string("Shared\n"));
    CHECK_EQ(host.open("/bin/ls", O_RDWR), -EROFS);
    /* A directory moved out takes its files' writability with it. */
    CHECK(!host.sys.mkdir("/vm/shared/d").is_error());
    int64_t inner = host.open("/shared/d/x", O_RDWR | O_CREAT);
    CHECK(inner >= 0);
    CHECK(!host.sys.rename("/vm/shared/d", "/vm/d").is_error());
    CHECK_EQ(host.write(inner, "evil"), -EROFS);
    CHECK_EQ(host.open("/d/y", O_RDWR | O_CREAT), -EROFS);
    /* And one moved in becomes writable. */
    CHECK(!host.sys.rename("/vm/d", "/vm/shared/d").is_error());
    CHECK_EQ(host.write(inner, "ok"), 2);
}

UNIT_TEST(file_server_export_with_nothing_writable_changes_nothing)
{
    Export host(false);
    CHECK_EQ(host.open("/shared/note", O_RDWR), -EROFS);
    CHECK_EQ(host.open("/shared/new", O_WRONLY | O_CREAT), -EROFS);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_MKDIR, "/shared/d", 0755), -EROFS);
    CHECK_EQ(host.path_call(HYPERCALL_FILE_UNLINK, "/shared/note"), -EROFS);
    CHECK_EQ(host.read_all(host.open("/shared/note")), std::string("shared\n"));
}
