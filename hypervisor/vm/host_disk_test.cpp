/* In-kernel tests of the host files behind the VMs' IDE disks (set `hypervisor`,
 * no VMX needed): which files may back a disk, holes reading as zeros, writes
 * reaching the file, the pages writes fill in charged to the VM's storage
 * account, and host-side trouble (a shrunk file, a closed disk, a range
 * past the end) answered with a failure for the disk model, never a panic. */
#include "abi/errno.h"
#include "abi/fcntl.h"
#include "fs/kernel_vfs.h"
#include "hypervisor/vm/host_disk.h"
#include "lib/string.h"
#include "test/kernel_test.h"

namespace {

constexpr const char* SPARSE = "/host_disk_test.img";
constexpr const char* TINY = "/host_disk_tiny.img";
constexpr uint64_t SPARSE_SECTORS = 2048; /* 1 MiB, all hole */

/* A file of `size` bytes, made by ftruncate (a hole) with `data` at its start. */
bool make_file(const char* path, uint64_t size, const void* data = nullptr, size_t data_size = 0)
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    Result<int> fd = sys.open(path, O_RDWR | O_CREAT | O_TRUNC);
    if (fd.is_error())
        return false;
    bool ok = !sys.ftruncate(fd.value(), size).is_error();
    if (ok && data_size)
        ok = !sys.write(fd.value(), data, data_size).is_error();
    return !sys.close(fd.value()).is_error() && ok;
}

bool truncate_file(const char* path, uint64_t size)
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    Result<int> fd = sys.open(path, O_RDWR);
    if (fd.is_error())
        return false;
    bool ok = !sys.ftruncate(fd.value(), size).is_error();
    return !sys.close(fd.value()).is_error() && ok;
}

/* Byte `offset` of `path` as the file system has it, or -1. */
int byte_of(const char* path, uint64_t offset)
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    Result<int> fd = sys.open(path, O_RDONLY);
    if (fd.is_error())
        return -1;
    uint8_t byte = 0;
    bool ok = !sys.lseek(fd.value(), int64_t(offset), SEEK_SET).is_error();
    Result<size_t> got = sys.read(fd.value(), &byte, 1);
    ok = ok && !got.is_error() && got.value() == 1;
    return !sys.close(fd.value()).is_error() && ok ? byte : -1;
}

void remove(const char* path)
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    (void)sys.unlink(path);
}

} // namespace

KERNEL_TEST(hypervisor, host_disk_takes_only_regular_files_of_a_sector)
{
    EXPECT(make_file(TINY, 511));
    EXPECT_EQ(HostDisk::check("/no/such/disk.img").error(), ENOENT);
    EXPECT_EQ(HostDisk::check("/").error(), EISDIR);
    EXPECT_EQ(HostDisk::check(TINY).error(), EINVAL);
    EXPECT(make_file(TINY, 1024 + 100));
    Result<uint64_t> sectors = HostDisk::check(TINY);
    EXPECT(!sectors.is_error() && sectors.value() == 2); /* the partial sector is not addressable */
    remove(TINY);
}

KERNEL_TEST(hypervisor, host_disk_reads_holes_as_zeros_and_writes_reach_the_file)
{
    static uint8_t sector[2 * HostDisk::SECTOR_SIZE];
    uint8_t head[4] = {0xEB, 0x3C, 0x90, 0x4D};
    EXPECT(make_file(SPARSE, SPARSE_SECTORS * HostDisk::SECTOR_SIZE, head, sizeof(head)));
    HostDisk disk;
    EXPECT(!disk.open(SPARSE, nullptr).is_error());
    EXPECT_EQ(disk.sector_count(), SPARSE_SECTORS);
    memset(sector, 0xAA, sizeof(sector));
    EXPECT(disk.read_sectors(0, 1, sector));
    EXPECT(sector[0] == 0xEB && sector[3] == 0x4D && sector[4] == 0 && sector[511] == 0);
    memset(sector, 0xAA, sizeof(sector));
    EXPECT(disk.read_sectors(1000, 2, sector));
    bool zeros = true;
    for (uint8_t byte : sector)
        zeros = zeros && byte == 0;
    EXPECT(zeros);
    for (size_t i = 0; i < sizeof(sector); ++i)
        sector[i] = uint8_t(i * 3);
    EXPECT(disk.write_sectors(SPARSE_SECTORS - 2, 2, sector));
    EXPECT_EQ(byte_of(SPARSE, (SPARSE_SECTORS - 2) * HostDisk::SECTOR_SIZE + 7), 21);
    EXPECT_EQ(byte_of(SPARSE, SPARSE_SECTORS * HostDisk::SECTOR_SIZE - 1), uint8_t((1023 * 3) & 0xFF));
    /* Past the end, or wrapping around: refused, nothing written. */
    EXPECT(!disk.write_sectors(SPARSE_SECTORS - 1, 2, sector));
    EXPECT(!disk.read_sectors(SPARSE_SECTORS, 1, sector));
    EXPECT(!disk.read_sectors(~0ull, 2, sector));
    MutexLocker locker(kernel_vfs::lock());
    disk.close_locked();
}

KERNEL_TEST(hypervisor, host_disk_survives_a_shrunk_file_and_being_closed)
{
    static uint8_t sector[HostDisk::SECTOR_SIZE];
    EXPECT(make_file(SPARSE, 64 * HostDisk::SECTOR_SIZE));
    HostDisk disk;
    EXPECT(!disk.open(SPARSE, nullptr).is_error());
    /* Someone on the host cut the file: what is gone reads as zeros. */
    EXPECT(truncate_file(SPARSE, HostDisk::SECTOR_SIZE));
    memset(sector, 0xAA, sizeof(sector));
    EXPECT(disk.read_sectors(40, 1, sector));
    EXPECT(sector[0] == 0 && sector[511] == 0);
    remove(SPARSE);
    {
        MutexLocker locker(kernel_vfs::lock());
        disk.close_locked();
    }
    EXPECT(!disk.is_open());
    EXPECT(!disk.read_sectors(0, 1, sector));
    EXPECT(!disk.write_sectors(0, 1, sector));
}

KERNEL_TEST(hypervisor, host_disk_charges_filled_holes_to_the_vms_account)
{
    static uint8_t sector[HostDisk::SECTOR_SIZE];
    constexpr uint64_t LIMIT = 3 * 4096;
    EXPECT(make_file(SPARSE, SPARSE_SECTORS * HostDisk::SECTOR_SIZE));
    RefPtr<StorageAccount> account;
    {
        MutexLocker locker(kernel_vfs::lock());
        account = RefPtr<StorageAccount>(new (std::nothrow) StorageAccount(LIMIT, 16));
    }
    EXPECT(account);
    if (!account)
        return;
    HostDisk disk;
    EXPECT(!disk.open(SPARSE, account).is_error());
    memset(sector, 0x5A, sizeof(sector));
    /* One sector into each 4 KiB page: a new page each, until the account is full. */
    uint64_t pages = 0;
    while (pages < 16 && disk.write_sectors(pages * 8, 1, sector))
        ++pages;
    EXPECT(pages >= 1 && pages <= 3);
    EXPECT(account->bytes_used() <= LIMIT);
    EXPECT(account->bytes_used() >= pages * 4096);
    /* The refused write changed nothing: that page still reads as a hole. */
    EXPECT_EQ(byte_of(SPARSE, pages * 8 * HostDisk::SECTOR_SIZE), 0);
    /* A page already taken is rewritten without a new charge. */
    uint64_t used = account->bytes_used();
    EXPECT(disk.write_sectors(1, 1, sector));
    EXPECT_EQ(account->bytes_used(), used);
    {
        MutexLocker locker(kernel_vfs::lock());
        disk.close_locked();
    }
    /* Removing the file gives the pages, and the charge, back. */
    remove(SPARSE);
    EXPECT_EQ(account->bytes_used(), 0u);
    MutexLocker locker(kernel_vfs::lock());
    account = nullptr;
}
