/* Shells on the terminals and the programs of run=; see user_sessions.h. */
#include "process/user_sessions.h"

#include "console/log.h"
#include "lib/string.h"
#include "mm/page_manager.h"
#include "power/power.h"
#include "process/process_registry.h"
#include "sched/scheduler.h"
#include "terminal/terminals.h"

namespace user_sessions {

namespace {

constexpr const char* SHELL = "/bin/sh";
/* A shell that cannot start is tried again after this long, not in a busy loop. */
constexpr uint64_t RETRY_NS = 5'000'000'000ull;

/* Starts `path` (argv = {path}) with fds 0-2 on `terminal`, waits for it and
 * returns its wait status; a negative errno when it could not start. */
int run_and_wait(const char* path, Terminal& terminal)
{
    Result<RefPtr<OpenFile>> streams = terminals::open(terminal);
    if (streams.is_error())
        return -streams.error();
    const char* argv[] = {path};
    SpawnRequest request;
    request.path = path;
    request.argv = {argv, 1};
    request.standard_streams = streams.value();
    Result<int> pid = ProcessRegistry::instance().spawn(request);
    if (pid.is_error())
        return -pid.error();
    Result<CollectedChild> child = ProcessRegistry::instance().wait(0, pid.value());
    if (child.is_error())
        panic("the kernel lost its child %d (%s)", pid.value(), errno_name(child.error()));
    return child.value().status;
}

[[noreturn]] void keep_shell_running(Terminal& terminal)
{
    for (;;) {
        int status = run_and_wait(SHELL, terminal);
        if (status < 0) {
            log(LogCategory::user, "%s on %s cannot start: %s", SHELL, terminal.name(), errno_name(-status));
            Scheduler::instance().sleep_ns(RETRY_NS);
            continue;
        }
        log(LogCategory::user, "%s on %s ended with status %d; starting a new one", SHELL, terminal.name(), status);
    }
}

void shell_thread(void* terminal) { keep_shell_running(*static_cast<Terminal*>(terminal)); }

/* "fs_stress" of "/bin/fs_stress". */
const char* base_name(const char* path)
{
    const char* name = path;
    for (const char* p = path; *p; ++p) {
        if (*p == '/')
            name = p + 1;
    }
    return name;
}

/* Runs one program of run=; true when it exited with status 0. */
bool run_one(const char* path)
{
    const char* name = base_name(path);
    LogTerminal& output = terminals::log_terminal();
    output.set_label(name);
    size_t pages_before = PageManager::instance().free_page_count();
    log(LogCategory::user, "run: starting %s", path);
    int status = run_and_wait(path, output);
    output.set_label(name); /* writes out a last line without its newline */
    log(LogCategory::user, "run: %s ended with status %d (0x%x), free pages %zu before, %zu after", path, status,
        status, pages_before, PageManager::instance().free_page_count());
    if (status == 0) {
        log(LogCategory::test, "PASS: run.%s", name);
        return true;
    }
    if (status < 0)
        log(LogCategory::test, "FAIL: run.%s: cannot start: %s", name, errno_name(-status));
    else if (status & PROCESS_STATUS_FAULT)
        log(LogCategory::test, "FAIL: run.%s: ended by CPU exception %d", name, status & 0xff);
    else
        log(LogCategory::test, "FAIL: run.%s: exit status %d", name, status);
    return false;
}

} // namespace

void run_shells()
{
    terminals::attach_input();
    for (unsigned i = 1; i < terminals::SCREEN_TERMINALS; ++i) {
        if (!Scheduler::instance().spawn(shell_thread, &terminals::screen_terminal(i), "session"))
            panic("no memory for the shell sessions");
    }
    if (!Scheduler::instance().spawn(shell_thread, &terminals::serial_terminal(), "session"))
        panic("no memory for the shell sessions");
    log(LogCategory::boot, "boot complete: %s on tty1..tty%u and ttyS0 (COM1)", SHELL, terminals::SCREEN_TERMINALS);
    keep_shell_running(terminals::screen_terminal(0));
}

void run_programs(const char* list)
{
    unsigned passed = 0, failed = 0;
    char path[128];
    for (const char* start = list; *start;) {
        const char* end = start;
        while (*end && *end != ',')
            ++end;
        size_t length = size_t(end - start) < sizeof(path) - 1 ? size_t(end - start) : sizeof(path) - 1;
        memcpy(path, start, length);
        path[length] = '\0';
        if (length)
            (run_one(path) ? passed : failed)++;
        start = *end ? end + 1 : end;
    }
    log(LogCategory::test, "SUMMARY: %u passed, %u failed, 0 skipped", passed, failed);
    power_off(failed ? PowerOffStatus::failed : PowerOffStatus::passed);
}

} // namespace user_sessions
