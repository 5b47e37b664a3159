/* faultwalk: walks the allocation failure points of system calls, as Linux's
 * failslab and fail_page_alloc let a tester do (docs/hostile-guests.md, "Memory").
 * For each operation it arms the kernel (the fail_alloc system call) to fail the
 * k-th fallible allocation from now, for k = 1, 2, ... until the operation makes
 * fewer than k allocations, and checks each time that the call either failed with
 * an errno or succeeded, that the state is consistent, and that free plus heap
 * pages are back where they started (nothing leaked). That the program prints its
 * summary at all shows the host did not panic.
 *
 *     faultwalk [--max K] [--sites heap|page|all] [GROUP or OPERATION...]
 *
 * GROUPs: files (files.create, .write, .read, .rename, .unlink, .mkdir,
 * .getdents, .dup, .terminal), process (process.spawn, .fork, .exec, .brk) and vm
 * (vm.guest: vm start of /guests/poweroff, which ends by itself; vm.kernel: vm
 * start of /boot/kernel, then vm stop; each then waits for the VM's end).
 * Without one: files and process. --max K stops each operation's walk after K
 * sites. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <user_test.h>

namespace {

constexpr const char* SELF = "/bin/faultwalk";
constexpr const char* DIRECTORY = "/faultwalk";
constexpr size_t FILE_BYTES = 10000;
/* Ended VMs keep their record until a new VM takes the slot (vm_manager.h,
 * MAX_VMS): after this many warm-up starts every start replaces one. */
constexpr int VM_RECORD_SLOTS = 8;
/* Exit statuses of the exec child (run_exec). */
constexpr int EXEC_ABSORBED = 3;
constexpr int EXEC_FAILED_UNARMED = 99;
constexpr int EXEC_FAILED_ERRNO = 100;

unsigned long max_sites = ~0ul;
unsigned sites_mask = FAIL_ALLOC_ALL;

struct Totals {
    unsigned long sites;
    unsigned long leaks;
    unsigned long wrong;
} totals;

long free_and_heap_pages() { return free_pages() + heap_pages(); }

/* One operation to walk: run() returns 0 on success or -errno; undo() puts the
 * state back as it was before run() (whether run() succeeded or not), unarmed. */
struct Operation {
    const char* name;
    long (*run)();
    void (*undo)();
    /* Unarmed rounds before the baseline, for what the kernel keeps once made. */
    int warm_up_rounds;
};

long result_of(long value) { return value < 0 ? -errno : 0; }

/* ---- files ---- */

char pattern[FILE_BYTES];

void fill_pattern()
{
    for (size_t i = 0; i < FILE_BYTES; ++i)
        pattern[i] = char(i % 251);
}

long write_file(const char* path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC);
    if (fd < 0)
        return -errno;
    long result = 0;
    if (write(fd, pattern, FILE_BYTES) != ssize_t(FILE_BYTES))
        result = errno ? -errno : -EIO;
    if (close(fd) < 0 && result == 0)
        result = -errno;
    return result;
}

void make_file(const char* path)
{
    if (write_file(path) != 0)
        printf("faultwalk: cannot make %s unarmed: %s\n", path, strerror(errno));
}

long run_create()
{
    int fd = open("/faultwalk/created", O_CREAT | O_WRONLY);
    return fd < 0 ? -errno : result_of(close(fd));
}
void undo_create() { (void)unlink("/faultwalk/created"); }

long run_write() { return write_file("/faultwalk/written"); }
void undo_write() { (void)unlink("/faultwalk/written"); }

long run_read()
{
    static char buffer[FILE_BYTES];
    int fd = open("/faultwalk/kept", O_RDONLY);
    if (fd < 0)
        return -errno;
    ssize_t got = read(fd, buffer, FILE_BYTES);
    long result = got < 0 ? -errno : 0;
    close(fd);
    if (result == 0 && (got != ssize_t(FILE_BYTES) || memcmp(buffer, pattern, FILE_BYTES) != 0)) {
        printf("faultwalk: read back wrong bytes (%ld of %zu)\n", long(got), FILE_BYTES);
        ++totals.wrong;
    }
    return result;
}
void undo_nothing() {}

long run_rename() { return result_of(rename("/faultwalk/kept", "/faultwalk/renamed")); }
void undo_rename()
{
    struct stat status;
    if (stat("/faultwalk/renamed", &status) == 0)
        (void)rename("/faultwalk/renamed", "/faultwalk/kept");
    if (stat("/faultwalk/kept", &status) != 0) {
        printf("faultwalk: rename lost the file\n");
        ++totals.wrong;
        make_file("/faultwalk/kept");
    }
}

long run_unlink() { return result_of(unlink("/faultwalk/doomed")); }
void undo_unlink()
{
    struct stat status;
    if (stat("/faultwalk/doomed", &status) != 0)
        make_file("/faultwalk/doomed");
}

long run_mkdir() { return result_of(mkdir("/faultwalk/directory")); }
void undo_mkdir() { (void)rmdir("/faultwalk/directory"); }

long run_getdents()
{
    int count = count_directory_entries(DIRECTORY);
    if (count < 0)
        return -errno;
    if (count != 2) { /* kept and doomed */
        printf("faultwalk: %s has %d entries, not 2\n", DIRECTORY, count);
        ++totals.wrong;
    }
    return 0;
}

long run_dup()
{
    int fd = dup(STDOUT_FILENO);
    return fd < 0 ? -errno : result_of(close(fd));
}

/* A terminal opened and written (the VGA's third screen, which nobody
 * watches in a test): the OpenFile and the kernel's transfer buffer. */
long run_terminal()
{
    int fd = open("/dev/tty3", O_WRONLY);
    if (fd < 0)
        return -errno;
    long result = write(fd, "faultwalk\n", 10) == 10 ? 0 : -errno;
    if (close(fd) < 0 && result == 0)
        result = -errno;
    return result;
}

/* ---- processes ---- */

long run_spawn()
{
    static char program[] = "faultwalk", child[] = "--child";
    char* argv[] = {program, child, nullptr};
    pid_t pid = spawn(SELF, argv, nullptr);
    return pid < 0 ? -errno : pid;
}

long run_fork()
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    return pid < 0 ? -errno : pid;
}

/* The brk walk grows the break by this much: several pages and a page table. */
constexpr long BRK_GROWTH = 64 * 1024;
void* break_start;

long run_brk()
{
    void* old = sbrk(0);
    return sbrk(BRK_GROWTH) == old ? 0 : -ENOMEM;
}
void undo_brk() { (void)brk(break_start); }

/* ---- the walk ---- */

/* What a child process returned to `pid` (run() gave a pid): its status. */
bool reap(long pid)
{
    if (pid <= 0)
        return true;
    int status = -1;
    if (wait(pid_t(pid), &status) != pid_t(pid) || status != 0) {
        printf("faultwalk: child %ld ended with status %d\n", pid, status);
        return false;
    }
    return true;
}

void walk(const Operation& operation, bool children)
{
    for (int i = 0; i < operation.warm_up_rounds; ++i) {
        long result = operation.run();
        if (children)
            (void)reap(result);
        operation.undo();
        if (result < 0) {
            user_test_expect(false, operation.name, "fails without faults: %s", strerror(int(-result)));
            return;
        }
    }
    long baseline = free_and_heap_pages();
    unsigned long sites = 0, failed = 0, absorbed = 0, leaks = 0, wrong = 0;
    unsigned long wrong_before = totals.wrong; /* what run() and undo() found themselves */
    for (unsigned long k = 1; k <= max_sites; ++k) {
        fail_alloc(FAIL_ALLOC_NTH, k, sites_mask);
        long result = operation.run();
        long counted = fail_alloc(FAIL_ALLOC_OFF, 0, 0);
        if (children && !reap(result))
            ++wrong;
        operation.undo();
        long pages = free_and_heap_pages();
        if (pages != baseline) {
            printf("faultwalk: %s site %lu: %ld pages leaked (result %s)\n", operation.name, k, baseline - pages,
                   result < 0 ? strerror(int(-result)) : "success");
            ++leaks;
            baseline = pages; /* one leak, not one per later site */
        }
        if (counted < long(k)) {
            /* Fewer than k allocations: nothing failed, so it must have worked. */
            if (result < 0) {
                printf("faultwalk: %s failed without an injected failure: %s\n", operation.name, strerror(int(-result)));
                ++wrong;
            }
            break;
        }
        ++sites;
        (result < 0 ? failed : absorbed) += 1;
    }
    printf("faultwalk: %s: %lu sites, %lu failed with an errno, %lu absorbed, %lu leaks\n", operation.name, sites,
           failed, absorbed, leaks);
    unsigned long found_inside = totals.wrong - wrong_before;
    user_test_expect(leaks == 0 && wrong == 0 && found_inside == 0, operation.name, "%lu leaks, %lu wrong results",
                     leaks, wrong + found_inside);
    totals.sites += sites;
    totals.leaks += leaks;
    totals.wrong += wrong;
}

/* exec is walked in a forked child, which arms, execs itself as "--exec-child K"
 * and reports through its exit status; the parent reaps it and checks pages. */
void walk_exec()
{
    long baseline = -1;
    unsigned long sites = 0, failed = 0, absorbed = 0, leaks = 0, wrong = 0;
    for (unsigned long k = 0; k <= max_sites; ++k) {
        pid_t pid = fork();
        if (pid == 0) {
            char number[24];
            snprintf(number, sizeof(number), "%lu", k);
            static char program[] = "faultwalk", child[] = "--exec-child";
            char* argv[] = {program, child, number, nullptr};
            if (k > 0)
                fail_alloc(FAIL_ALLOC_NTH, k, sites_mask);
            exec(SELF, argv, nullptr);
            int error = errno;
            long counted = fail_alloc(FAIL_ALLOC_OFF, 0, 0);
            _exit(k == 0 || counted < long(k) ? EXEC_FAILED_UNARMED : EXEC_FAILED_ERRNO + (error & 0x7F));
        }
        int status = -1;
        if (pid < 0 || wait(pid, &status) != pid) {
            printf("faultwalk: process.exec: fork or wait failed: %s\n", strerror(errno));
            ++wrong;
            break;
        }
        long pages = free_and_heap_pages();
        if (k == 0) { /* the warm-up round */
            baseline = pages;
            if (status != 0) {
                printf("faultwalk: process.exec fails without faults (status %d)\n", status);
                ++wrong;
                break;
            }
            continue;
        }
        if (pages != baseline) {
            printf("faultwalk: process.exec site %lu: %ld pages leaked (status %d)\n", k, baseline - pages, status);
            ++leaks;
            baseline = pages;
        }
        if (status == 0)
            break; /* fewer than k allocations: the walk is done */
        if (status == EXEC_FAILED_UNARMED || (status & PROCESS_STATUS_FAULT)) {
            printf("faultwalk: process.exec site %lu: status %d\n", k, status);
            ++wrong;
            continue;
        }
        ++sites;
        (status >= EXEC_FAILED_ERRNO ? failed : absorbed) += 1;
    }
    printf("faultwalk: process.exec: %lu sites, %lu failed with an errno, %lu absorbed, %lu leaks\n", sites, failed,
           absorbed, leaks);
    user_test_expect(leaks == 0 && wrong == 0, "process.exec", "%lu leaks, %lu wrong results", leaks, wrong);
    totals.sites += sites;
    totals.leaks += leaks;
    totals.wrong += wrong;
}

/* ---- guests ---- */

const char* vm_path;
uint64_t vm_memory_mib;
bool vm_stop_at_once;

/* Waits until VM `id` has ended; false after 60 s. */
bool wait_for_vm(int id)
{
    for (int tries = 0; tries < 6000; ++tries) {
        VmInfo vms[8];
        int count = vm_list(vms, 8);
        bool running = false;
        for (int i = 0; i < count && i < 8; ++i)
            running |= vms[i].id == id && vms[i].state == VM_RUNNING;
        if (!running)
            return true;
        sleep_ms(10);
    }
    return false;
}

long run_vm()
{
    VmStartRequest request;
    memset(&request, 0, sizeof(request));
    strcpy(request.path, vm_path);
    request.memory_mib = vm_memory_mib;
    int id = vm_start(&request);
    if (id < 0)
        return -errno;
    if (vm_stop_at_once)
        (void)vm_stop(id);
    if (!wait_for_vm(id)) {
        printf("faultwalk: vm%d does not end\n", id);
        ++totals.wrong;
    }
    return 0;
}

void walk_vm(const char* name, const char* path, uint64_t memory_mib, bool stop_at_once, int warm_up)
{
    vm_path = path;
    vm_memory_mib = memory_mib;
    vm_stop_at_once = stop_at_once;
    VmInfo probe;
    if (vm_list(&probe, 1) < 0 && errno == ENOSYS) {
        user_test_skip(name, "no VMX");
        return;
    }
    walk({name, run_vm, undo_nothing, warm_up}, false);
}

/* ---- groups ---- */

/* The files every file operation expects, made unarmed. */
void prepare_files()
{
    static bool prepared = false;
    if (prepared)
        return;
    prepared = true;
    fill_pattern();
    (void)mkdir(DIRECTORY);
    make_file("/faultwalk/kept");
    make_file("/faultwalk/doomed");
}

void clean_up_files()
{
    (void)unlink("/faultwalk/kept");
    (void)unlink("/faultwalk/doomed");
    (void)rmdir(DIRECTORY);
}

void walk_spawn() { walk({"process.spawn", run_spawn, undo_nothing, 1}, true); }
void walk_fork() { walk({"process.fork", run_fork, undo_nothing, 1}, true); }
void walk_brk()
{
    break_start = sbrk(0);
    walk({"process.brk", run_brk, undo_brk, 1}, false);
}
void walk_guest() { walk_vm("vm.guest", "/guests/poweroff", 2, false, VM_RECORD_SLOTS); }
void walk_kernel() { walk_vm("vm.kernel", "/boot/kernel", 16, true, VM_RECORD_SLOTS); }

struct Walk {
    const char* name;
    Operation file_operation; /* name == nullptr: `walk_other` walks it */
    void (*walk_other)();
};

const Walk WALKS[] = {
    {"files.create", {"files.create", run_create, undo_create, 1}, nullptr},
    {"files.write", {"files.write", run_write, undo_write, 1}, nullptr},
    {"files.read", {"files.read", run_read, undo_nothing, 1}, nullptr},
    {"files.rename", {"files.rename", run_rename, undo_rename, 1}, nullptr},
    {"files.unlink", {"files.unlink", run_unlink, undo_unlink, 1}, nullptr},
    {"files.mkdir", {"files.mkdir", run_mkdir, undo_mkdir, 1}, nullptr},
    {"files.getdents", {"files.getdents", run_getdents, undo_nothing, 1}, nullptr},
    {"files.dup", {"files.dup", run_dup, undo_nothing, 1}, nullptr},
    {"files.terminal", {"files.terminal", run_terminal, undo_nothing, 1}, nullptr},
    {"process.spawn", {}, walk_spawn},
    {"process.fork", {}, walk_fork},
    {"process.exec", {}, walk_exec},
    {"process.brk", {}, walk_brk},
    {"vm.guest", {}, walk_guest},
    {"vm.kernel", {}, walk_kernel},
};

/* `selector` is an operation ("files.read") or a group ("files", "process",
 * "vm"): the group's every operation. */
bool walk_selected(const char* selector)
{
    size_t length = strlen(selector);
    bool found = false;
    for (const Walk& entry : WALKS) {
        bool group = strncmp(entry.name, selector, length) == 0 && entry.name[length] == '.';
        if (!group && strcmp(entry.name, selector) != 0)
            continue;
        found = true;
        if (entry.walk_other) {
            entry.walk_other();
        } else {
            prepare_files();
            walk(entry.file_operation, false);
        }
    }
    return found;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--child") == 0)
        return 0;
    if (argc == 3 && strcmp(argv[1], "--exec-child") == 0) {
        /* Disarm first: what this program allocates is not exec's. */
        long counted = fail_alloc(FAIL_ALLOC_OFF, 0, 0);
        unsigned long k = strtoul(argv[2], nullptr, 10);
        return k > 0 && counted >= long(k) ? EXEC_ABSORBED : 0;
    }
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            max_sites = strtoul(argv[++i], nullptr, 10);
        } else if (strcmp(argv[i], "--sites") == 0 && i + 1 < argc) {
            ++i;
            sites_mask = strcmp(argv[i], "heap") == 0   ? FAIL_ALLOC_HEAP
                         : strcmp(argv[i], "page") == 0 ? FAIL_ALLOC_PAGE
                                                        : FAIL_ALLOC_ALL;
        } else {
            printf("usage: faultwalk [--max K] [--sites heap|page|all] [files|process|vm|OPERATION...]\n");
            return 2;
        }
    }
    if (i == argc) {
        walk_selected("files");
        walk_selected("process");
    }
    for (; i < argc; ++i) {
        if (!walk_selected(argv[i])) {
            printf("faultwalk: unknown operation or group %s\n", argv[i]);
            return 2;
        }
    }
    clean_up_files();
    /* Reaching this line is the proof that no failure point panicked the host. */
    printf("faultwalk: sites tried %lu, panics: 0, leaks: %lu, wrong results: %lu\n", totals.sites, totals.leaks,
           totals.wrong);
    return user_test_summary();
}
