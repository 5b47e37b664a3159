/* The "[user test]" protocol lines; see user_test.h. */
#include <stdarg.h>
#include <stdio.h>
#include <user_test.h>

namespace {
int passed_count = 0, failed_count = 0, skipped_count = 0;
}

extern "C" {

bool user_test_expect(bool passed, const char* name, const char* reason_format, ...)
{
    if (passed) {
        ++passed_count;
        printf("[user test] PASS: %s\n", name);
        return true;
    }
    ++failed_count;
    char reason[192];
    va_list args;
    va_start(args, reason_format);
    vsnprintf(reason, sizeof(reason), reason_format, args);
    va_end(args);
    printf("[user test] FAIL: %s: %s\n", name, reason);
    return false;
}

void user_test_skip(const char* name, const char* reason)
{
    ++skipped_count;
    printf("[user test] SKIP: %s: %s\n", name, reason);
}

int user_test_summary()
{
    printf("[user test] SUMMARY: %d passed, %d failed, %d skipped\n", passed_count, failed_count, skipped_count);
    return failed_count ? 1 : 0;
}

} // extern "C"
