/* The process system calls (docs/syscalls.md): exit, spawn, fork, exec, wait,
 * getpid, sleep_ms, yield, ps, free_pages, heap_pages, fail_alloc, brk, clock_ns, poweroff. Each copies its
 * user arguments in through user_memory, which turns a bad pointer into EFAULT. */
#include "arch/x86_64/user_mode.h"
#include "abi/fail_alloc.h"
#include "console/log.h"
#include "mm/fault_injection.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "power/power.h"
#include "process/process_registry.h"
#include "sched/scheduler.h"
#include "syscall/syscall_table.h"
#include "syscall/user_memory.h"
#include "time/clock.h"

namespace {

using user_access::Access;

Process& caller()
{
    Process* process = Process::current();
    KERNEL_ASSERT(process);
    return *process;
}

/* Path, argv and envp of spawn and exec, copied in. */
struct ProgramArguments {
    user_memory::Path path;
    user_memory::StringArray argv;
    user_memory::StringArray envp;

    Result<void> copy_from(const SyscallArguments& arguments)
    {
        TRY(path.copy_from(arguments.value[0]));
        size_t budget = user_memory::StringArray::MAX_BYTES;
        TRY(argv.copy_from(arguments.value[1], budget));
        return envp.copy_from(arguments.value[2], budget);
    }
};

Result<int> spawn(const SyscallArguments& arguments)
{
    ProgramArguments program;
    TRY(program.copy_from(arguments));
    SpawnRequest request;
    request.parent = &caller();
    request.path = program.path.text();
    request.argv = TRY(program.argv.list());
    request.envp = TRY(program.envp.list());
    return ProcessRegistry::instance().spawn(request);
}

Result<int> exec(const SyscallArguments& arguments)
{
    ProgramArguments program;
    TRY(program.copy_from(arguments));
    TrapFrame* frame = user_mode::frame_below(Scheduler::instance().current()->stack_top());
    user_stack::StringList argv = TRY(program.argv.list());
    user_stack::StringList envp = TRY(program.envp.list());
    TRY(ProcessRegistry::instance().exec(caller(), program.path.text(), argv, envp, *frame));
    return 0;
}

Result<int> wait(const SyscallArguments& arguments)
{
    int64_t pid = int64_t(arguments.value[0]);
    uint64_t status_address = arguments.value[1];
    if (status_address)
        TRY(user_memory::check(status_address, sizeof(int32_t), Access::write));
    if (pid < -1 || pid > INT32_MAX)
        return Error(ECHILD);
    CollectedChild child = TRY(ProcessRegistry::instance().wait(caller().pid(), int(pid)));
    int32_t status = child.status;
    if (status_address)
        TRY(user_memory::copy_to(status_address, &status, sizeof(status)));
    return child.pid;
}

/* At most this many entries are copied per call; the count returned is exact. */
constexpr size_t PS_MAX_ENTRIES = 256;

Result<int> ps(const SyscallArguments& arguments)
{
    uint64_t out = arguments.value[0];
    uint64_t count = arguments.value[1];
    if (count > SIZE_MAX / sizeof(ProcessInfo))
        return Error(EFAULT);
    TRY(user_memory::check(out, count * sizeof(ProcessInfo), Access::write));
    size_t copied = count < PS_MAX_ENTRIES ? count : PS_MAX_ENTRIES;
    auto* entries = copied ? static_cast<ProcessInfo*>(kmalloc(copied * sizeof(ProcessInfo))) : nullptr;
    if (copied && !entries)
        return Error(ENOMEM);
    size_t total = ProcessRegistry::instance().list(entries, copied);
    Result<void> result = user_memory::copy_to(out, entries, (total < copied ? total : copied) * sizeof(ProcessInfo));
    kfree(entries);
    TRY(static_cast<Result<void>&&>(result));
    return int(total);
}

} // namespace

int64_t syscall_exit(const SyscallArguments& arguments)
{
    /* Like Unix, only the low byte is the status: it never collides with a fault. */
    ProcessRegistry::instance().exit_current(int(arguments.value[0] & 0xff));
}

int64_t syscall_spawn(const SyscallArguments& arguments) { return syscall_return(spawn(arguments)); }

int64_t syscall_fork(const SyscallArguments&)
{
    TrapFrame* frame = user_mode::frame_below(Scheduler::instance().current()->stack_top());
    return syscall_return(ProcessRegistry::instance().fork(caller(), *frame));
}

int64_t syscall_exec(const SyscallArguments& arguments) { return syscall_return(exec(arguments)); }
int64_t syscall_wait(const SyscallArguments& arguments) { return syscall_return(wait(arguments)); }
int64_t syscall_getpid(const SyscallArguments&) { return caller().pid(); }

int64_t syscall_sleep_ms(const SyscallArguments& arguments)
{
    /* Capped at a year: the product in nanoseconds must not overflow. */
    constexpr uint64_t MAX_MS = 365ull * 24 * 3600 * 1000;
    uint64_t milliseconds = arguments.value[0] < MAX_MS ? arguments.value[0] : MAX_MS;
    Scheduler::instance().sleep_ns(milliseconds * 1000000);
    return 0;
}

int64_t syscall_yield(const SyscallArguments&)
{
    Scheduler::instance().yield();
    return 0;
}

int64_t syscall_ps(const SyscallArguments& arguments) { return syscall_return(ps(arguments)); }
int64_t syscall_free_pages(const SyscallArguments&) { return int64_t(PageManager::instance().free_page_count()); }

int64_t syscall_heap_pages(const SyscallArguments&) { return int64_t(kernel_heap::stats().region_bytes / PAGE_SIZE); }
/* Fault injection for tests (mm/fault_injection.h): any process may arm it, as
 * any may power the machine off; it makes allocations fail, which every path must
 * survive anyway. */
int64_t syscall_fail_alloc(const SyscallArguments& arguments)
{
    uint64_t mode = arguments.value[0];
    uint64_t interval = arguments.value[1];
    uint64_t sites = arguments.value[2];
    if (mode == FAIL_ALLOC_OFF)
        return int64_t(fault_injection::disarm());
    if ((mode != FAIL_ALLOC_NTH && mode != FAIL_ALLOC_EVERY) || interval == 0 || interval > (uint64_t(1) << 62) ||
        sites == 0 || (sites & ~uint64_t(FAIL_ALLOC_ALL)) != 0)
        return -EINVAL;
    static_assert(FaultInjector::SITE_HEAP == FAIL_ALLOC_HEAP && FaultInjector::SITE_PAGE == FAIL_ALLOC_PAGE);
    fault_injection::arm(mode == FAIL_ALLOC_NTH ? FaultInjector::Mode::nth : FaultInjector::Mode::every, interval,
                         unsigned(sites));
    return 0;
}

int64_t syscall_brk(const SyscallArguments& arguments) { return int64_t(caller().set_program_break(arguments.value[0])); }
int64_t syscall_clock_ns(const SyscallArguments&) { return int64_t(clock::nanoseconds()); }

int64_t syscall_poweroff(const SyscallArguments& arguments)
{
    int status = int(arguments.value[0]);
    Process& process = caller();
    log(LogCategory::user, "process %d (%s) powers the machine off, status %d", process.pid(), process.name(), status);
    log(LogCategory::boot, status == 0 ? "POWER OFF: passed" : "POWER OFF: failed");
    power_off(status == 0 ? PowerOffStatus::passed : PowerOffStatus::failed);
}
