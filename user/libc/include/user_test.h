/* The test protocol of user-space test programs: the kernel's PASS:/FAIL:/SKIP:/
 * SUMMARY: lines (kernel/test/kernel_test.h), tagged "[user test]" so the harness
 * tells them from the kernel's own tests:
 *     [user test] PASS: bad_syscalls.write_null_buffer
 *     [user test] FAIL: fs_stress.large_file: read back 4096 of 8192 bytes
 *     [user test] SUMMARY: 12 passed, 1 failed, 0 skipped
 * A program checks with user_test_expect() and ends with
 * `return user_test_summary();`, whose exit status is 0 only if nothing failed. */
#pragma once

extern "C" {
/* Prints PASS or FAIL for test `name`; on failure the printf-style reason. Returns
 * `passed`, so a test can stop early. */
bool user_test_expect(bool passed, const char* name, const char* reason_format, ...)
    __attribute__((format(printf, 3, 4)));
void user_test_skip(const char* name, const char* reason);
/* Prints the SUMMARY line; returns the exit status (1 if any test failed). */
int user_test_summary();
}
