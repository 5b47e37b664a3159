/* ramfs under pressure (kernel/fs/ramfs.cpp): sparse files cost only the pages
 * they touch, a file grown by truncate reads as zeros, file data stops with ENOSPC
 * when pages or the storage account run out, and a failed operation changes
 * nothing. Named after the attacks of issue #13 they pin. */
#include "file_pages_fake.h"
#include "fs/ramfs.h"
#include "heap_failure.h"
#include "unit_test.h"

#include <algorithm>
#include <string>
#include <vector>

/* The sanitizer's count of bytes the program holds (the unit tests always run
 * under AddressSanitizer, CMakeLists.txt); its header is not installed here. */
extern "C" size_t __sanitizer_get_current_allocated_bytes();

namespace {

constexpr size_t PAGE = RamFs::CHUNK_SIZE;

RefPtr<Inode> make(RamFs& fs, Inode& directory, const std::string& name, StorageAccount* account = nullptr)
{
    return fs.create(directory, name.c_str(), 0644, account).value();
}

uint64_t size_of(RamFs& fs, Inode& inode)
{
    struct stat status;
    CHECK(!fs.stat(inode, status).is_error());
    return status.st_size;
}

} // namespace

/* Regression: a 1-byte write at 0xFFFFFFFF grew a vector of a million page
 * pointers (8 MiB of kernel heap per file); 30 such files exhausted the host. */
UNIT_TEST(ramfs_sparse_write_at_4_gib_costs_one_page_not_a_chunk_table)
{
    RamFs fs;
    size_t heap_before = __sanitizer_get_current_allocated_bytes();
    std::vector<RefPtr<Inode>> files;
    for (int i = 0; i < 40; ++i) {
        files.push_back(make(fs, *fs.root(), "sparse" + std::to_string(i)));
        CHECK_EQ(fs.write(*files.back(), 0xFFFFFFFFull, "x", 1, nullptr).value(), size_t(1));
        CHECK_EQ(size_of(fs, *files.back()), uint64_t(1) << 32);
    }
    /* Per file a data page and the leaf that locates it. */
    CHECK_EQ(fs.chunk_count(), size_t(40));
    CHECK_EQ(file_pages_fake::live(), size_t(80));
    /* Those pages (the fake takes them from the heap too) and small change. */
    size_t heap_used = __sanitizer_get_current_allocated_bytes() - heap_before;
    CHECK(heap_used < 40 * (2 * PAGE + 1024));
    char back[2] = {1, 1};
    CHECK_EQ(fs.read(*files[7], 0xFFFFFFFEull, back, 2).value(), size_t(2));
    CHECK_EQ(int(back[0]), 0);
    CHECK_EQ(back[1], 'x');
    files.clear();
    for (int i = 0; i < 40; ++i)
        CHECK(!fs.unlink(*fs.root(), ("sparse" + std::to_string(i)).c_str()).is_error());
    CHECK_EQ(file_pages_fake::live(), size_t(0));
}

/* Regression: after a truncate to a larger size, a read indexed the chunk list
 * past its end and panicked the host ("Vector index ... out of range"). */
UNIT_TEST(ramfs_file_grown_by_truncate_reads_zeros_to_its_new_end)
{
    RamFs fs;
    RefPtr<Inode> file = make(fs, *fs.root(), "grown");
    CHECK(!fs.write(*file, 0, "0123456789", 10, nullptr).is_error());
    CHECK(!fs.truncate(*file, 3 * PAGE + 5).is_error());
    std::vector<char> back(4 * PAGE, 'z');
    CHECK_EQ(fs.read(*file, 0, back.data(), back.size()).value(), size_t(3 * PAGE + 5));
    CHECK_EQ(std::string(back.data(), 10), std::string("0123456789"));
    CHECK(std::all_of(back.begin() + 10, back.begin() + 3 * PAGE + 5, [](char c) { return c == 0; }));
    CHECK_EQ(fs.chunk_count(), size_t(1));
    /* Shrinking into the written page and growing again: the cut bytes are zeros. */
    CHECK(!fs.truncate(*file, 4).is_error());
    CHECK(!fs.truncate(*file, 2 * PAGE).is_error());
    CHECK_EQ(fs.read(*file, 0, back.data(), 10).value(), size_t(10));
    CHECK_EQ(std::string(back.data(), 10), std::string("0123\0\0\0\0\0\0", 10));
}

/* Regression: a guest writing 1 MiB at a time filled the host's memory until
 * allocate_chunk panicked. Now a write stops where the pages run out (a short
 * count), the next fails with ENOSPC, and the file is exactly what was written. */
UNIT_TEST(ramfs_write_stops_with_enospc_where_pages_run_out)
{
    RamFs fs;
    RefPtr<Inode> file = make(fs, *fs.root(), "fill");
    std::vector<uint8_t> mib(1 << 20, 0xAB);
    {
        /* A leaf and nine data pages. */
        file_pages_fake::Limit limit(10);
        CHECK_EQ(fs.write(*file, 100, mib.data(), mib.size(), nullptr).value(), size_t(9 * PAGE - 100));
        CHECK_EQ(fs.write(*file, 9 * PAGE, mib.data(), mib.size(), nullptr).error(), ENOSPC);
        CHECK_EQ(size_of(fs, *file), uint64_t(9 * PAGE));
        CHECK_EQ(fs.chunk_count(), size_t(9));
        /* Rewriting pages the file has costs nothing. */
        CHECK_EQ(fs.write(*file, 0, mib.data(), 9 * PAGE, nullptr).value(), size_t(9 * PAGE));
    }
    CHECK(!fs.truncate(*file, 0).is_error());
    CHECK_EQ(file_pages_fake::live(), size_t(0));
}

UNIT_TEST(ramfs_charges_the_account_that_asked_and_releases_on_the_last_reference)
{
    RamFs fs;
    RefPtr<StorageAccount> vm(new StorageAccount(3 * PAGE, 2));
    RefPtr<Inode> dir = fs.mkdir(*fs.root(), "vm", 0755, vm.get()).value();
    RefPtr<Inode> file = make(fs, *dir, "a", vm.get());
    CHECK_EQ(vm->files_used(), uint64_t(2));
    size_t inodes = fs.inode_count();
    CHECK_EQ(fs.create(*dir, "b", 0644, vm.get()).error(), ENOSPC);
    CHECK_EQ(fs.mkdir(*dir, "c", 0755, vm.get()).error(), ENOSPC);
    CHECK_EQ(fs.lookup(*dir, "b").error(), ENOENT);
    CHECK_EQ(fs.inode_count(), inodes);
    /* Bytes: three pages (a leaf and two of data), a short write, then ENOSPC. */
    std::vector<uint8_t> data(5 * PAGE, 7);
    CHECK_EQ(fs.write(*file, 0, data.data(), data.size(), vm.get()).value(), 2 * PAGE);
    CHECK_EQ(fs.write(*file, 2 * PAGE, data.data(), 1, vm.get()).error(), ENOSPC);
    CHECK_EQ(vm->bytes_used(), uint64_t(3 * PAGE));
    /* The host (no account) writing into the VM's file pays for its own page. */
    CHECK_EQ(fs.write(*file, 10 * PAGE, data.data(), 1, nullptr).value(), size_t(1));
    CHECK_EQ(vm->bytes_used(), uint64_t(3 * PAGE));
    /* A file made by the host in the VM's directory is not the VM's. */
    RefPtr<Inode> hosts = make(fs, *dir, "host's");
    CHECK_EQ(vm->files_used(), uint64_t(2));
    /* Unlinked but open: still charged, until the last reference goes, even when
     * the VM (the account's other holder) is gone by then. */
    CHECK(!fs.unlink(*dir, "a").is_error());
    CHECK_EQ(vm->files_used(), uint64_t(2));
    StorageAccount* account = vm.get();
    RefPtr<StorageAccount> watcher = vm;
    vm = nullptr;
    CHECK(!fs.truncate(*file, PAGE).is_error());
    CHECK_EQ(account->bytes_used(), uint64_t(2 * PAGE));
    file = nullptr;
    CHECK_EQ(account->files_used(), uint64_t(1));
    CHECK_EQ(account->bytes_used(), uint64_t(0));
    CHECK(!fs.unlink(*dir, "host's").is_error());
    dir = nullptr;
    CHECK(!fs.rmdir(*fs.root(), "vm").is_error());
    CHECK_EQ(account->files_used(), uint64_t(0));
    CHECK_EQ(file_pages_fake::live(), size_t(0));
}

/* Every nothrow allocation of create, mkdir, rename and write made to fail in
 * turn: the call fails with ENOMEM (or succeeds), and a failure leaves the names,
 * the inode count, the pages and the account as they were. */
UNIT_TEST(ramfs_failed_allocation_changes_nothing)
{
    RamFs fs;
    RefPtr<StorageAccount> vm(new StorageAccount(1 << 20, 100));
    RefPtr<Inode> from = fs.mkdir(*fs.root(), "from", 0755, vm.get()).value();
    RefPtr<Inode> to = fs.mkdir(*fs.root(), "to", 0755, vm.get()).value();
    RefPtr<Inode> file = make(fs, *from, "file", vm.get());
    auto snapshot = [&] {
        return std::vector<uint64_t>{fs.inode_count(), fs.chunk_count(), vm->files_used(), vm->bytes_used(),
                                     size_of(fs, *from), size_of(fs, *to), size_of(fs, *file)};
    };
    /* Each returns 0 on success or the errno, with the heap failing after `successes`. */
    auto create = [&](size_t successes) {
        heap_failure::Armed armed(successes);
        Result<RefPtr<Inode>> made = fs.create(*to, "new", 0644, vm.get());
        return made.is_error() ? made.error() : 0;
    };
    auto rename = [&](size_t successes) {
        heap_failure::Armed armed(successes);
        Result<void> moved = fs.rename(*from, "file", *to, "moved");
        return moved.is_error() ? moved.error() : 0;
    };
    auto write = [&](size_t successes, uint64_t at) {
        heap_failure::Armed armed(successes);
        Result<size_t> written = fs.write(*file, at, "x", 1, vm.get());
        return written.is_error() ? written.error() : 0;
    };
    size_t failures = 0;
    for (size_t successes = 0; successes < 4; ++successes) {
        std::vector<uint64_t> before = snapshot();
        if (int error = create(successes)) {
            CHECK_EQ(error, ENOMEM);
            CHECK(snapshot() == before);
            CHECK_EQ(fs.lookup(*to, "new").error(), ENOENT);
            ++failures;
        } else {
            CHECK(!fs.unlink(*to, "new").is_error());
        }
        CHECK(snapshot() == before);
        if (int error = rename(successes)) {
            CHECK_EQ(error, ENOMEM);
            CHECK(snapshot() == before);
            CHECK(!fs.lookup(*from, "file").is_error());
            CHECK_EQ(fs.lookup(*to, "moved").error(), ENOENT);
            ++failures;
        } else {
            CHECK(!fs.rename(*to, "moved", *from, "file").is_error());
        }
        if (int error = write(successes, (successes * 2 + 5) * PAGE)) {
            CHECK_EQ(error, ENOMEM);
            CHECK(snapshot() == before);
            ++failures;
        }
    }
    /* With no allocation allowed, all three fail. */
    CHECK(failures >= 3);
}
