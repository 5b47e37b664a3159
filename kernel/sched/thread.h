/* A kernel thread: its own stack, its saved stack pointer, its state. User
 * processes (kernel/process) own one or more threads; the VM of the hypervisor
 * runs as one. */
#pragma once
#include "arch/x86_64/fpu.h"
#include "time/deadline_queue.h"
#include <stddef.h>
#include <stdint.h>

class ArchMemory;
class Mutex;
class Process;
class Thread;

using ThreadFunction = void (*)(void* argument);
using ThreadId = uint64_t;

enum class ThreadState { runnable, running, sleeping, blocked, finished };

/* A FIFO of threads linked through Thread::queue_next_. A thread is in at most one
 * queue at a time (the run queue or one wait queue; a sleeping thread is in none:
 * its wake_timer_ is in the timer core's deadline queue). Callers hold
 * interrupts off while they touch a queue. */
class ThreadQueue {
public:
    bool empty() const { return head_ == nullptr; }
    Thread* front() const { return head_; }
    void push_back(Thread* thread);
    Thread* pop_front();
    /* Removes `thread` if it is queued here; returns whether it was. */
    bool remove(Thread* thread);

private:
    Thread* head_ = nullptr;
    Thread* tail_ = nullptr;
};

class Thread {
public:
    static constexpr size_t STACK_SIZE = 16 * 1024;
    static constexpr size_t NAME_LENGTH = 32;

    ThreadId id() const { return id_; }
    const char* name() const { return name_; }
    ThreadState state() const { return state_; }
    uint64_t switches_in() const { return switches_in_; }
    /* The top of this thread's kernel stack, for the TSS's RSP0. */
    uint64_t stack_top() const { return reinterpret_cast<uint64_t>(stack_) + STACK_SIZE; }
    /* The mutex this thread sleeps on, or nullptr: used to find deadlocks. */
    Mutex* waiting_for() const { return waiting_for_; }

    /* A thread of a user process runs in that process's address space: the
     * scheduler loads it into CR3 whenever it switches to the thread. Kernel
     * threads have none and run in whatever space is loaded (they only touch the
     * kernel half). Set by the thread itself, interrupts off. */
    Process* process() const { return process_; }
    const ArchMemory* address_space() const { return address_space_; }
    void set_process(Process* process, const ArchMemory* address_space)
    {
        process_ = process;
        address_space_ = address_space;
    }

private:
    friend class Scheduler;
    friend class ThreadQueue;
    friend class Mutex;

    /* Writes the frame that switch_context pops the first time it switches here. */
    void prepare_stack(ThreadFunction function, void* argument);
    bool stack_intact() const;

    ThreadId id_ = 0;
    char name_[NAME_LENGTH] = {};
    ThreadState state_ = ThreadState::runnable;
    uint64_t saved_rsp_ = 0;
    uint8_t* stack_ = nullptr; /* nullptr for the boot thread, which runs on the boot stack */
    /* Armed in the timer core (time/timer.h) while the thread sleeps. */
    timer::Deadline wake_timer_;
    int exit_code_ = 0;
    bool detached_ = false;
    bool joined_ = false;
    Mutex* waiting_for_ = nullptr;
    Process* process_ = nullptr;
    const ArchMemory* address_space_ = nullptr;
    uint64_t switches_in_ = 0;
    /* The x87/SSE registers while the thread is not running (arch/x86_64/fpu.h):
     * a user program's or a guest's, since the kernel never uses them. */
    fpu::State fpu_state_;
    Thread* queue_next_ = nullptr;
    Thread* all_next_ = nullptr; /* the list of every thread, for ps and for join */
    ThreadQueue joiners_;
};
