/* fs_attack: the file attacks of issue #13 ("The host never falls"), run on the
 * host or inside a guest whose files are the host's (docs/hypercalls.md, "Files").
 * Each attack must end in data or a clear errno, never in a host panic:
 *   - a 1-byte write at 0xFFFFFFFF into each of 40 files (sparse: cheap), and one
 *     past 4 GiB (EFBIG);
 *   - a file grown by ftruncate, read back (zeros);
 *   - 1 MiB writes into one file until ENOSPC (the VM's quota in a guest, the
 *     kernel's page reserve on the host), then another program run;
 *   - files created until ENOSPC (a guest's file quota) or FILES_AT_MOST.
 * It leaves only /fs_attack_marker (to show where a guest's files land) and checks
 * that free plus heap pages come back to where they were. Lines for the tests:
 *   fs_attack: fill ENOSPC after N bytes, free pages F, heap pages H
 *   fs_attack: files ENOSPC after N files  (or "files: made N, no limit") */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <user_test.h>

namespace {

constexpr int SPARSE_FILES = 40;
constexpr off_t LAST_BYTE = 0xFFFFFFFF; /* the last byte of a 4 GiB file */
constexpr size_t MIB = 1 << 20;
constexpr int FILES_AT_MOST = 1500;
constexpr const char* DIRECTORY = "/fs_attack";

char mib[MIB];

long pages_held() { return free_pages() + heap_pages(); }

void sparse_files()
{
    char path[64];
    int done = 0, error = 0;
    for (int i = 0; i < SPARSE_FILES; ++i) {
        snprintf(path, sizeof(path), "%s/sparse_%d", DIRECTORY, i);
        int fd = open(path, O_RDWR | O_CREAT, 0644);
        struct stat status;
        bool ok = fd >= 0 && lseek(fd, LAST_BYTE, SEEK_SET) == LAST_BYTE && write(fd, "x", 1) == 1 &&
                  fstat(fd, &status) == 0 && status.st_size == LAST_BYTE + 1;
        if (!ok && !error)
            error = errno;
        done += ok;
        if (i == 0) {
            /* One byte past the largest file: EFBIG, the file unchanged. */
            ssize_t past = write(fd, "y", 1);
            user_test_expect(past == -1 && errno == EFBIG, "fs_attack.write_past_4_gib_is_efbig",
                             "write gave %ld (%s)", long(past), strerror(errno));
        }
        close(fd);
    }
    user_test_expect(done == SPARSE_FILES, "fs_attack.one_byte_at_4_gib_in_40_files",
                     "%d of %d files (%s)", done, SPARSE_FILES, strerror(error));
    bool reads = true;
    char back[2] = {1, 1};
    int fd = open("/fs_attack/sparse_7", O_RDONLY);
    reads = fd >= 0 && lseek(fd, LAST_BYTE - 1, SEEK_SET) == LAST_BYTE - 1 && read(fd, back, 2) == 2 &&
            back[0] == 0 && back[1] == 'x';
    close(fd);
    user_test_expect(reads, "fs_attack.sparse_file_reads_hole_then_byte", "read %d %d", back[0], back[1]);
    int removed = 0;
    for (int i = 0; i < SPARSE_FILES; ++i) {
        snprintf(path, sizeof(path), "%s/sparse_%d", DIRECTORY, i);
        removed += unlink(path) == 0;
    }
    user_test_expect(removed == SPARSE_FILES, "fs_attack.sparse_files_removed", "%d removed", removed);
}

void truncated_up()
{
    int fd = open("/fs_attack/grown", O_RDWR | O_CREAT | O_TRUNC, 0644);
    const off_t grown = 3 * 4096 + 5;
    bool ok = fd >= 0 && write(fd, "abcdef", 6) == 6 && ftruncate(fd, grown) == 0;
    static char back[4 * 4096];
    ssize_t got = ok && lseek(fd, 0, SEEK_SET) == 0 ? read(fd, back, sizeof(back)) : -1;
    bool zeros = got == grown && memcmp(back, "abcdef", 6) == 0;
    for (ssize_t i = 6; zeros && i < got; ++i)
        zeros = back[i] == 0;
    user_test_expect(zeros, "fs_attack.file_grown_by_ftruncate_reads_zeros", "read %ld of %ld bytes (%s)", long(got),
                     long(grown), strerror(errno));
    /* Cut into the written bytes and grow again: the cut ones read as zeros. */
    ok = ftruncate(fd, 2) == 0 && ftruncate(fd, 6) == 0 && lseek(fd, 0, SEEK_SET) == 0 && read(fd, back, 6) == 6 &&
         memcmp(back, "ab\0\0\0\0", 6) == 0;
    user_test_expect(ok, "fs_attack.cut_tail_reads_zeros_after_regrowing", "%s", strerror(errno));
    user_test_expect(ftruncate(fd, (off_t(1) << 32) + 1) == -1 && errno == EFBIG, "fs_attack.ftruncate_past_4_gib_is_efbig",
                     "%s", strerror(errno));
    close(fd);
    unlink("/fs_attack/grown");
}

bool run_echo()
{
    static char program[] = "echo", text[] = "fs_attack: another program runs";
    char* argv[] = {program, text, nullptr};
    pid_t pid = spawn("/bin/echo", argv, nullptr);
    int status = -1;
    return pid > 0 && wait(pid, &status) == pid && status == 0;
}

void fill()
{
    memset(mib, 0x5A, sizeof(mib));
    int fd = open("/fs_attack/fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    size_t total = 0;
    int error = 0;
    while (fd >= 0) {
        ssize_t written = write(fd, mib, MIB);
        if (written < 0) {
            error = errno;
            break;
        }
        total += size_t(written);
    }
    /* Read at once: nothing else ran since the write that failed. */
    long free_now = free_pages(), heap_now = heap_pages();
    printf("fs_attack: fill %s after %lu bytes, free pages %ld, heap pages %ld\n",
           error == ENOSPC ? "ENOSPC" : strerror(error), (unsigned long)total, free_now, heap_now);
    user_test_expect(error == ENOSPC && total > 0, "fs_attack.fill_ends_with_enospc", "%s after %lu bytes",
                     strerror(error), (unsigned long)total);
    close(fd);
    user_test_expect(unlink("/fs_attack/fill") == 0, "fs_attack.full_file_removed", "%s", strerror(errno));
    user_test_expect(run_echo(), "fs_attack.another_program_runs_afterwards", "spawn or exit failed");
}

void many_files()
{
    char path[64];
    int made = 0, error = 0;
    for (; made < FILES_AT_MOST; ++made) {
        snprintf(path, sizeof(path), "%s/file_%d", DIRECTORY, made);
        int fd = open(path, O_WRONLY | O_CREAT, 0644);
        if (fd < 0) {
            error = errno;
            break;
        }
        close(fd);
    }
    if (error == ENOSPC)
        printf("fs_attack: files ENOSPC after %d files\n", made);
    else
        printf("fs_attack: files made %d, no limit\n", made);
    user_test_expect(error == 0 || error == ENOSPC, "fs_attack.files_end_with_enospc_or_the_count",
                     "%s after %d files", strerror(error), made);
    int removed = 0;
    for (int i = 0; i < made; ++i) {
        snprintf(path, sizeof(path), "%s/file_%d", DIRECTORY, i);
        removed += unlink(path) == 0;
    }
    user_test_expect(removed == made, "fs_attack.files_removed", "%d of %d", removed, made);
}

} // namespace

int main()
{
    /* Left behind on purpose: where it lands shows where this program's files go. */
    int marker = open("/fs_attack_marker", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    user_test_expect(marker >= 0 && write(marker, "fs_attack was here\n", 19) == 19 && close(marker) == 0,
                     "fs_attack.marker_written", "%s", strerror(errno));
    long before = pages_held();
    if (!user_test_expect(mkdir(DIRECTORY, 0755) == 0, "fs_attack.directory_made", "%s", strerror(errno)))
        return user_test_summary();
    sparse_files();
    truncated_up();
    fill();
    many_files();
    user_test_expect(rmdir(DIRECTORY) == 0, "fs_attack.directory_removed", "%s", strerror(errno));
    long after = pages_held();
    printf("fs_attack: free plus heap pages %ld before, %ld after\n", before, after);
    user_test_expect(after == before, "fs_attack.free_plus_heap_pages_come_back", "%ld before, %ld after", before,
                     after);
    return user_test_summary();
}
