/* Terminal input queue and blocking read; see terminal.h. */
#include "terminal/terminal.h"

#include "arch/x86_64/interrupt_guard.h"
#include "sched/scheduler.h"

void Terminal::receive(const char* bytes, size_t length)
{
    InterruptGuard guard;
    for (size_t i = 0; i < length; ++i) {
        if (!input_.push(bytes[i]))
            ++dropped_;
    }
    Scheduler::instance().wake_all(readers_);
}

size_t Terminal::read(char* buffer, size_t count)
{
    if (count == 0 || !has_input_device())
        return 0;
    {
        MutexLocker locker(output_lock_);
        flush_output();
    }
    /* The queue is checked and the reader queued with interrupts off, so input
     * that arrives in between finds the reader queued and wakes it. */
    InterruptGuard guard;
    while (input_.empty())
        Scheduler::instance().block_current_on(readers_);
    size_t taken = 0;
    while (taken < count && input_.pop(buffer[taken]))
        ++taken;
    return taken;
}

void Terminal::write(const char* text, size_t length)
{
    MutexLocker locker(output_lock_);
    output(text, length);
}
