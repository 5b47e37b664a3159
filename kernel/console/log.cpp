/* Log lines to VGA and COM1, and to the debug port 0xE9 when asked. */
#include "log.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/serial.h"
#include "console/vga_text.h"
#include "lib/format.h"
#include "lib/string.h"

namespace {

const char* source = "host";

constexpr size_t LINE_CAPACITY = 512;
constexpr uint16_t DEBUG_PORT = 0xE9; /* Bochs' "port E9 hack", QEMU's -debugcon */

} // namespace

/* In .data, not .bss: the SWEB-form entry (guests/sweb_form/sweb_entry.S) sets it
 * before boot.S zeroes .bss. */
extern "C" {
__attribute__((section(".data"))) volatile uint32_t console_to_debug_port = 0;
}

void console_use_debug_port() { console_to_debug_port = 1; }

const char* log_category_name(LogCategory category)
{
    switch (category) {
    case LogCategory::boot: return "boot";
    case LogCategory::memory: return "memory";
    case LogCategory::interrupt: return "interrupt";
    case LogCategory::sched: return "sched";
    case LogCategory::sync: return "sync";
    case LogCategory::test: return "test";
    case LogCategory::panic: return "panic";
    case LogCategory::vmx: return "vmx";
    case LogCategory::hypercall: return "hypercall";
    case LogCategory::device: return "device";
    case LogCategory::fs: return "fs";
    case LogCategory::user: return "user";
    case LogCategory::debug: return "debug";
    }
    return "?";
}

void log_set_source(const char* who) { source = who; }
const char* log_source() { return source; }

void console_write(const char* text, size_t length)
{
    InterruptGuard guard;
    serial::write(text, length);
    vga_text::write(text, length);
    /* One string instruction for the whole text: the debug port has no FIFO
     * to wait for, and under a hypervisor a loop of OUTs costs a VM exit per
     * character (kernel.x booting as a nested guest: a third of its exits). */
    if (console_to_debug_port)
        cpu::outsb(DEBUG_PORT, text, length);
}

void vlog(LogCategory category, const char* format, va_list args)
{
    /* Built in one buffer and written at once (console_write holds an interrupt
     * guard), so that a line logged by an interrupt handler never lands inside
     * another line. */
    char line[LINE_CAPACITY];
    /* A log line starts a line of its own even when other output (a program's
     * prompt) left the console in the middle of one: the harness only believes
     * "[host " at the start of a line. */
    size_t used = format_string(line, sizeof(line), "%s[%s %s] ", serial::at_line_start() ? "" : "\n", source,
                                log_category_name(category));
    if (used < sizeof(line))
        vformat_string(line + used, sizeof(line) - used, format, args);
    size_t length = strnlen(line, sizeof(line) - 2);
    line[length++] = '\n';
    console_write(line, length);
}

void log(LogCategory category, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    vlog(category, format, args);
    va_end(args);
}
