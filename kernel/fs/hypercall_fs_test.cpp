/* In-kernel tests of hostfs (set "hostfs"), for a kernel running as a guest of
 * its own hypervisor with the host's files as its root; they skip on bare metal.
 * The host's test pvfs.guest_kernel_reads_and_writes_host_files
 * (hypervisor/hypercall/pvfs_test.cpp) prepares the VM's root directory, runs this
 * set in the guest, and checks afterwards what the guest wrote. */
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "abi/dirent.h"
#include "fs/hypercall_fs.h"
#include "fs/hypercall_ring.h"
#include "fs/kernel_vfs.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

/* What the host's test puts into the VM's root, and what it expects back. */
constexpr const char* FROM_HOST = "/from_host.txt";
constexpr const char* FROM_HOST_TEXT = "written by the host\n";
constexpr const char* FROM_GUEST = "/from_guest.txt";
constexpr const char* FROM_GUEST_TEXT = "written by the guest\n";

bool skip_without_hostfs(TestContext& t)
{
    if (!HypercallFs::available()) {
        t.skip("not running under the Matryoshka hypervisor with files");
        return true;
    }
    if (__builtin_strcmp(kernel_vfs::vfs().root()->file_system().name(), "hostfs") != 0) {
        t.skip("the host's files are not the root (hostfs= on the command line)");
        return true;
    }
    return false;
}

struct Files {
    MutexLocker locker{kernel_vfs::lock()};
    FileDescriptorTable table;
    VfsSyscall sys{kernel_vfs::context(), table};
};

bool write_file(VfsSyscall& sys, const char* path, const void* bytes, size_t length)
{
    Result<int> fd = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd.is_error())
        return false;
    Result<size_t> put = sys.write(fd.value(), bytes, length);
    return !sys.close(fd.value()).is_error() && !put.is_error() && put.value() == length;
}

/* Reads up to `size` bytes of `path`; -errno on failure. */
int64_t read_file(VfsSyscall& sys, const char* path, void* bytes, size_t size)
{
    Result<int> fd = sys.open(path, O_RDONLY);
    if (fd.is_error())
        return -fd.error();
    Result<size_t> got = sys.read(fd.value(), bytes, size);
    (void)sys.close(fd.value());
    return got.is_error() ? -got.error() : int64_t(got.value());
}

/* Whether the directory `path` lists `name`. */
bool lists(VfsSyscall& sys, const char* path, const char* name)
{
    Result<int> fd = sys.open(path, O_RDONLY | O_DIRECTORY);
    if (fd.is_error())
        return false;
    bool found = false;
    alignas(8) uint8_t buffer[512];
    for (;;) {
        Result<size_t> used = sys.getdents(fd.value(), buffer, sizeof(buffer));
        if (used.is_error() || used.value() == 0)
            break;
        for (size_t at = 0; at < used.value();) {
            auto* record = reinterpret_cast<const struct dirent*>(buffer + at);
            found = found || __builtin_strcmp(record->d_name, name) == 0;
            at += record->d_reclen;
        }
    }
    (void)sys.close(fd.value());
    return found;
}

} // namespace

KERNEL_TEST(hostfs, root_lists_the_vm_directory_of_the_host)
{
    if (skip_without_hostfs(t))
        return;
    Files files;
    EXPECT(lists(files.sys, "/", "from_host.txt"));
    EXPECT(lists(files.sys, "/", "."));
    /* ".." of the root is the root: nothing of the host above it shows. */
    struct stat root, up;
    EXPECT(!files.sys.stat("/", root).is_error());
    EXPECT(!files.sys.stat("/..", up).is_error());
    EXPECT_EQ(up.st_ino, root.st_ino);
}

KERNEL_TEST(hostfs, reads_a_file_the_host_wrote)
{
    if (skip_without_hostfs(t))
        return;
    Files files;
    char text[64] = {};
    int64_t got = read_file(files.sys, FROM_HOST, text, sizeof(text) - 1);
    EXPECT_EQ(got, int64_t(strlen(FROM_HOST_TEXT)));
    EXPECT(__builtin_strcmp(text, FROM_HOST_TEXT) == 0);
}

KERNEL_TEST(hostfs, writes_a_file_the_host_reads)
{
    if (skip_without_hostfs(t))
        return;
    Files files;
    EXPECT(write_file(files.sys, FROM_GUEST, FROM_GUEST_TEXT, strlen(FROM_GUEST_TEXT)));
    struct stat status;
    EXPECT(!files.sys.stat(FROM_GUEST, status).is_error());
    EXPECT_EQ(status.st_size, strlen(FROM_GUEST_TEXT));
}

KERNEL_TEST(hostfs, a_megabyte_round_trips_in_one_hypercall_each_way)
{
    if (skip_without_hostfs(t))
        return;
    constexpr size_t SIZE = HYPERCALL_FILE_IO_MAX;
    auto* out = static_cast<uint8_t*>(kmalloc(SIZE));
    auto* in = static_cast<uint8_t*>(kmalloc(SIZE));
    EXPECT(out && in);
    if (out && in) {
        for (size_t i = 0; i < SIZE; ++i)
            out[i] = uint8_t(i * 31 + (i >> 12));
        Files files;
        EXPECT(write_file(files.sys, "/big.bin", out, SIZE));
        EXPECT_EQ(read_file(files.sys, "/big.bin", in, SIZE), int64_t(SIZE));
        EXPECT(__builtin_memcmp(in, out, SIZE) == 0);
        EXPECT(!files.sys.unlink("/big.bin").is_error());
    }
    kfree(out);
    kfree(in);
}

KERNEL_TEST(hostfs, directories_rename_and_remove)
{
    if (skip_without_hostfs(t))
        return;
    Files files;
    EXPECT(!files.sys.mkdir("/made_by_guest").is_error());
    EXPECT(write_file(files.sys, "/made_by_guest/a", "a", 1));
    EXPECT(!files.sys.rename("/made_by_guest/a", "/moved").is_error());
    EXPECT(lists(files.sys, "/", "moved"));
    EXPECT(!lists(files.sys, "/made_by_guest", "a"));
    EXPECT_EQ(files.sys.rmdir("/").error(), EBUSY);
    EXPECT(!files.sys.rmdir("/made_by_guest").is_error());
    EXPECT(!files.sys.unlink("/moved").is_error());
    EXPECT(!lists(files.sys, "/", "moved"));
    EXPECT_EQ(files.sys.open("/nothing", O_RDONLY).error(), ENOENT);
}

KERNEL_TEST(hostfs, bad_guest_addresses_and_numbers_get_error_codes)
{
    if (skip_without_hostfs(t))
        return;
    /* Unmapped in our page tables, non-canonical, and the top of the address space. */
    for (uint64_t bad : {0xFFFF900000000000ull, 0x0000900000000000ull, 0xFFFFFFFFFFFFFFF0ull})
        EXPECT_EQ(int64_t(cpu::vmcall(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, bad, O_RDONLY)), -int64_t(EFAULT));
    EXPECT_EQ(int64_t(cpu::vmcall(HYPERCALL_FILE_READ, 63, 0, 0, 0)), -int64_t(EBADF));
    EXPECT_EQ(int64_t(cpu::vmcall(HYPERCALL_FILE_RING_NOTIFY + 1)), -int64_t(ENOSYS));
}

/* The request ring (docs/hypercalls.md, "The request ring"): with it, a 4 KiB read
 * or write costs one notify, a close none, a lookup one, and a listing one per
 * 4 KiB of records; a plain hypercall per call would cost several per name. */
KERNEL_TEST(hostfs, ring_costs_one_exit_or_less_per_operation)
{
    if (skip_without_hostfs(t))
        return;
    if (!hypercall_ring::active()) {
        t.fail("hostfs did not set up the request ring the host offers");
        return;
    }
    constexpr size_t NAMES = 100, RECORDS = 16384;
    Files files;
    EXPECT(!files.sys.mkdir("/ring_listing").is_error());
    char path[64];
    for (size_t i = 0; i < NAMES; ++i) {
        format_string(path, sizeof(path), "/ring_listing/file%03zu", i);
        EXPECT(write_file(files.sys, path, "x", 1));
    }
    auto* records = static_cast<uint8_t*>(kmalloc(RECORDS));
    Result<int> directory = files.sys.open("/ring_listing", O_RDONLY | O_DIRECTORY);
    if (!records || directory.is_error()) {
        t.fail("no memory for the records, or the directory does not open");
        kfree(records);
        return;
    }
    uint64_t before = hypercall_ring::notify_count();
    size_t names = 0;
    for (;;) {
        Result<size_t> used = files.sys.getdents(directory.value(), records, RECORDS);
        EXPECT(!used.is_error());
        if (used.is_error() || used.value() == 0)
            break;
        for (size_t at = 0; at < used.value(); at += reinterpret_cast<struct dirent*>(records + at)->d_reclen)
            ++names;
    }
    uint64_t listing = hypercall_ring::notify_count() - before;
    EXPECT_EQ(names, NAMES + 2); /* with "." and ".." */
    /* The two entries the VFS adds ("." and ".." looked up), a 4 KiB listing of
     * the 100 names, the empty one at the end: a handful, where plain
     * hypercalls took one getdents per name. */
    if (listing > 8)
        t.fail("listing %zu names took %lu notifies", names, listing);
    (void)files.sys.close(directory.value());

    /* A fresh lookup (stat of a name no inode holds now): one notify; the
     * inode's close rides along with the next one. */
    before = hypercall_ring::notify_count();
    struct stat status {};
    EXPECT(!files.sys.stat("/ring_listing/file042", status).is_error());
    EXPECT_EQ(status.st_size, uint64_t(1));
    if (hypercall_ring::notify_count() - before > 2)
        t.fail("a stat took %lu notifies", hypercall_ring::notify_count() - before);

    /* 4 KiB writes: one notify each; four sequential 4 KiB reads of the 16 KiB
     * file: one between them (read-ahead, fs/read_ahead.h), or one more for each
     * time its window outlived its lifetime (a slow emulator). */
    Result<int> fd = files.sys.open("/ring_listing/file000", O_RDWR);
    EXPECT(!fd.is_error());
    if (!fd.is_error()) {
        memset(records, 0x5A, 4096);
        before = hypercall_ring::notify_count();
        size_t moved = 0;
        for (int i = 0; i < 4; ++i) {
            Result<size_t> put = files.sys.write(fd.value(), records, 4096);
            moved += put.is_error() ? 0 : put.value();
        }
        EXPECT_EQ(hypercall_ring::notify_count() - before, uint64_t(4));
        EXPECT(!files.sys.lseek(fd.value(), 0, SEEK_SET).is_error());
        before = hypercall_ring::notify_count();
        uint64_t start = clock::nanoseconds();
        for (int i = 0; i < 4; ++i) {
            Result<size_t> got = files.sys.read(fd.value(), records + 4096, 4096);
            moved += got.is_error() ? 0 : got.value();
        }
        uint64_t lifetimes = (clock::nanoseconds() - start) / ReadAhead::LIFETIME_NS + 1;
        EXPECT(hypercall_ring::notify_count() - before >= 1);
        EXPECT(hypercall_ring::notify_count() - before <= lifetimes);
        EXPECT_EQ(moved, size_t(8 * 4096));
        EXPECT_EQ(records[4096 + 4095], uint8_t(0x5A));
        (void)files.sys.close(fd.value());
    }
    kfree(records);
    for (size_t i = 0; i < NAMES; ++i) {
        format_string(path, sizeof(path), "/ring_listing/file%03zu", i);
        EXPECT(!files.sys.unlink(path).is_error());
    }
    EXPECT(!files.sys.rmdir("/ring_listing").is_error());
}

namespace {

constexpr const char* READ_AHEAD_FILE = "/read_ahead.bin";
constexpr size_t KIB = 1024;

/* Windows hostfs fetched so far (the root is hostfs: skip_without_hostfs). */
uint64_t read_ahead_fetches()
{
    return static_cast<HypercallFs&>(kernel_vfs::vfs().root()->file_system()).read_ahead_fetches();
}

/* Reads 4 KiB of `fd` at `offset` into `page`: whether all of it came. */
bool read_page(VfsSyscall& sys, int fd, uint64_t offset, uint8_t* page)
{
    if (sys.lseek(fd, int64_t(offset), SEEK_SET).is_error())
        return false;
    Result<size_t> got = sys.read(fd, page, 4 * KIB);
    return !got.is_error() && got.value() == 4 * KIB;
}

bool filled_with(const uint8_t* bytes, size_t count, uint8_t value)
{
    for (size_t i = 0; i < count; ++i) {
        if (bytes[i] != value)
            return false;
    }
    return true;
}

/* A change hostfs does not see: 4 KiB of `value` written at `offset` of
 * READ_AHEAD_FILE by plain hypercalls on a handle of their own, as the host's
 * programs or another VM sharing the directory would change it. */
bool change_behind_hostfs(uint64_t offset, uint8_t value)
{
    uint8_t bytes[4 * KIB];
    memset(bytes, value, sizeof(bytes));
    auto handle = int64_t(cpu::vmcall(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT,
                                      reinterpret_cast<uint64_t>(READ_AHEAD_FILE), O_RDWR));
    if (handle < 0)
        return false;
    auto put = int64_t(cpu::vmcall(HYPERCALL_FILE_WRITE, uint64_t(handle), reinterpret_cast<uint64_t>(bytes),
                                   sizeof(bytes), offset));
    (void)cpu::vmcall(HYPERCALL_FILE_CLOSE, uint64_t(handle));
    return put == int64_t(sizeof(bytes));
}

} // namespace

/* The read-ahead's coherence model (fs/read_ahead.h): sequential 4 KiB reads
 * share one notify; our own write through another descriptor is seen at once;
 * a change made behind hostfs's back is seen after a lookup of the name, and,
 * without one, once the window has outlived ReadAhead::LIFETIME_NS. */
KERNEL_TEST(hostfs, read_ahead_sees_our_writes_at_once_and_host_changes_as_its_model_says)
{
    if (skip_without_hostfs(t))
        return;
    constexpr size_t SIZE = 64 * KIB;
    auto* bytes = static_cast<uint8_t*>(kmalloc(SIZE));
    uint8_t* page = bytes ? static_cast<uint8_t*>(kmalloc(4 * KIB)) : nullptr;
    if (!page) {
        t.fail("no memory for the test's buffers");
        kfree(bytes);
        return;
    }
    for (size_t i = 0; i < SIZE; ++i)
        bytes[i] = uint8_t(i * 13 + (i >> 12));
    Files files;
    EXPECT(write_file(files.sys, READ_AHEAD_FILE, bytes, SIZE));
    Result<int> reader = files.sys.open(READ_AHEAD_FILE, O_RDONLY);
    Result<int> writer = files.sys.open(READ_AHEAD_FILE, O_RDWR);
    if (reader.is_error() || writer.is_error()) {
        t.fail("%s does not open", READ_AHEAD_FILE);
    } else {
        int fd = reader.value();
        /* Eight sequential reads: one fetch (a first window holds the whole file), so
         * one notify, unless the window outlived its lifetime meanwhile (a
         * slow emulator on a busy machine): then a fetch each lifetime. */
        uint64_t fetches = read_ahead_fetches();
        uint64_t before = hypercall_ring::notify_count();
        uint64_t start = clock::nanoseconds();
        for (size_t at = 0; at < 32 * KIB; at += 4 * KIB) {
            EXPECT(read_page(files.sys, fd, at, page));
            EXPECT(__builtin_memcmp(page, bytes + at, 4 * KIB) == 0);
        }
        uint64_t lifetimes = (clock::nanoseconds() - start) / ReadAhead::LIFETIME_NS + 1;
        EXPECT(hypercall_ring::notify_count() - before <= lifetimes);
        EXPECT(read_ahead_fetches() - fetches >= 1);
        EXPECT(read_ahead_fetches() - fetches <= lifetimes);

        /* Our own write, through the other descriptor, into the window the
         * reader fetches now: the next read sees it. */
        EXPECT(read_page(files.sys, fd, 32 * KIB, page));
        memset(page, 0xAB, 4 * KIB);
        EXPECT(!files.sys.lseek(writer.value(), 40 * KIB, SEEK_SET).is_error());
        Result<size_t> put = files.sys.write(writer.value(), page, 4 * KIB);
        EXPECT(!put.is_error() && put.value() == 4 * KIB);
        EXPECT(read_page(files.sys, fd, 40 * KIB, page));
        EXPECT(filled_with(page, 4 * KIB, 0xAB));

        /* A change behind hostfs's back: seen after a lookup of the name. */
        EXPECT(read_page(files.sys, fd, 44 * KIB, page)); /* sequential: a window of [44, 64) KiB */
        EXPECT(change_behind_hostfs(48 * KIB, 0xCD));
        struct stat status {};
        EXPECT(!files.sys.stat(READ_AHEAD_FILE, status).is_error());
        EXPECT(read_page(files.sys, fd, 48 * KIB, page));
        EXPECT(filled_with(page, 4 * KIB, 0xCD));

        /* And without a lookup, once the window is older than its lifetime. */
        EXPECT(read_page(files.sys, fd, 52 * KIB, page)); /* from the window of [48, 64) KiB */
        EXPECT(change_behind_hostfs(56 * KIB, 0xEF));
        clock::busy_wait_ns(ReadAhead::LIFETIME_NS + clock::NS_PER_MS);
        EXPECT(read_page(files.sys, fd, 56 * KIB, page));
        EXPECT(filled_with(page, 4 * KIB, 0xEF));

        /* The end of the file: a short read, then nothing. */
        EXPECT(!files.sys.lseek(fd, int64_t(SIZE - 100), SEEK_SET).is_error());
        Result<size_t> tail = files.sys.read(fd, page, 4 * KIB);
        EXPECT(!tail.is_error() && tail.value() == 100);
        Result<size_t> past = files.sys.read(fd, page, 4 * KIB);
        EXPECT(!past.is_error() && past.value() == 0);
    }
    if (!reader.is_error())
        (void)files.sys.close(reader.value());
    if (!writer.is_error())
        (void)files.sys.close(writer.value());
    EXPECT(!files.sys.unlink(READ_AHEAD_FILE).is_error());
    kfree(page);
    kfree(bytes);
}
