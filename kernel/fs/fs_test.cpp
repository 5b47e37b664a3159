/* In-kernel tests of the file system (set `fs`): the initrd unpacked at boot, the
 * VfsSyscall calls on the kernel's ramfs, and memory coming back. */
#include "fs/kernel_vfs.h"
#include "lib/format.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "test/kernel_test.h"

extern "C" char boot_entry32[];

namespace {

/* Reads up to `size` bytes of `path` into `buffer`; the count, or -errno. */
int64_t read_file(VfsSyscall& sys, const char* path, void* buffer, size_t size)
{
    Result<int> fd = sys.open(path, O_RDONLY);
    if (fd.is_error())
        return -fd.error();
    Result<size_t> got = sys.read(fd.value(), buffer, size);
    if (sys.close(fd.value()).is_error())
        return -EBADF;
    return got.is_error() ? -got.error() : int64_t(got.value());
}

/* Writes `text` as the whole content of `path`. */
bool write_file(VfsSyscall& sys, const char* path, const void* data, size_t size)
{
    Result<int> fd = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd.is_error())
        return false;
    Result<size_t> done = sys.write(fd.value(), data, size);
    return !sys.close(fd.value()).is_error() && !done.is_error() && done.value() == size;
}

/* Creates and removes `count` files of `size` bytes in a fresh directory. */
bool churn_files(VfsSyscall& sys, size_t count, size_t size)
{
    static uint8_t block[6000];
    if (size > sizeof(block) || sys.mkdir("/churn").is_error())
        return false;
    char path[32];
    for (size_t i = 0; i < count; ++i) {
        format_string(path, sizeof(path), "/churn/file%zu", i);
        if (!write_file(sys, path, block, size))
            return false;
    }
    for (size_t i = 0; i < count; ++i) {
        format_string(path, sizeof(path), "/churn/file%zu", i);
        if (sys.unlink(path).is_error())
            return false;
    }
    return !sys.rmdir("/churn").is_error();
}

} // namespace

KERNEL_TEST(fs, initrd_unpacked_completely)
{
    const InitrdReport& report = kernel_vfs::initrd_report();
    EXPECT(report.succeeded());
    EXPECT(report.files >= 3); /* README, etc/motd, boot/kernel */
}

KERNEL_TEST(fs, initrd_motd_has_the_source_tree_content)
{
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    char buffer[100] = {};
    const char expected[] = "Welcome to Matryoshka: SWEB inside SWEB.\n"; /* initrd/etc/motd */
    EXPECT_EQ(read_file(sys, "/etc/motd", buffer, sizeof(buffer) - 1), int64_t(sizeof(expected) - 1));
    EXPECT(__builtin_strcmp(buffer, expected) == 0);
}

/* /boot/kernel is this very kernel: its ELF header names our entry point. */
KERNEL_TEST(fs, initrd_boot_kernel_is_this_kernel)
{
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    uint8_t header[64];
    EXPECT_EQ(read_file(sys, "/boot/kernel", header, sizeof(header)), int64_t(64));
    EXPECT(__builtin_memcmp(header, "\x7f" "ELF", 4) == 0);
    uint16_t machine;
    uint64_t entry;
    __builtin_memcpy(&machine, header + 18, 2);
    __builtin_memcpy(&entry, header + 24, 8);
    EXPECT_EQ(machine, uint16_t(62)); /* EM_X86_64 */
    EXPECT_EQ(entry, reinterpret_cast<uint64_t>(boot_entry32));
    struct stat status;
    EXPECT(!sys.stat("/boot/kernel", status).is_error());
    EXPECT(status.st_size > 64 * 1024);
}

KERNEL_TEST(fs, create_write_read_rename_unlink_round_trip)
{
    FileDescriptorTable files;
    VfsContext context(kernel_vfs::vfs());
    VfsSyscall sys(context, files);
    EXPECT(!sys.mkdir("/scratch").is_error());
    EXPECT(!sys.chdir("/scratch").is_error());
    const char text[] = "round trip through the VFS";
    EXPECT(write_file(sys, "first", text, sizeof(text)));
    EXPECT(!sys.mkdir("sub").is_error());
    EXPECT(!sys.rename("first", "sub/second").is_error());
    EXPECT_EQ(read_file(sys, "first", nullptr, 0), int64_t(-ENOENT));
    char buffer[64] = {};
    EXPECT_EQ(read_file(sys, "/scratch/sub/second", buffer, sizeof(buffer)), int64_t(sizeof(text)));
    EXPECT(__builtin_strcmp(buffer, text) == 0);
    char cwd[32];
    EXPECT_EQ(sys.getcwd(cwd, sizeof(cwd)).value(), size_t(9));
    EXPECT(__builtin_strcmp(cwd, "/scratch") == 0);
    EXPECT_EQ(sys.rmdir("sub").error(), ENOTEMPTY);
    EXPECT(!sys.unlink("sub/second").is_error());
    EXPECT(!sys.rmdir("sub").is_error());
    EXPECT(!sys.chdir("/").is_error());
    EXPECT(!sys.rmdir("/scratch").is_error());
    EXPECT_EQ(files.open_count(), 0);
}

/* The heap keeps the pages it grew by, so the first round may take pages; a
 * second identical round must neither take more nor leave heap bytes in use. */
KERNEL_TEST(fs, many_files_created_and_deleted_leak_nothing)
{
    FileDescriptorTable files;
    VfsContext context(kernel_vfs::vfs());
    VfsSyscall sys(context, files);
    EXPECT(churn_files(sys, 200, 5000));
    size_t pages_before = PageManager::instance().free_page_count();
    size_t heap_before = kernel_heap::stats().used_bytes;
    size_t chunks_before = kernel_vfs::root_file_system().chunk_count();
    EXPECT(churn_files(sys, 200, 5000));
    EXPECT_EQ(kernel_vfs::root_file_system().chunk_count(), chunks_before);
    EXPECT_EQ(kernel_heap::stats().used_bytes, heap_before);
    EXPECT_EQ(PageManager::instance().free_page_count(), pages_before);
}
