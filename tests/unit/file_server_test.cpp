/* hypervisor/hypercall/file_server: the file hypercalls on a VM's root directory,
 * driven with fake guest memory. Most tests are about confinement: no path, handle
 * or length a guest passes reaches outside its root or its own handles. */
#include "abi/hypercall.h"
#include "hypervisor/hypercall/file_server.h"
#include "vfs_fixture.h"

#include <cstring>
#include <vector>

namespace {

/* Guest memory [BASE, BASE + SIZE) mapped one to one; everything else faults. */
class FakeGuestMemory final : public guest_memory::GuestVirtualMemory {
public:
    static constexpr uint64_t BASE = 0x100000, SIZE = 4 << 20;
    std::vector<uint8_t> bytes = std::vector<uint8_t>(SIZE, 0);
    size_t reads = 0;

    bool inside(uint64_t address, uint64_t length) const
    {
        return address >= BASE && length <= SIZE && address - BASE <= SIZE - length;
    }
    bool read(uint64_t address, void* out, size_t length) override
    {
        if (!inside(address, length))
            return false;
        ++reads;
        std::memcpy(out, &bytes[address - BASE], length);
        return true;
    }
    bool write(uint64_t address, const void* in, size_t length) override
    {
        if (!inside(address, length))
            return false;
        std::memcpy(&bytes[address - BASE], in, length);
        return true;
    }
    bool accessible(uint64_t address, uint64_t length, guest_memory::AccessKind) override
    {
        return inside(address, length);
    }
    size_t map(uint64_t address, uint64_t length, guest_memory::AccessKind, IoVector* vectors, size_t capacity) override
    {
        if (length == 0 || capacity == 0 || !inside(address, length))
            return 0;
        vectors[0] = {&bytes[address - BASE], size_t(length)};
        return 1;
    }
    /* Puts a string (with its NUL) at `address`; returns the address. */
    uint64_t put(uint64_t address, const std::string& text)
    {
        std::memcpy(&bytes[address - BASE], text.c_str(), text.size() + 1);
        return address;
    }
    std::string get(uint64_t address, size_t length) const
    {
        return std::string(reinterpret_cast<const char*>(&bytes[address - BASE]), length);
    }
};

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
        server = new FileServer(resolve_path(context, "/vm").value());
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
    FileServer other(resolve_path(host.context, "/vm").value());
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
