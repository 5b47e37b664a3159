/* The kernel's GDB stub, in the manner of Linux's KGDB: GDB's remote serial
 * protocol over COM2 (port 0x2F8, polled), so GDB can debug the kernel on a
 * machine whose own debugger offers no GDB stub (Bochs here, real hardware).
 * While stopped, interrupts stay off and this CPU only talks to GDB: the stop
 * borrows the stack of whatever it interrupted. Packets: gdb_session.h; the GDB
 * manual, appendix "GDB Remote Serial Protocol". */
#pragma once
#include "debug/gdb_session.h"

struct TrapFrame;

namespace gdb_stub {

constexpr uint16_t COM2_PORT = 0x2F8;

/* With `gdb=com2` on the kernel command line: sets up COM2, then stops at an
 * int3 right here and waits for GDB (`target remote`). Needs the IDT. */
void start_if_requested(const char* command_line);

/* From the #BP and #DB handlers, for kernel-mode traps: true when the stub took
 * the trap (one of GDB's breakpoints, a single step, any int3 while GDB is
 * attached), reported it to GDB and returns once GDB resumes; false leaves the
 * trap to the usual handling. */
bool handle_trap(TrapFrame& frame);

/* Whether GDB is attached (from `gdb=com2` until GDB detaches). */
bool attached();

/* A `monitor NAME ARGUMENTS` command; `arguments` is the rest of the line. */
using MonitorHandler = void (*)(const char* arguments, gdb::MonitorOutput& output);
/* Adds a monitor command (a global constructor may call this: the table is
 * static); false when the table of 8 is full. */
bool register_monitor_command(const char* name, const char* help, MonitorHandler handler);

} // namespace gdb_stub
