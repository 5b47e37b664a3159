/* ps: lists the processes with their parent, state, threads and mapped pages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

const char* state_name(uint32_t state)
{
    switch (state) {
    case PROCESS_RUNNING: return "running";
    case PROCESS_SLEEPING: return "sleeping";
    case PROCESS_ZOMBIE: return "zombie";
    default: return "?";
    }
}

constexpr int MAX_SHOWN = 64;
ProcessInfo processes[MAX_SHOWN];

} // namespace

int main()
{
    int total = ps(processes, MAX_SHOWN);
    if (total < 0) {
        dprintf(STDERR_FILENO, "ps: %s\n", strerror(errno));
        return 1;
    }
    printf("%5s %5s %-8s %7s %6s  %s\n", "PID", "PPID", "STATE", "THREADS", "PAGES", "NAME");
    for (int i = 0; i < total && i < MAX_SHOWN; ++i) {
        const ProcessInfo& p = processes[i];
        printf("%5d %5d %-8s %7u %6lu  %s\n", p.pid, p.parent_pid, state_name(p.state), p.thread_count,
               static_cast<unsigned long>(p.user_pages), p.name);
    }
    if (total > MAX_SHOWN)
        printf("... and %d more\n", total - MAX_SHOWN);
    printf("free pages: %ld, kernel heap: %ld pages\n", free_pages(), heap_pages());
    return 0;
}
