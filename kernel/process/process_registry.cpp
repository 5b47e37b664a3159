/* Starting, ending and collecting processes; see process_registry.h. */
#include "process/process_registry.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupt_guard.h"
#include "arch/x86_64/user_mode.h"
#include "console/log.h"
#include "fs/kernel_vfs.h"
#include "lib/string.h"
#include "loader/loader.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"

#include <new>

namespace {

/* What a new user thread needs before it can enter ring 3. */
struct UserStart {
    Process* process;
    TrapFrame frame;
};

/* The first code of every user thread: takes on its process's address space,
 * then enters ring 3. */
void run_user_thread(void* argument)
{
    auto* start = static_cast<UserStart*>(argument);
    Process* process = start->process;
    TrapFrame frame = start->frame;
    delete start;
    Thread* self = Scheduler::instance().current();
    {
        InterruptGuard guard;
        self->set_process(process, &process->memory());
        process->memory().activate();
    }
    user_mode::enter(frame, self->stack_top());
}

[[noreturn]] void end_faulting_process(TrapFrame& frame)
{
    Process* process = Process::current();
    if (!process)
        panic_with_frame(frame, "%s in ring 3 outside any process", exceptions::name(frame.vector));
    uint64_t address = frame.vector == exceptions::PAGE_FAULT ? cpu::read_cr2() : frame.rip;
    log(LogCategory::user, "process %d (%s) ended by %s (%s, vector %lu) at rip %lx, address %lx, error code 0x%lx",
        process->pid(), process->name(), exceptions::name(frame.vector), exceptions::mnemonic(frame.vector),
        frame.vector, frame.rip, address, frame.error_code);
    /* The interrupted context was ring 3 and this is the thread's own kernel
     * stack: nothing stops us from sleeping on the locks of exit. */
    cpu::sti();
    ProcessRegistry::instance().exit_current(PROCESS_STATUS_FAULT | int(frame.vector));
}

/* Loads a program resolving `path` in `context`, with the file system locked. */
Result<loader::LoadedProgram> load_for(VfsContext& context, const char* path, const user_stack::StringList& argv,
                                       const user_stack::StringList& envp)
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable scratch; /* the loader's own descriptor, not one of the process's */
    VfsSyscall vfs(context, scratch);
    return loader::load(vfs, path, argv, envp);
}

MapFlags flags_of(const PageMapping& mapping)
{
    MapFlags flags = MapFlags::user;
    if (mapping.writable)
        flags = flags | MapFlags::writable;
    if (mapping.executable)
        flags = flags | MapFlags::executable;
    return flags;
}

/* Copies every user page of `from` into fresh frames mapped alike in `to`. */
bool copy_address_space(const ArchMemory& from, ArchMemory& to)
{
    bool copied = true;
    from.for_each_user_page([&](uint64_t address, const PageMapping& mapping) {
        if (!copied)
            return;
        MemoryResult<uint64_t> frame = PageManager::instance().allocate_page(PageClaim::ordinary);
        if (!frame.ok()) {
            copied = false;
            return;
        }
        memcpy(phys_to_virt(frame.value()), phys_to_virt(mapping.physical), 0x1000);
        if (to.map_page(address, frame.value(), flags_of(mapping)) != MemoryError::none) {
            PageManager::instance().free_page(frame.value());
            copied = false;
        }
    });
    return copied;
}

ProcessState reported_state(const Process& process, const Thread* thread)
{
    if (process.state() == PROCESS_ZOMBIE || !thread)
        return PROCESS_ZOMBIE;
    ThreadState state = thread->state();
    return state == ThreadState::sleeping || state == ThreadState::blocked ? PROCESS_SLEEPING : PROCESS_RUNNING;
}

} // namespace

ProcessRegistry& ProcessRegistry::instance()
{
    static ProcessRegistry registry;
    return registry;
}

void ProcessRegistry::init()
{
    exceptions::set_user_exception_hook(end_faulting_process);
    user_mode::init();
}

void ProcessRegistry::append(Process* process)
{
    Process** link = &first_;
    while (*link)
        link = &(*link)->next_;
    *link = process;
    process->next_ = nullptr;
}

void ProcessRegistry::unlink(Process* process)
{
    for (Process** link = &first_; *link; link = &(*link)->next_) {
        if (*link == process) {
            *link = process->next_;
            return;
        }
    }
    panic("process %d is not in the registry", process->pid_);
}

void ProcessRegistry::release_file_system_state(Process& process)
{
    MutexLocker locker(kernel_vfs::lock());
    process.files_.close_all();
    delete process.vfs_context_;
    process.vfs_context_ = nullptr;
}

void ProcessRegistry::discard(Process* process)
{
    release_file_system_state(*process);
    delete process; /* its ArchMemory, never active, goes with it */
}

/* The working directory and descriptors of a new process; the file system lock
 * is held. */
void ProcessRegistry::inherit_file_system_state(Process& process, const VfsContext& context, const SpawnRequest& request)
{
    process.vfs_context_->set_cwd(context.cwd());
    if (request.parent) {
        process.files_.copy_from(request.parent->files_);
    } else if (request.standard_streams) {
        /* An empty table: these become fds 0, 1 and 2. */
        for (int fd = 0; fd < 3; ++fd) {
            if (process.files_.allocate(request.standard_streams).is_error())
                panic("no descriptor free in a new table");
        }
    }
}

Result<int> ProcessRegistry::spawn(const SpawnRequest& request)
{
    VfsContext& context = request.parent ? request.parent->vfs_context() : kernel_vfs::context();
    loader::LoadedProgram program = TRY(load_for(context, request.path, request.argv, request.envp));
    /* Out of memory from here on: the program's space goes with `program`, a
     * half-made process with discard(). */
    auto* process = new (std::nothrow) Process(request.parent ? request.parent->pid() : 0, request.path);
    if (!process)
        return Error(ENOMEM);
    process->memory_ = static_cast<ArchMemory&&>(program.memory);
    process->break_start_ = process->break_ = program.break_start;
    {
        MutexLocker locker(kernel_vfs::lock());
        process->vfs_context_ = new (std::nothrow) VfsContext(kernel_vfs::vfs(), context.root());
        if (process->vfs_context_)
            inherit_file_system_state(*process, context, request);
    }
    if (!process->vfs_context_) {
        discard(process); /* it takes the file system lock itself */
        return Error(ENOMEM);
    }
    return start(process, user_mode::initial_frame(program.entry, program.stack_pointer));
}

Result<int> ProcessRegistry::start(Process* process, const TrapFrame& frame)
{
    auto* start = new (std::nothrow) UserStart{process, frame};
    if (!start) {
        discard(process);
        return Error(ENOMEM);
    }
    {
        MutexLocker locker(lock_);
        Thread* thread = Scheduler::instance().spawn(run_user_thread, start, process->name_, PageClaim::ordinary);
        if (thread) {
            /* Held lock: the thread cannot end (exit takes the lock) before it is listed. */
            Scheduler::instance().detach(thread);
            process->pid_ = next_pid_++;
            process->thread_ = thread;
            append(process);
            return process->pid_;
        }
    }
    delete start;
    discard(process);
    return Error(ENOMEM);
}

Result<int> ProcessRegistry::fork(Process& parent, const TrapFrame& frame)
{
    MemoryResult<ArchMemory> created = ArchMemory::create_user_space();
    if (!created.ok())
        return Error(ENOMEM);
    auto* child = new (std::nothrow) Process(parent.pid_, parent.name_);
    if (!child)
        return Error(ENOMEM); /* `created` frees the new space */
    child->memory_ = created.take();
    if (!copy_address_space(parent.memory_, child->memory_)) {
        discard(child);
        return Error(ENOMEM);
    }
    child->break_start_ = parent.break_start_;
    child->break_ = parent.break_;
    {
        MutexLocker locker(kernel_vfs::lock());
        child->vfs_context_ = new (std::nothrow) VfsContext(kernel_vfs::vfs(), parent.vfs_context_->root());
        if (child->vfs_context_) {
            child->vfs_context_->set_cwd(parent.vfs_context_->cwd());
            child->files_.copy_from(parent.files_);
        }
    }
    if (!child->vfs_context_) {
        discard(child); /* it takes the file system lock itself */
        return Error(ENOMEM);
    }
    TrapFrame child_frame = frame;
    child_frame.rax = 0; /* fork returns 0 in the child */
    return start(child, child_frame);
}

Result<void> ProcessRegistry::exec(Process& process, const char* path, const user_stack::StringList& argv,
                                   const user_stack::StringList& envp, TrapFrame& frame)
{
    loader::LoadedProgram program = TRY(load_for(*process.vfs_context_, path, argv, envp));
    Thread* self = Scheduler::instance().current();
    MutexLocker locker(lock_);
    /* The old space may only go once it is no longer loaded in CR3. */
    {
        InterruptGuard guard;
        self->set_process(&process, nullptr);
        ArchMemory::kernel().activate();
    }
    process.memory_.destroy();
    process.memory_ = static_cast<ArchMemory&&>(program.memory);
    {
        InterruptGuard guard;
        self->set_process(&process, &process.memory_);
        process.memory_.activate();
    }
    process.break_start_ = process.break_ = program.break_start;
    process.set_name(path);
    frame = user_mode::initial_frame(program.entry, program.stack_pointer);
    return {};
}

void ProcessRegistry::detach_children(Process& parent)
{
    Process* process = first_;
    while (process) {
        Process* next = process->next_;
        if (process->parent_pid_ == parent.pid_ && !process->detached_) {
            if (process->state_ == PROCESS_ZOMBIE) {
                unlink(process);
                delete process;
            } else {
                process->detached_ = true;
                process->parent_pid_ = 0;
            }
        }
        process = next;
    }
}

void ProcessRegistry::exit_current(int status)
{
    Process* process = Process::current();
    KERNEL_ASSERT(process);
    Thread* self = Scheduler::instance().current();
    release_file_system_state(*process);
    lock_.lock();
    {
        InterruptGuard guard;
        self->set_process(nullptr, nullptr);
        ArchMemory::kernel().activate();
    }
    process->memory_.destroy();
    process->state_ = PROCESS_ZOMBIE;
    process->exit_status_ = status;
    process->thread_ = nullptr;
    detach_children(*process);
    if (process->detached_) {
        unlink(process);
        delete process;
    } else {
        child_ended_.broadcast();
    }
    lock_.unlock();
    Scheduler::instance().exit(status);
}

Result<CollectedChild> ProcessRegistry::wait(int parent_pid, int pid)
{
    if (pid == 0 || pid < -1)
        return Error(ECHILD);
    MutexLocker locker(lock_);
    for (;;) {
        bool has_child = false;
        for (Process* process = first_; process; process = process->next_) {
            if (process->parent_pid_ != parent_pid || process->detached_ || (pid != -1 && process->pid_ != pid))
                continue;
            has_child = true;
            if (process->state_ != PROCESS_ZOMBIE)
                continue;
            CollectedChild collected{process->pid_, process->exit_status_};
            unlink(process);
            delete process;
            return collected;
        }
        if (!has_child)
            return Error(ECHILD);
        child_ended_.wait();
    }
}

size_t ProcessRegistry::list(ProcessInfo* out, size_t count)
{
    MutexLocker locker(lock_);
    size_t total = 0;
    for (Process* process = first_; process; process = process->next_, ++total) {
        if (total >= count)
            continue;
        ProcessInfo& info = out[total];
        memset(&info, 0, sizeof(info));
        info.pid = process->pid_;
        info.parent_pid = process->parent_pid_;
        {
            InterruptGuard guard; /* the thread's state changes in interrupt handlers */
            info.state = reported_state(*process, process->thread_);
        }
        info.thread_count = process->thread_ ? 1 : 0;
        info.user_pages = process->memory_.cr3() ? process->memory_.user_page_count() : 0;
        memcpy(info.name, process->name_, sizeof(info.name));
    }
    return total;
}

size_t ProcessRegistry::count() { return list(nullptr, 0); }
