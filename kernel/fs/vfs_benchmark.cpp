/* bench=vfs; see vfs_benchmark.h. */
#include "fs/vfs_benchmark.h"

#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "fs/kernel_vfs.h"
#include "mm/kernel_heap.h"

namespace vfs_benchmark {

namespace {

constexpr size_t TOTAL = 2 * 1024 * 1024;
constexpr size_t LARGEST_PIECE = 1024 * 1024;
constexpr const char* PATH = "/vfs_benchmark.tmp";

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
    }
    kfree(buffer);
}

} // namespace vfs_benchmark
