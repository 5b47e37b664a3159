/* The boot-time echo; see echo_input.h. */
#include "echo_input.h"

#include "arch/x86_64/cpu.h"
#include "console/console_input.h"
#include "console/log.h"
#include "lib/string.h"
#include "power/power.h"
#include "sched/scheduler.h"

#include <stddef.h>

namespace echo_input {

namespace {

constexpr char BACKSPACE = '\b';
constexpr char DELETE = 0x7F; /* what most terminals send for backspace */

/* Sleeps until a byte arrives. The queue is checked with interrupts off, and the
 * sti;hlt pair lets no interrupt in between, so a byte that arrives after the
 * check still ends the hlt; the tick stops meanwhile (tickless idle: an idle
 * guest costs its host almost nothing). */
char wait_for_char()
{
    for (;;) {
        cpu::cli();
        int c = console_input::read_char();
        if (c >= 0) {
            cpu::sti();
            return char(c);
        }
        Scheduler::instance().halt_until_interrupt();
    }
}

[[noreturn]] void finish(const char* line)
{
    log(LogCategory::device, "echo_input: line \"%s\"", line);
    log(LogCategory::boot, "POWER OFF: passed");
    power_off(PowerOffStatus::passed);
}

} // namespace

void run_until_poweroff()
{
    log(LogCategory::device, "echo_input: ready, type a line (\"poweroff\" ends)");
    char line[128];
    size_t length = 0;
    for (;;) {
        char c = wait_for_char();
        if (c == BACKSPACE || c == DELETE) {
            if (length) {
                --length;
                console_write("\b \b", 3);
            }
            continue;
        }
        console_write(&c, 1);
        if (c != '\n') {
            if (length < sizeof(line) - 1)
                line[length++] = c;
            continue;
        }
        line[length] = '\0';
        if (strcmp(line, "poweroff") == 0)
            finish(line);
        log(LogCategory::device, "echo_input: line \"%s\"", line);
        length = 0;
    }
}

} // namespace echo_input
