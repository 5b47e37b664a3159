/* Thread stacks and the thread queue. */
#include "sched/thread.h"

#include "lib/string.h"

namespace {
/* Written at the lowest word of every stack; a thread that overran its stack
 * has destroyed it by the time it is switched out. */
constexpr uint64_t STACK_CANARY = 0x57ACC0DE57ACC0DEull;
extern "C" void thread_first_entry();
} // namespace

void ThreadQueue::push_back(Thread* thread)
{
    thread->queue_next_ = nullptr;
    if (tail_)
        tail_->queue_next_ = thread;
    else
        head_ = thread;
    tail_ = thread;
}

Thread* ThreadQueue::pop_front()
{
    Thread* thread = head_;
    if (thread) {
        head_ = thread->queue_next_;
        if (!head_)
            tail_ = nullptr;
        thread->queue_next_ = nullptr;
    }
    return thread;
}

bool ThreadQueue::remove(Thread* thread)
{
    Thread* previous = nullptr;
    for (Thread* t = head_; t; previous = t, t = t->queue_next_) {
        if (t != thread)
            continue;
        (previous ? previous->queue_next_ : head_) = t->queue_next_;
        if (tail_ == t)
            tail_ = previous;
        t->queue_next_ = nullptr;
        return true;
    }
    return false;
}

void Thread::prepare_stack(ThreadFunction function, void* argument)
{
    memcpy(stack_, &STACK_CANARY, sizeof(STACK_CANARY));
    /* switch_context pops R15, R14, R13, R12, RBX, RBP, then returns. */
    auto* top = reinterpret_cast<uint64_t*>(stack_top());
    /* After the final ret RSP is stack_top, 16-byte aligned, so the call to
     * thread_start enters it with RSP = 8 (mod 16) as the ABI wants. */
    *--top = reinterpret_cast<uint64_t>(thread_first_entry);
    *--top = 0;                                      /* rbp */
    *--top = 0;                                      /* rbx */
    *--top = reinterpret_cast<uint64_t>(function);   /* r12 */
    *--top = reinterpret_cast<uint64_t>(argument);   /* r13 */
    *--top = 0;                                      /* r14 */
    *--top = 0;                                      /* r15 */
    saved_rsp_ = reinterpret_cast<uint64_t>(top);
}

bool Thread::stack_intact() const
{
    if (!stack_)
        return true;
    uint64_t canary;
    memcpy(&canary, stack_, sizeof(canary));
    return canary == STACK_CANARY;
}
