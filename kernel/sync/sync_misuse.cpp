/* Deliberate Mutex and Condition misuse; see sync_misuse.h. Each case sets up a
 * real situation (other threads holding and waiting) before the broken call. */
#include "sync/sync_misuse.h"

#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "sync/condition.h"
#include "time/clock.h"

namespace {

Mutex first("first");
Mutex second("second");
Condition condition(first, "condition");

void let_others_run() { Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS); }

void hold_first_forever(void*)
{
    first.lock();
    for (;;)
        Scheduler::instance().sleep_ns(1000 * clock::NS_PER_MS);
}

void hold_first_then_want_second(void*)
{
    first.lock();
    second.lock();
}

void hold_first_and_end(void*) { first.lock(); }

} // namespace

bool provoke_sync_misuse(const char* what)
{
    Scheduler& scheduler = Scheduler::instance();
    if (strcmp(what, "mutex_recursive") == 0) {
        first.lock();
        first.lock();
    } else if (strcmp(what, "mutex_foreign_unlock") == 0) {
        scheduler.detach(scheduler.spawn(hold_first_and_end, nullptr, "holder"));
        let_others_run();
        first.unlock();
    } else if (strcmp(what, "mutex_interrupts_off") == 0) {
        scheduler.detach(scheduler.spawn(hold_first_forever, nullptr, "holder"));
        let_others_run();
        cpu::cli();
        first.lock();
    } else if (strcmp(what, "mutex_deadlock") == 0) {
        second.lock();
        scheduler.detach(scheduler.spawn(hold_first_then_want_second, nullptr, "holder"));
        let_others_run();
        first.lock();
    } else if (strcmp(what, "condition_without_mutex") == 0) {
        condition.signal();
    } else {
        return false;
    }
    log(LogCategory::sync, "misuse %s was not caught", what);
    return true;
}
