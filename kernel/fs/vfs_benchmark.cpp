/* bench=vfs; see vfs_benchmark.h. */
#include "fs/vfs_benchmark.h"

#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "abi/dirent.h"
#include "fs/kernel_vfs.h"
#include "lib/format.h"
#include "mm/kernel_heap.h"

namespace vfs_benchmark {

namespace {

constexpr size_t TOTAL = 2 * 1024 * 1024;
constexpr size_t LARGEST_PIECE = 1024 * 1024;
/* In /shared: the one place a guest may write under the host's default export
 * (docs/hypercalls.md, "What a VM may change"); the host's initrd has it too. */
constexpr const char* PATH = "/shared/vfs_benchmark.tmp";
constexpr const char* LISTING = "/shared/vfs_benchmark.dir";
constexpr size_t LISTING_NAMES = 200;

/* TSC cycles to move TOTAL bytes in `piece`-byte transfers; 0 on an error. */
uint64_t transfer(VfsSyscall& sys, int fd, uint8_t* buffer, size_t piece, bool writing)
{
    if (sys.lseek(fd, 0, SEEK_SET).is_error())
        return 0;
    uint64_t start = cpu::rdtsc();
    for (size_t done = 0; done < TOTAL; done += piece) {
        Result<size_t> moved = writing ? sys.write(fd, buffer, piece) : sys.read(fd, buffer, piece);
        if (moved.is_error() || moved.value() != piece)
            return 0;
    }
    return cpu::rdtsc() - start;
}

void measure(VfsSyscall& sys, uint8_t* buffer, size_t piece, const char* piece_name)
{
    Result<int> fd = sys.open(PATH, O_RDWR | O_CREAT | O_TRUNC);
    if (fd.is_error()) {
        log(LogCategory::fs, "bench vfs: cannot create %s: %s", PATH, errno_name(fd.error()));
        return;
    }
    uint64_t write_cycles = transfer(sys, fd.value(), buffer, piece, true);
    uint64_t read_cycles = transfer(sys, fd.value(), buffer, piece, false);
    (void)sys.close(fd.value());
    (void)sys.unlink(PATH);
    log(LogCategory::fs, "bench vfs write %s: %zu bytes in %lu cycles", piece_name, TOTAL, write_cycles);
    log(LogCategory::fs, "bench vfs read %s: %zu bytes in %lu cycles", piece_name, TOTAL, read_cycles);
}

/* `ls -l` of a directory of LISTING_NAMES files: every name listed, then each
 * one's status by path, as ls does. */
void measure_listing(VfsSyscall& sys, uint8_t* buffer)
{
    char path[64];
    bool made = !sys.mkdir(LISTING).is_error();
    for (size_t i = 0; made && i < LISTING_NAMES; ++i) {
        format_string(path, sizeof(path), "%s/file%03zu", LISTING, i);
        Result<int> fd = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC);
        made = !fd.is_error() && !sys.close(fd.value()).is_error();
    }
    Result<int> directory = sys.open(LISTING, O_RDONLY | O_DIRECTORY);
    size_t names = 0;
    uint64_t start = cpu::rdtsc();
    for (bool more = made && !directory.is_error(); more;) {
        Result<size_t> used = sys.getdents(directory.value(), buffer, 64 * 1024);
        more = !used.is_error() && used.value() > 0;
        for (size_t at = 0; more && at < used.value(); at += reinterpret_cast<struct dirent*>(buffer + at)->d_reclen) {
            auto* record = reinterpret_cast<struct dirent*>(buffer + at);
            format_string(path, sizeof(path), "%s/%s", LISTING, record->d_name);
            struct stat status {};
            if (!sys.stat(path, status).is_error())
                ++names;
        }
    }
    uint64_t cycles = cpu::rdtsc() - start;
    if (!directory.is_error())
        (void)sys.close(directory.value());
    for (size_t i = 0; i < LISTING_NAMES; ++i) {
        format_string(path, sizeof(path), "%s/file%03zu", LISTING, i);
        (void)sys.unlink(path);
    }
    (void)sys.rmdir(LISTING);
    if (!made || names < LISTING_NAMES) {
        log(LogCategory::fs, "bench vfs list: could not make or list %s (%zu names)", LISTING, names);
        return;
    }
    log(LogCategory::fs, "bench vfs list %zufiles: %zu names in %lu cycles", LISTING_NAMES, names, cycles);
}

} // namespace

void run()
{
    auto* buffer = static_cast<uint8_t*>(kmalloc(LARGEST_PIECE));
    if (!buffer) {
        log(LogCategory::fs, "bench vfs: no memory for a 1 MiB buffer");
        return;
    }
    for (size_t i = 0; i < LARGEST_PIECE; ++i)
        buffer[i] = uint8_t(i);
    {
        MutexLocker locker(kernel_vfs::lock());
        FileDescriptorTable files;
        VfsSyscall sys(kernel_vfs::context(), files);
        log(LogCategory::fs, "bench vfs on %s", kernel_vfs::vfs().root()->file_system().name());
        measure(sys, buffer, 4096, "4KiB");
        measure(sys, buffer, LARGEST_PIECE, "1MiB");
        measure_listing(sys, buffer);
    }
    kfree(buffer);
}

} // namespace vfs_benchmark
