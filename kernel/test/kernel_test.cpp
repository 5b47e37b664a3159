/* The in-kernel test runner; see kernel_test.h for the protocol. */
#include "kernel_test.h"

#include "boot/cmdline.h"
#include "console/log.h"
#include "lib/format.h"
#include "lib/string.h"

#include <stdarg.h>

extern "C" const KernelTest __kernel_tests_start[], __kernel_tests_end[];

void TestContext::fail(const char* format, ...)
{
    if (!failed_) {
        va_list args;
        va_start(args, format);
        vformat_string(reason_, sizeof(reason_), format, args);
        va_end(args);
    }
    failed_ = true;
}

void TestContext::skip(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    vformat_string(reason_, sizeof(reason_), format, args);
    va_end(args);
    skipped_ = true;
}

namespace {

bool selected(const KernelTest& test, const char* sets)
{
    char option[300];
    format_string(option, sizeof(option), "test=%s", sets);
    CommandLine list(option);
    return list.list_contains("test", "all") || list.list_contains("test", test.set);
}

} // namespace

TestSummary run_kernel_tests(const char* sets)
{
    TestSummary summary;
    for (const KernelTest* test = __kernel_tests_start; test < __kernel_tests_end; ++test) {
        if (!selected(*test, sets))
            continue;
        TestContext context;
        test->run(context);
        if (context.failed()) {
            ++summary.failed;
            log(LogCategory::test, "FAIL: %s.%s: %s", test->set, test->name, context.reason());
        } else if (context.skipped()) {
            ++summary.skipped;
            log(LogCategory::test, "SKIP: %s.%s: %s", test->set, test->name, context.reason());
        } else {
            ++summary.passed;
            log(LogCategory::test, "PASS: %s.%s", test->set, test->name);
        }
    }
    log(LogCategory::test, "SUMMARY: %zu passed, %zu failed, %zu skipped", summary.passed, summary.failed, summary.skipped);
    return summary;
}
