/* The boot-time echo (command line word `echo_input`): shows every typed byte on
 * the console and logs each completed line until the line "poweroff", which
 * powers the machine off as passed. Lets a test type over COM1 and read the
 * answer without a screen. */
#pragma once

namespace echo_input {

[[noreturn]] void run_until_poweroff();

} // namespace echo_input
