/* Round-robin scheduling, sleeping, blocking and thread lifetime; see scheduler.h. */
#include "sched/scheduler.h"

#include "arch/x86_64/arch_memory.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/interrupt_guard.h"
#include "arch/x86_64/syscall_msrs.h"
#include "console/log.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"
#include "time/clock.h"
#include "time/timer.h"

#include <new>

extern "C" void switch_context(uint64_t* save_rsp_here, uint64_t load_rsp);

namespace {

Scheduler the_scheduler;

[[noreturn]] void idle_loop(void*)
{
    Scheduler& scheduler = Scheduler::instance();
    for (;;) {
        cpu::cli();
        scheduler.preempt_if_needed();
        scheduler.halt_until_interrupt();
    }
}

/* Kernel stacks come straight from the PageManager, not from the heap, which
 * never gives pages back: a process's pages all return when it ends (the free
 * page count is what the leak tests watch). */
constexpr size_t STACK_PAGES = Thread::STACK_SIZE / PAGE_SIZE;
static_assert(Thread::STACK_SIZE % PAGE_SIZE == 0);

uint8_t* allocate_stack(PageClaim claim)
{
    MemoryResult<uint64_t> pages = PageManager::instance().allocate_pages(STACK_PAGES, PAGE_SIZE, claim);
    return pages.ok() ? phys_to_virt<uint8_t>(pages.value()) : nullptr;
}

void free_stack(uint8_t* stack) { PageManager::instance().free_pages(virt_to_phys(stack), STACK_PAGES); }

} // namespace

void thread_start_trampoline(ThreadFunction function, void* argument);

/* First C++ code of every new thread (entered from thread_first_entry with
 * interrupts off, as schedule() left them). */
extern "C" [[noreturn]] void thread_start(ThreadFunction function, void* argument)
{
    thread_start_trampoline(function, argument);
    __builtin_unreachable();
}

void thread_start_trampoline(ThreadFunction function, void* argument)
{
    Scheduler& scheduler = Scheduler::instance();
    scheduler.reap_finished();
    cpu::sti();
    function(argument);
    scheduler.exit(0);
}

Scheduler& Scheduler::instance() { return the_scheduler; }

Thread* Scheduler::allocate_thread(const char* name)
{
    auto* thread = new (std::nothrow) Thread;
    if (!thread)
        return nullptr;
    fpu::set_initial(thread->fpu_state_);
    thread->id_ = next_id_++;
    size_t length = strnlen(name, Thread::NAME_LENGTH - 1);
    memcpy(thread->name_, name, length);
    thread->name_[length] = '\0';
    thread->all_next_ = all_threads_;
    all_threads_ = thread;
    return thread;
}

void Scheduler::init()
{
    InterruptGuard guard;
    current_ = allocate_thread("main");
    KERNEL_ASSERT(current_);
    current_->state_ = ThreadState::running;
    idle_ = spawn(reinterpret_cast<ThreadFunction>(idle_loop), nullptr, "idle");
    KERNEL_ASSERT(idle_);
    run_queue_.remove(idle_); /* idle runs only when nothing else can */
    log(LogCategory::sched, "scheduler: round robin, time slice %u ticks", TIME_SLICE_TICKS);
}

Thread* Scheduler::spawn(ThreadFunction function, void* argument, const char* name, PageClaim claim)
{
    uint8_t* stack = allocate_stack(claim);
    if (!stack)
        return nullptr;
    InterruptGuard guard;
    Thread* thread = allocate_thread(name);
    if (!thread) {
        free_stack(stack);
        return nullptr;
    }
    thread->stack_ = stack;
    thread->prepare_stack(function, argument);
    make_runnable(thread);
    return thread;
}

void Scheduler::make_runnable(Thread* thread)
{
    thread->state_ = ThreadState::runnable;
    run_queue_.push_back(thread);
    /* Two threads may now share the CPU: the time slice needs the tick. */
    timer::resume_tick();
    if (current_ == idle_)
        need_resched_ = true;
}

void Scheduler::halt_until_interrupt()
{
    /* A thread that polls has nothing to do: a runnable thread goes first. */
    if (current_ != idle_ && !run_queue_.empty()) {
        schedule();
        return;
    }
    if (run_queue_.empty())
        timer::stop_tick_while_idle();
    /* STI's one-instruction shadow makes "sti; hlt" atomic: an interrupt that
     * arrives now still finds the CPU halted and wakes it. */
    cpu::enable_interrupts_and_halt();
    cpu::cli();
}

bool Scheduler::stop_tick_if_alone()
{
    if (current_ == idle_ || !run_queue_.empty())
        return false;
    timer::stop_tick_while_alone();
    return timer::tick_stopped();
}

void Scheduler::schedule()
{
    Thread* previous = current_;
    if (!previous->stack_intact())
        panic("thread %lu (%s) overran its kernel stack", previous->id_, previous->name_);
    if (previous->state_ == ThreadState::running) {
        previous->state_ = ThreadState::runnable;
        if (previous != idle_)
            run_queue_.push_back(previous);
    }
    Thread* next = run_queue_.pop_front();
    if (!next)
        next = idle_;
    need_resched_ = false;
    slice_left_ = TIME_SLICE_TICKS;
    next->state_ = ThreadState::running;
    if (next == previous)
        return;
    ++next->switches_in_;
    ++context_switches_;
    current_ = next;
    /* An interrupt or syscall from user mode lands on the thread's own kernel
     * stack (the boot thread keeps the boot stack). */
    if (next->stack_)
        gdt::set_kernel_stack(next->stack_top());
    if (next->address_space_ && !next->address_space_->is_active())
        next->address_space_->activate();
    /* The live x87/SSE registers are `previous`'s (a user program's or a VM's
     * guest's): kept with it, and `next`'s put in their place. Nothing between
     * here and `next` going on touches them. */
    fpu::switch_state(previous->fpu_state_, next->fpu_state_);
    /* A VM thread leaves its guest's syscall MSRs in the CPU across exits
     * (arch/x86_64/syscall_msrs.h); `next` may return to a user program, whose
     * SYSCALL needs the host's, or run another guest. */
    syscall_msrs::restore_host();
    switch_context(&previous->saved_rsp_, next->saved_rsp_);
    /* Running as `previous` again, possibly much later. */
    reap_finished();
}

void Scheduler::reap_finished()
{
    Thread** link = &all_threads_;
    while (Thread* thread = *link) {
        bool finished = thread->state_ == ThreadState::finished && thread != current_;
        if (finished && thread->stack_) {
            free_stack(thread->stack_);
            thread->stack_ = nullptr;
        }
        if (finished && (thread->detached_ || thread->joined_)) {
            *link = thread->all_next_;
            delete thread;
            continue;
        }
        link = &thread->all_next_;
    }
}

void Scheduler::yield()
{
    InterruptGuard guard;
    schedule();
}

void Scheduler::sleep_ns(uint64_t nanoseconds)
{
    InterruptGuard guard;
    uint64_t now = clock::nanoseconds();
    /* A huge request sleeps until the end of time rather than wrapping around. */
    uint64_t due = nanoseconds > timer::NO_DEADLINE - 1 - now ? timer::NO_DEADLINE - 1 : now + nanoseconds;
    current_->wake_timer_.fire = wake_sleeper;
    current_->wake_timer_.context = current_;
    current_->state_ = ThreadState::sleeping;
    timer::arm(current_->wake_timer_, due);
    schedule();
}

void Scheduler::wake_early(Thread* thread)
{
    InterruptGuard guard;
    if (thread->state_ != ThreadState::sleeping)
        return;
    timer::cancel(thread->wake_timer_);
    make_runnable(thread);
}

void Scheduler::exit(int code)
{
    cpu::cli();
    if (current_ == idle_)
        panic("the idle thread must not exit");
    current_->exit_code_ = code;
    current_->state_ = ThreadState::finished;
    wake_all(current_->joiners_);
    schedule();
    panic("a finished thread was scheduled again");
}

int Scheduler::join(Thread* thread)
{
    InterruptGuard guard;
    if (thread == current_)
        panic("thread %lu (%s) joins itself", thread->id_, thread->name_);
    if (thread->detached_ || thread->joined_)
        panic("join of detached or already joined thread %lu", thread->id_);
    while (thread->state_ != ThreadState::finished)
        block_current_on(thread->joiners_);
    int code = thread->exit_code_;
    thread->joined_ = true;
    reap_finished();
    return code;
}

void Scheduler::detach(Thread* thread)
{
    InterruptGuard guard;
    thread->detached_ = true;
    reap_finished();
}

void Scheduler::block_current_on(ThreadQueue& queue)
{
    current_->state_ = ThreadState::blocked;
    queue.push_back(current_);
    schedule();
}

Thread* Scheduler::wake_one(ThreadQueue& queue)
{
    Thread* thread = queue.pop_front();
    if (thread)
        make_runnable(thread);
    return thread;
}

void Scheduler::wake_all(ThreadQueue& queue)
{
    while (wake_one(queue)) {
    }
}

void Scheduler::wake_sleeper(void* thread)
{
    auto* sleeper = static_cast<Thread*>(thread);
    if (sleeper->state_ == ThreadState::sleeping)
        instance().make_runnable(sleeper);
}

void Scheduler::on_tick()
{
    if (!current_)
        return; /* ticks before init() */
    timer::expire_due(clock::nanoseconds());
    if (current_ == idle_) {
        if (!run_queue_.empty())
            need_resched_ = true;
    } else if (--slice_left_ == 0) {
        need_resched_ = true;
    }
}

void Scheduler::preempt_if_needed()
{
    if (need_resched_ && current_)
        schedule();
}

size_t Scheduler::thread_count() const
{
    size_t count = 0;
    for (Thread* t = all_threads_; t; t = t->all_next_)
        ++count;
    return count;
}
