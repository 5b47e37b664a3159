/* In-kernel tests. A test is registered with KERNEL_TEST(set, name) and runs when
 * the command line says test=set (or test=all). The runner prints one protocol line
 * per test, which the pytest harness turns into one pytest result each:
 *   [host test] PASS: set.name
 *   [host test] FAIL: set.name: why
 *   [host test] SKIP: set.name: why
 *   [host test] SUMMARY: N passed, N failed, N skipped
 * tests/conftest.py finds the same names by reading KERNEL_TEST(...) in the
 * sources, so a test that silently did not run is noticed. */
#pragma once
#include <stddef.h>

class TestContext {
public:
    /* Records a failure (the first one is reported); the test goes on. */
    void fail(const char* format, ...) __attribute__((format(printf, 2, 3)));
    /* Marks the test skipped with a reason; the test should return. */
    void skip(const char* format, ...) __attribute__((format(printf, 2, 3)));

    bool failed() const { return failed_; }
    bool skipped() const { return skipped_; }
    const char* reason() const { return reason_; }

private:
    bool failed_ = false;
    bool skipped_ = false;
    char reason_[200] = {};
};

/* Entries are laid side by side in the .kernel_tests section and walked as an
 * array; the compiler aligns objects of 16 bytes or more to 16, so the type's own
 * alignment must match to keep the stride equal to sizeof. */
struct alignas(16) KernelTest {
    const char* set;
    const char* name;
    void (*run)(TestContext&);
};
static_assert(sizeof(KernelTest) % 16 == 0);

#define KERNEL_TEST(set_name, test_name)                                                                 \
    static void kernel_test_##set_name##_##test_name(TestContext&);                                      \
    [[gnu::used, gnu::section(".kernel_tests")]] static const KernelTest kernel_test_entry_##set_name##_##test_name{ \
        #set_name, #test_name, kernel_test_##set_name##_##test_name};                                    \
    static void kernel_test_##set_name##_##test_name([[maybe_unused]] TestContext& t)

/* Checks inside a KERNEL_TEST body: record a failure naming the expression and
 * the line, and go on. */
#define EXPECT(condition)                                                                                \
    do {                                                                                                 \
        if (!(condition))                                                                                \
            t.fail("expected %s (%s:%d)", #condition, __FILE__, __LINE__);                              \
    } while (0)

#define EXPECT_EQ(actual, expected)                                                                      \
    do {                                                                                                 \
        auto actual_value_ = (actual);                                                                   \
        auto expected_value_ = (expected);                                                               \
        if (!(actual_value_ == expected_value_))                                                         \
            t.fail("expected %s == %s, got 0x%lx vs 0x%lx (%s:%d)", #actual, #expected,                  \
                   (unsigned long)actual_value_, (unsigned long)expected_value_, __FILE__, __LINE__);    \
    } while (0)

struct TestSummary {
    size_t passed = 0;
    size_t failed = 0;
    size_t skipped = 0;
};

/* Runs every test whose set is listed in `sets` (comma-separated, or "all"), prints
 * the protocol lines and the summary, and returns the counts. */
TestSummary run_kernel_tests(const char* sets);
