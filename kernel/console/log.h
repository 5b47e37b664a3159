/* Kernel log: every line carries who printed it and a category, and goes to the
 * VGA screen and to COM1 at once, so a person and a test harness see the same.
 *
 * Line format:  [host boot] Matryoshka kernel ...
 *                ^who ^category
 * `who` is "host" on bare metal and "guest" when the kernel finds itself running
 * under the Matryoshka hypervisor; the hypervisor prefixes the lines it relays
 * with the VM's id, so host and guest output never look alike. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

enum class LogCategory { boot, memory, interrupt, sched, sync, test, panic, vmx, hypercall, device, fs, user, debug };

const char* log_category_name(LogCategory category);

/* Sets the `who` tag of every following line ("host" until called). */
void log_set_source(const char* who);
const char* log_source();

/* One complete line; a trailing newline is added. */
void log(LogCategory category, const char* format, ...) __attribute__((format(printf, 2, 3)));
void vlog(LogCategory category, const char* format, va_list args);

/* Raw console output without a tag, for the shell and for continuation text. */
void console_write(const char* text, size_t length);
/* From now on console output also goes to the debug port 0xE9 (the command-line
 * word `debugcon`; the SWEB-form kernel.x does it from its entry). */
void console_use_debug_port();
