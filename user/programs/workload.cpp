/* workload: a deterministic file workload for many VMs at once (docs/multi-vm.md).
 * Each round writes FILES_PER_ROUND new files whose bytes follow from (seed, round,
 * index) (user/workload/workload_content.h), reads them back, checks the previous
 * round's files are still intact, deletes those and renames the new ones into their
 * place, and records the round in DIR/state. Whoever knows seed and round knows
 * every byte DIR must hold, so the host can check a guest's files and a Python tool
 * can check the host's answer.
 *   workload run [--seed N] [--rounds R] [--seconds S] DIR
 *       rounds until R are done or S seconds have passed (at least one round);
 *       a DIR that holds a state file is checked and continued
 *   workload check DIR     checks DIR against its state file
 *   workload clean DIR     removes the files and DIR
 * Each prints one line "workload: PASS ..." or "workload: FAIL ..."; run says
 * "workload: start ..." first, when its rounds begin. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload/workload_content.h"

namespace {

using workload::ContentStream;
using workload::FILES_PER_ROUND;

const char* const USAGE = "usage: workload run [--seed N] [--rounds R] [--seconds S] DIR\n"
                          "       workload check DIR\n"
                          "       workload clean DIR\n";

/* Odd sizes, so that writes and reads straddle each other and the 4 KiB pages. */
constexpr size_t WRITE_PIECE = 1000;
constexpr size_t READ_PIECE = 777;
constexpr size_t MAX_FILE_SIZE = workload::MIN_FILE_SIZE + workload::FILE_SIZE_SPREAD;

struct State {
    uint64_t seed = 1;
    uint64_t round = 0; /* the round the files f0.. hold */
};

char failure[160];

/* Records why the run failed (the first reason wins) and returns false. */
bool fail(const char* format, const char* path, int error = 0)
{
    if (!failure[0])
        snprintf(failure, sizeof(failure), "%s %s%s%s", format, path, error ? ": " : "", error ? strerror(error) : "");
    return false;
}

void file_path(char* out, size_t size, const char* dir, const char* prefix, int index)
{
    snprintf(out, size, "%s/%s%d", dir, prefix, index);
}

bool write_file(const char* path, uint64_t seed, uint64_t round, int index)
{
    static uint8_t piece[WRITE_PIECE];
    ContentStream stream(seed, round, uint64_t(index));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("cannot create", path, errno);
    for (size_t done = 0; done < stream.size();) {
        size_t count = stream.size() - done < WRITE_PIECE ? stream.size() - done : WRITE_PIECE;
        for (size_t i = 0; i < count; ++i)
            piece[i] = stream.next_byte();
        ssize_t written = write(fd, piece, count);
        if (written != ssize_t(count)) {
            close(fd);
            return fail("short write to", path, written < 0 ? errno : 0);
        }
        done += count;
    }
    return close(fd) == 0 || fail("cannot close", path, errno);
}

/* Checks that `path` holds exactly file `index` of `round`, adding its bytes to `sum`. */
bool check_file(const char* path, uint64_t seed, uint64_t round, int index, workload::Checksum* sum)
{
    static uint8_t piece[READ_PIECE];
    ContentStream stream(seed, round, uint64_t(index));
    struct stat st;
    if (stat(path, &st) != 0)
        return fail("cannot stat", path, errno);
    if (uint64_t(st.st_size) != stream.size())
        return fail("wrong size of", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return fail("cannot open", path, errno);
    size_t done = 0;
    for (ssize_t got; (got = read(fd, piece, sizeof(piece))) > 0; done += size_t(got)) {
        for (ssize_t i = 0; i < got; ++i) {
            if (done + size_t(i) >= stream.size() || piece[i] != stream.next_byte()) {
                close(fd);
                return fail("wrong bytes in", path);
            }
        }
        if (sum)
            sum->add(piece, size_t(got));
    }
    close(fd);
    return done == stream.size() || fail("short read of", path);
}

bool check_round(const char* dir, const State& state, workload::Checksum* sum)
{
    char path[128];
    for (int index = 0; index < FILES_PER_ROUND; ++index) {
        file_path(path, sizeof(path), dir, "f", index);
        if (!check_file(path, state.seed, state.round, index, sum))
            return false;
    }
    return true;
}

bool write_state(const char* dir, const State& state)
{
    char path[128], text[64];
    snprintf(path, sizeof(path), "%s/state", dir);
    int length = snprintf(text, sizeof(text), "seed %lu round %lu\n", (unsigned long)state.seed,
                          (unsigned long)state.round);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("cannot create", path, errno);
    bool written = write(fd, text, size_t(length)) == length;
    return (close(fd) == 0 && written) || fail("cannot write", path, errno);
}

/* Reads DIR/state; false (with errno ENOENT) when there is none. */
bool read_state(const char* dir, State& state)
{
    char path[128], text[64] = {};
    snprintf(path, sizeof(path), "%s/state", dir);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t got = read(fd, text, sizeof(text) - 1);
    close(fd);
    char* end = nullptr;
    if (got <= 0 || strncmp(text, "seed ", 5) != 0)
        return fail("no seed in", path);
    state.seed = strtoul(text + 5, &end, 10);
    if (strncmp(end, " round ", 7) != 0)
        return fail("no round in", path);
    state.round = strtoul(end + 7, &end, 10);
    return *end == '\n' || fail("bad state in", path);
}

/* One round: new files beside the old ones, both checked, then the old ones
 * deleted and the new ones renamed into their place. */
bool run_round(const char* dir, State& state, bool has_files)
{
    char fresh[128], old[128];
    uint64_t round = has_files ? state.round + 1 : state.round;
    for (int index = 0; index < FILES_PER_ROUND; ++index) {
        file_path(fresh, sizeof(fresh), dir, "new", index);
        if (!write_file(fresh, state.seed, round, index))
            return false;
    }
    for (int index = 0; index < FILES_PER_ROUND; ++index) {
        file_path(fresh, sizeof(fresh), dir, "new", index);
        if (!check_file(fresh, state.seed, round, index, nullptr))
            return false;
    }
    if (has_files && !check_round(dir, state, nullptr))
        return false;
    for (int index = 0; index < FILES_PER_ROUND; ++index) {
        file_path(fresh, sizeof(fresh), dir, "new", index);
        file_path(old, sizeof(old), dir, "f", index);
        if (has_files && unlink(old) != 0)
            return fail("cannot delete", old, errno);
        if (rename(fresh, old) != 0)
            return fail("cannot rename to", old, errno);
    }
    state.round = round;
    if (!write_state(dir, state))
        return false;
    int entries = count_directory_entries(dir);
    return entries == FILES_PER_ROUND + 1 || fail("wrong number of entries in", dir);
}

bool parse_number(const char* text, uint64_t& value)
{
    char* end = nullptr;
    unsigned long parsed = strtoul(text, &end, 10);
    if (!*text || *end)
        return false;
    value = parsed;
    return true;
}

int report(bool ok, const char* what, const char* dir, const State& state, uint64_t rounds, uint64_t checksum)
{
    if (!ok) {
        printf("workload: FAIL %s %s: %s\n", what, dir, failure);
        return 1;
    }
    printf("workload: PASS %s dir=%s seed=%lu rounds=%lu round=%lu files=%d checksum=%016lx\n", what, dir,
           (unsigned long)state.seed, (unsigned long)rounds, (unsigned long)state.round, FILES_PER_ROUND,
           (unsigned long)checksum);
    return 0;
}

int run(int argc, char** argv)
{
    State state;
    uint64_t rounds = 1, seconds = 0;
    int i = 2;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        uint64_t* target = strcmp(argv[i], "--seed") == 0     ? &state.seed
                           : strcmp(argv[i], "--rounds") == 0  ? &rounds
                           : strcmp(argv[i], "--seconds") == 0 ? &seconds
                                                               : nullptr;
        if (!target || !parse_number(argv[i + 1], *target)) {
            dprintf(2, "workload: bad option %s %s\n%s", argv[i], argv[i + 1], USAGE);
            return 2;
        }
    }
    if (i + 1 != argc) {
        dprintf(2, "%s", USAGE);
        return 2;
    }
    const char* dir = argv[i];
    if (seconds > 0 && rounds == 1)
        rounds = ~0ull; /* --seconds alone: as many rounds as fit */
    bool ok = mkdir(dir) == 0 || errno == EEXIST || fail("cannot create", dir, errno);
    bool has_files = ok && read_state(dir, state);
    ok = ok && !failure[0] && (!has_files || check_round(dir, state, nullptr));
    if (ok) {
        printf("workload: start run dir=%s seed=%lu round=%lu\n", dir, (unsigned long)state.seed,
               (unsigned long)(has_files ? state.round + 1 : state.round));
    }
    uint64_t start = clock_ns(), done = 0;
    for (; ok && done < rounds; ++done) {
        ok = run_round(dir, state, has_files || done > 0);
        if (seconds && clock_ns() - start >= seconds * 1000000000ull) {
            ++done;
            break;
        }
    }
    workload::Checksum sum;
    ok = ok && check_round(dir, state, &sum);
    return report(ok, "run", dir, state, done, sum.value());
}

int check(const char* dir)
{
    State state;
    workload::Checksum sum;
    bool ok = read_state(dir, state) || fail("no state file in", dir, ENOENT);
    ok = ok && check_round(dir, state, &sum);
    int entries = ok ? count_directory_entries(dir) : 0;
    ok = ok && (entries == FILES_PER_ROUND + 1 || fail("wrong number of entries in", dir));
    return report(ok, "check", dir, state, 0, sum.value());
}

int clean(const char* dir)
{
    char path[128];
    for (int index = 0; index < FILES_PER_ROUND; ++index) {
        file_path(path, sizeof(path), dir, "f", index);
        unlink(path);
        file_path(path, sizeof(path), dir, "new", index);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/state", dir);
    unlink(path);
    if (rmdir(dir) != 0) {
        printf("workload: FAIL clean %s: cannot remove it: %s\n", dir, strerror(errno));
        return 1;
    }
    printf("workload: PASS clean dir=%s\n", dir);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc >= 3 && strcmp(argv[1], "run") == 0)
        return run(argc, argv);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    if (argc == 3 && strcmp(argv[1], "clean") == 0)
        return clean(argv[2]);
    dprintf(2, "%s", USAGE);
    return 2;
}
