/* vfs_bench: file system throughput for 4 KiB and 1 MiB transfers: writes a file
 * of TOTAL bytes in pieces of each size, reads it back the same way, and prints
 * "[user bench] vfs write 4KiB: 8 MiB in T us, R KiB/s" lines (no verdict). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

constexpr size_t TOTAL = 8 * 1024 * 1024;
const char* const PATH = "/vfs_bench.tmp";

void report(const char* what, const char* size_name, size_t bytes, uint64_t ns)
{
    uint64_t kib_per_second = ns ? uint64_t(bytes) * 1000000000ULL / ns / 1024 : 0;
    printf("[user bench] vfs %s %s: %zu MiB in %lu us, %lu KiB/s\n", what, size_name, bytes >> 20,
           static_cast<unsigned long>(ns / 1000), static_cast<unsigned long>(kib_per_second));
}

/* Writes and reads TOTAL bytes in `piece`-byte transfers; false on an error. */
bool run(size_t piece, const char* size_name, char* buffer)
{
    memset(buffer, 'v', piece);
    int fd = open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return false;
    uint64_t start = clock_ns();
    for (size_t done = 0; done < TOTAL; done += piece) {
        if (write(fd, buffer, piece) != ssize_t(piece))
            return false;
    }
    report("write", size_name, TOTAL, clock_ns() - start);
    lseek(fd, 0, SEEK_SET);
    start = clock_ns();
    for (size_t done = 0; done < TOTAL; done += piece) {
        if (read(fd, buffer, piece) != ssize_t(piece))
            return false;
    }
    report("read", size_name, TOTAL, clock_ns() - start);
    close(fd);
    return unlink(PATH) == 0;
}

} // namespace

int main()
{
    auto* buffer = static_cast<char*>(malloc(1024 * 1024));
    if (!buffer || !run(4096, "4KiB", buffer) || !run(1024 * 1024, "1MiB", buffer)) {
        dprintf(STDERR_FILENO, "vfs_bench: %s\n", strerror(errno));
        return 1;
    }
    free(buffer);
    return 0;
}
