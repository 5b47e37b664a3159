/* What the kernel runs in user space once it has booted: a shell on every
 * terminal (started again when it ends), or, with run=PROGRAM[,PROGRAM...] on
 * the command line, those programs one after another with their output in the
 * log, each program's exit status reported as a test line:
 *     [host user] fs_stress: [user test] PASS: fs_stress.create_many_files
 *     [host test] PASS: run.fs_stress
 *     [host test] SUMMARY: 3 passed, 0 failed, 0 skipped */
#pragma once

namespace user_sessions {

/* Starts /bin/sh on tty2, tty3 and ttyS0 in threads of their own and runs the
 * one on tty1 in the calling thread; never returns (poweroff ends the machine). */
[[noreturn]] void run_shells();

/* Runs the comma-separated programs (paths) of `list` in turn, prints a test
 * line for each and the summary, then powers off. */
[[noreturn]] void run_programs(const char* list);

} // namespace user_sessions
