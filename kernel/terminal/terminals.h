/* The terminals of this machine: tty1..tty3 on the VGA screen (Alt+F1..F3 switch
 * between them), ttyS0 on COM1 and the log terminal of run=; all under /dev
 * (TerminalFs). Typed input reaches the visible VGA terminal (keyboard) or ttyS0
 * (COM1) once attach_input() routed it there. */
#pragma once
#include "fs/open_file.h"
#include "lib/result.h"
#include "terminal/terminal_devices.h"
#include "terminal/terminal_fs.h"

namespace terminals {

constexpr unsigned SCREEN_TERMINALS = 3;

/* Creates the terminals and mounts them at /dev. Needs kernel_vfs::init(). */
void init();
/* Keyboard and COM1 input go to the terminals from now on (and Alt+F<n>
 * switches screens); detach_input() sends it back to the console queue. */
void attach_input();
void detach_input();

/* tty1 is index 0. */
ScreenTerminal& screen_terminal(unsigned index);
SerialTerminal& serial_terminal();
LogTerminal& log_terminal();
TerminalFs& file_system();

/* Shows tty<number> (1 .. SCREEN_TERMINALS), or the extra console (number
 * EXTRA_CONSOLE) when one is registered; other numbers are ignored. */
void switch_to(unsigned number);
/* The number of the visible terminal (EXTRA_CONSOLE for the extra console). */
unsigned visible();

/* A console beyond the VGA terminals, shown with Alt+F4: the VM console
 * (hypervisor/vm_console/vm_console.h). `show` takes over the display, `hide` is called
 * when another terminal comes to the front. */
constexpr unsigned EXTRA_CONSOLE = SCREEN_TERMINALS + 1;
struct ExtraConsole {
    void (*show)();
    void (*hide)();
};
void set_extra_console(const ExtraConsole* console);

/* A new open file (read and write) on `terminal`, for the standard streams of a
 * process the kernel starts. Takes the file system lock. */
[[nodiscard]] Result<RefPtr<OpenFile>> open(Terminal& terminal);

} // namespace terminals
