/* The VM console: the host terminal that shows the front VM's text screen live
 * (Alt+F4, next to the host's tty1..tty3) and gives it the keyboard. While it is
 * in front, every scancode the host's keyboard delivers goes to that VM's virtual
 * 8042, except Alt+F<n>, which the guest never sees: it brings a host terminal
 * back (and the guest is sent the Alt release, so no modifier sticks). */
#pragma once

namespace vm_console {

/* Registers the console with the terminals (call after terminals::init()). */
void init();
/* Which VM the console shows from now on. */
void set_front(int vm_id);
int front();
/* Brings the console to the front of the screen (as Alt+F4 does). */
void show();
bool in_front();

} // namespace vm_console
