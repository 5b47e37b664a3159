/* A terminal: where a shell reads what is typed and writes what it shows. Input
 * arrives in an interrupt handler (PS/2 keyboard, COM1) and waits in a queue; a
 * reading thread sleeps on the terminal's wait queue until there is some. Output
 * goes to the device behind the terminal (a VGA screen, COM1, the kernel log).
 * There is no line discipline: programs get the bytes as typed and echo them
 * themselves (the shell's line editor does), like a terminal in raw mode. */
#pragma once
#include "lib/ring_buffer.h"
#include "sched/thread.h"
#include "sync/mutex.h"

#include <stddef.h>

class Terminal {
public:
    static constexpr size_t INPUT_CAPACITY = 1024;

    explicit Terminal(const char* name) : name_(name), output_lock_(name) {}
    virtual ~Terminal() = default;
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    /* "tty1", "ttyS0": also its name under /dev. */
    const char* name() const { return name_; }

    /* From an interrupt handler (interrupts off): queues `bytes` and wakes the
     * readers. Bytes beyond the queue's room are dropped and counted. */
    void receive(const char* bytes, size_t length);
    /* Sleeps until input is queued, then takes up to `count` bytes of it. A
     * terminal without an input device returns 0 (end of file) at once. Call
     * with interrupts on and no lock held that a writer needs. */
    size_t read(char* buffer, size_t count);
    /* Shows `text`; writers take turns per call. */
    void write(const char* text, size_t length);

    size_t dropped_input() const { return dropped_; }
    /* Threads sleeping in read(), for tests. */
    bool has_readers() const { return !readers_.empty(); }

protected:
    /* Puts bytes on the device; called with the output lock held. */
    virtual void output(const char* text, size_t length) = 0;
    virtual bool has_input_device() const { return true; }
    /* Shows output held back so far; called before a reader goes to sleep (so a
     * prompt is visible) with the output lock held. */
    virtual void flush_output() {}

private:
    const char* name_;
    Mutex output_lock_;
    RingBuffer<char, INPUT_CAPACITY> input_;
    ThreadQueue readers_;
    size_t dropped_ = 0;
};
