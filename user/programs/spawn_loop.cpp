/* spawn_loop: spawns and reaps children in a loop, one at a time and many at
 * once, forks and execs, and checks that every exit status arrives and that the
 * free page count returns to where it started (no page leaks per process). Run with the argument
 * "child N" it is its own child: it exits with status N. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <user_test.h>

namespace {

constexpr int SERIAL_ROUNDS = 50;
constexpr int PARALLEL_CHILDREN = 8;

pid_t spawn_child(int status)
{
    char number[16];
    snprintf(number, sizeof(number), "%d", status);
    static char program[] = "spawn_loop", child[] = "child";
    char* argv[] = {program, child, number, nullptr};
    return spawn("/bin/spawn_loop", argv, nullptr);
}

void test_serial()
{
    int wrong = 0, first_wrong = -1;
    for (int round = 0; round < SERIAL_ROUNDS; ++round) {
        int expected = round % 100;
        pid_t pid = spawn_child(expected);
        int status = -1;
        if (pid < 0 || wait(pid, &status) != pid || status != expected) {
            if (!wrong++)
                first_wrong = round;
        }
    }
    user_test_expect(wrong == 0, "spawn_loop.serial_spawn_and_wait", "%d of %d rounds wrong, first %d", wrong,
                     SERIAL_ROUNDS, first_wrong);
}

void test_parallel()
{
    pid_t pids[PARALLEL_CHILDREN];
    bool spawned = true;
    for (int i = 0; i < PARALLEL_CHILDREN; ++i) {
        pids[i] = spawn_child(100 + i);
        spawned &= pids[i] > 0;
    }
    if (!user_test_expect(spawned, "spawn_loop.parallel_spawn", "%s", strerror(errno)))
        return;
    /* Reap in any order with wait(-1); each child must come back exactly once with
     * its own status. */
    int seen = 0, wrong = 0;
    for (int n = 0; n < PARALLEL_CHILDREN; ++n) {
        int status = -1;
        pid_t pid = wait(-1, &status);
        int index = -1;
        for (int i = 0; i < PARALLEL_CHILDREN; ++i)
            index = pids[i] == pid ? i : index;
        if (index < 0 || status != 100 + index || (seen & (1 << index)))
            ++wrong;
        else
            seen |= 1 << index;
    }
    user_test_expect(wrong == 0, "spawn_loop.parallel_wait_any", "%d wrong reaps", wrong);
    user_test_expect(wait(-1, nullptr) < 0 && errno == ECHILD, "spawn_loop.no_children_left", "errno %d", errno);
}

void test_fork()
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    int status = -1;
    /* fork exists (abi/syscall_numbers.h): ENOSYS here is a failure, not a skip. */
    user_test_expect(pid > 0 && wait(pid, &status) == pid && status == 42, "spawn_loop.fork_and_wait",
                     "pid %d status %d errno %d", pid, status, errno);
}

/* A forked child replaces itself with "spawn_loop child 9": the parent must
 * see the new program's status, and the old image's pages must come back. */
void test_fork_and_exec()
{
    pid_t pid = fork();
    if (pid == 0) {
        static char program[] = "spawn_loop", child[] = "child", number[] = "9";
        char* argv[] = {program, child, number, nullptr};
        exec("/bin/spawn_loop", argv, nullptr);
        _exit(99); /* exec failed */
    }
    int status = -1;
    user_test_expect(pid > 0 && wait(pid, &status) == pid && status == 9, "spawn_loop.fork_and_exec",
                     "pid %d status %d errno %d", pid, status, errno);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return atoi(argv[2]);

    /* One round first, so that whatever the kernel allocates once (caches, the
     * program's first page cache fill) is not counted as a leak. */
    pid_t warm_up = spawn_child(0);
    user_test_expect(warm_up > 0 && wait(warm_up, nullptr) == warm_up, "spawn_loop.first_spawn", "%s",
                     strerror(errno));
    long pages_before = free_pages();
    test_serial();
    test_parallel();
    test_fork();
    test_fork_and_exec();
    long pages_after = free_pages();
    user_test_expect(pages_before > 0 && pages_after == pages_before, "spawn_loop.no_pages_leaked",
                     "%ld free pages before, %ld after", pages_before, pages_after);
    return user_test_summary();
}
