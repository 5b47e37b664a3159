/* bench_compare: the same four pieces of work, run on the host and in a guest of
 * our kernel, for the guest-against-host figures of `make bench`
 * (tools/bench/run_all.py, keys guest_vs_host_*; bench_host_guest starts both
 * sides). Usage: bench_compare [DIR], where DIR (default /tmp, made when
 * missing) is a writable directory on the same kind of storage the program was
 * started from (a ramfs on both sides).
 *   cpu       integer arithmetic, no system call: what the guest's timer
 *             interrupts and the host's tick take away from it
 *   syscall   getpid round trips: a guest's system calls never leave the guest
 *   fork_exec fork, exec of this program (which exits at once), wait
 *   file      4 KiB writes of a 256 KiB file in DIR, then reads of it
 * Each prints "[user bench] compare NAME: N ops in C cycles", cycles from RDTSC
 * (a guest's TSC runs at the host's rate, offset only), so a rate is N / C on
 * both sides and their ratio needs no clock calibration. Prints figures, not a
 * verdict; exits 1 when a piece cannot run (a failed fork, exec or write). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr long CPU_ROUNDS = 2'000'000;
constexpr long SYSCALLS = 20'000;
constexpr long FORK_EXECS = 12;
constexpr size_t FILE_BYTES = 256 * 1024;
constexpr size_t PIECE = 4096;
constexpr long FILE_PASSES = 4;
/* argv[1] of the child that fork_exec starts: exit at once. */
const char* const EXIT_AT_ONCE = "--exit";
/* Without DIR (run=/bin/bench_compare): made when missing. */
const char* const DEFAULT_DIRECTORY = "/tmp";

uint64_t rdtsc()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t(high) << 32) | low;
}

void report(const char* name, long ops, uint64_t cycles)
{
    printf("[user bench] compare %s: %ld ops in %lu cycles\n", name, ops, static_cast<unsigned long>(cycles));
}

/* A multiply-xorshift chain the compiler cannot fold: each round needs the last. */
bool measure_cpu()
{
    uint64_t start = rdtsc();
    uint64_t state = 0x9E3779B97F4A7C15ull;
    for (long i = 0; i < CPU_ROUNDS; ++i) {
        state ^= state >> 12;
        state *= 0x2545F4914F6CDD1Dull;
        asm volatile("" : "+r"(state));
    }
    report("cpu", CPU_ROUNDS, rdtsc() - start);
    return state != 0;
}

bool measure_syscalls()
{
    uint64_t start = rdtsc();
    for (long i = 0; i < SYSCALLS; ++i)
        getpid();
    report("syscall", SYSCALLS, rdtsc() - start);
    return true;
}

bool measure_fork_exec(const char* self)
{
    uint64_t start = rdtsc();
    for (long i = 0; i < FORK_EXECS; ++i) {
        pid_t child = fork();
        if (child < 0) {
            printf("bench_compare: fork failed: %s\n", strerror(errno));
            return false;
        }
        if (child == 0) {
            char* argv[] = {const_cast<char*>(self), const_cast<char*>(EXIT_AT_ONCE), nullptr};
            exec(self, argv, nullptr);
            _exit(127);
        }
        int status = 0;
        if (wait(child, &status) != child || status != 0) {
            printf("bench_compare: exec of %s failed (status %d)\n", self, status);
            return false;
        }
    }
    report("fork_exec", FORK_EXECS, rdtsc() - start);
    return true;
}

bool measure_file(const char* directory)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/bench_compare.data", directory);
    static char piece[PIECE];
    for (size_t i = 0; i < PIECE; ++i)
        piece[i] = char(i * 7);
    uint64_t start = rdtsc();
    for (long pass = 0; pass < FILE_PASSES; ++pass) {
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC);
        if (fd < 0) {
            printf("bench_compare: cannot create %s: %s\n", path, strerror(errno));
            return false;
        }
        for (size_t done = 0; done < FILE_BYTES; done += PIECE) {
            if (write(fd, piece, PIECE) != ssize_t(PIECE)) {
                printf("bench_compare: write to %s failed\n", path);
                close(fd);
                return false;
            }
        }
        lseek(fd, 0, SEEK_SET);
        for (size_t done = 0; done < FILE_BYTES; done += PIECE) {
            if (read(fd, piece, PIECE) != ssize_t(PIECE)) {
                printf("bench_compare: read of %s failed\n", path);
                close(fd);
                return false;
            }
        }
        close(fd);
    }
    /* One op is a 4 KiB piece moved, written or read. */
    report("file", long(FILE_PASSES * 2 * FILE_BYTES / PIECE), rdtsc() - start);
    unlink(path);
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], EXIT_AT_ONCE) == 0)
        return 0;
    if (argc > 2) {
        dprintf(2, "usage: bench_compare [DIR] (a writable directory, default %s)\n", DEFAULT_DIRECTORY);
        return 2;
    }
    const char* directory = argc == 2 ? argv[1] : DEFAULT_DIRECTORY;
    if (argc < 2 && mkdir(directory) < 0 && errno != EEXIST) {
        printf("bench_compare: cannot make %s: %s\n", directory, strerror(errno));
        return 1;
    }
    bool ok = measure_cpu() && measure_syscalls() && measure_fork_exec(argv[0]) && measure_file(directory);
    return ok ? 0 : 1;
}
