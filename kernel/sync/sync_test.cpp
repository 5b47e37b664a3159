/* In-kernel tests of Mutex and Condition (set "sync"). Misuse is tested by
 * booting with crash=mutex_* (tests/system/test_sync_misuse.py). */
#include "arch/x86_64/interrupt_guard.h"
#include "sched/scheduler.h"
#include "sync/condition.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

/* A bounded buffer: producers put each number 0..ITEMS-1 exactly once, consumers
 * mark what they take; every item must be seen exactly once. */
constexpr int PRODUCERS = 3;
constexpr int CONSUMERS = 3;
constexpr int ITEMS = 3000;
constexpr int CAPACITY = 8;

struct BoundedBuffer {
    Mutex mutex{"buffer"};
    Condition not_full{mutex, "not_full"};
    Condition not_empty{mutex, "not_empty"};
    int slots[CAPACITY] = {};
    int head = 0, count = 0;
    int next_item = 0;
    int consumed = 0;
    uint8_t seen[ITEMS] = {};
};
BoundedBuffer* buffer;

void producer(void*)
{
    for (;;) {
        MutexLocker lock(buffer->mutex);
        while (buffer->count == CAPACITY && buffer->next_item < ITEMS)
            buffer->not_full.wait();
        /* Re-checked after waiting: another producer may have put the last item. */
        if (buffer->next_item == ITEMS)
            return;
        buffer->slots[(buffer->head + buffer->count++) % CAPACITY] = buffer->next_item++;
        buffer->not_empty.signal();
    }
}

void consumer(void*)
{
    for (;;) {
        MutexLocker lock(buffer->mutex);
        while (buffer->count == 0 && buffer->consumed < ITEMS)
            buffer->not_empty.wait();
        if (buffer->consumed == ITEMS) {
            buffer->not_empty.broadcast(); /* lets the other consumers see the end */
            return;
        }
        int item = buffer->slots[buffer->head];
        buffer->head = (buffer->head + 1) % CAPACITY;
        --buffer->count;
        ++buffer->consumed;
        if (buffer->seen[item] < 255)
            ++buffer->seen[item];
        buffer->not_full.signal();
        if (buffer->consumed == ITEMS)
            buffer->not_empty.broadcast();
    }
}

struct Gate {
    Mutex mutex{"gate"};
    Condition opened{mutex, "opened"};
    bool open = false;
    int waiting = 0;
    int passed = 0;
};
Gate* gate;

void wait_at_gate(void*)
{
    MutexLocker lock(gate->mutex);
    ++gate->waiting;
    while (!gate->open)
        gate->opened.wait();
    ++gate->passed;
}

} // namespace

KERNEL_TEST(sync, producer_consumer_loses_and_duplicates_nothing)
{
    buffer = new BoundedBuffer;
    Scheduler& scheduler = Scheduler::instance();
    Thread* threads[PRODUCERS + CONSUMERS];
    for (int i = 0; i < PRODUCERS; ++i)
        threads[i] = scheduler.spawn(producer, nullptr, "producer");
    for (int i = 0; i < CONSUMERS; ++i)
        threads[PRODUCERS + i] = scheduler.spawn(consumer, nullptr, "consumer");
    for (Thread* thread : threads)
        scheduler.join(thread);
    int wrong = 0;
    for (int i = 0; i < ITEMS; ++i)
        wrong += buffer->seen[i] != 1;
    EXPECT_EQ(buffer->consumed, ITEMS);
    EXPECT_EQ(wrong, 0);
    delete buffer;
}

KERNEL_TEST(sync, broadcast_wakes_every_waiter)
{
    gate = new Gate;
    Scheduler& scheduler = Scheduler::instance();
    Thread* threads[5];
    for (Thread*& thread : threads)
        thread = scheduler.spawn(wait_at_gate, nullptr, "gate");
    for (;;) {
        gate->mutex.lock();
        int waiting = gate->waiting;
        gate->mutex.unlock();
        if (waiting == 5)
            break;
        scheduler.yield();
    }
    {
        MutexLocker lock(gate->mutex);
        gate->open = true;
        gate->opened.broadcast();
    }
    for (Thread* thread : threads)
        scheduler.join(thread);
    EXPECT_EQ(gate->passed, 5);
    delete gate;
}

KERNEL_TEST(sync, mutex_records_owner_and_try_lock_fails_when_held)
{
    Mutex mutex("owner");
    EXPECT(mutex.try_lock());
    EXPECT(mutex.held_by_current_thread());
    EXPECT(mutex.owner() == Scheduler::instance().current());
    EXPECT(!mutex.try_lock());
    mutex.unlock();
    EXPECT(mutex.owner() == nullptr);
}

namespace {

struct Contended {
    Mutex mutex{"contended"};
    bool waiter_had_it = false;
};

void take_and_release(void* argument)
{
    auto* contended = static_cast<Contended*>(argument);
    MutexLocker lock(contended->mutex);
    contended->waiter_had_it = true;
}

} // namespace

/* No hand-off (mutex.h): the holder that unlocks while a thread waits can lock
 * again at once, and the woken waiter takes the mutex the next time it is free. */
KERNEL_TEST(sync, unlock_wakes_a_waiter_without_handing_it_the_mutex)
{
    Scheduler& scheduler = Scheduler::instance();
    auto* contended = new Contended;
    contended->mutex.lock();
    Thread* waiter = scheduler.spawn(take_and_release, contended, "waiter");
    if (!waiter) {
        contended->mutex.unlock();
        delete contended;
        t.fail("no memory for the waiter");
        return;
    }
    scheduler.sleep_ns(5'000'000); /* the waiter runs and blocks in lock() */
    EXPECT(waiter->waiting_for() == &contended->mutex);
    bool locked_again;
    {
        InterruptGuard no_preemption; /* else the woken waiter might run in between */
        contended->mutex.unlock();
        locked_again = contended->mutex.try_lock();
    }
    EXPECT(locked_again);
    EXPECT(!contended->waiter_had_it);
    if (locked_again)
        contended->mutex.unlock();
    scheduler.join(waiter);
    EXPECT(contended->waiter_had_it);
    EXPECT(contended->mutex.owner() == nullptr);
    delete contended;
}
