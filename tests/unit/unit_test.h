/* A minimal unit-test framework for the kernel's pure logic, compiled for the build
 * machine. Each test prints one line in the kernel's own protocol (PASS:/FAIL:),
 * and tests/unit/test_unit_tests.py turns each into one pytest result.
 *   unit_tests --list      the test names, one per line
 *   unit_tests [NAME...]   run the named tests (all without names) */
#pragma once
#include <cstdio>
#include <cstring>
#include <string>

namespace unit {

struct Test {
    const char* name;
    void (*run)();
    Test* next;
};

Test*& registry();
void record_failure(const std::string& message);
/* Whether the running test has recorded a failure yet. */
bool current_test_failed();

struct Registration {
    Registration(Test* test)
    {
        test->next = registry();
        registry() = test;
    }
};

} // namespace unit

#define UNIT_TEST(test_name)                                                                             \
    static void unit_test_##test_name();                                                                 \
    static unit::Test unit_test_entry_##test_name{#test_name, unit_test_##test_name, nullptr};           \
    static unit::Registration unit_test_registration_##test_name{&unit_test_entry_##test_name};          \
    static void unit_test_##test_name()

#define CHECK(condition)                                                                                 \
    do {                                                                                                 \
        if (!(condition))                                                                                \
            unit::record_failure(std::string("expected ") + #condition + " at " + __FILE__ + ":" +     \
                                 std::to_string(__LINE__));                                              \
    } while (0)

#define CHECK_EQ(actual, expected)                                                                       \
    do {                                                                                                 \
        auto actual_value_ = (actual);                                                                   \
        auto expected_value_ = (expected);                                                               \
        if (!(actual_value_ == expected_value_))                                                         \
            unit::record_failure(std::string("expected ") + #actual + " == " + #expected + ", got " +   \
                                 unit::describe(actual_value_) + " vs " + unit::describe(expected_value_) + \
                                 " at " + __FILE__ + ":" + std::to_string(__LINE__));                   \
    } while (0)

namespace unit {
inline std::string describe(const char* text) { return text ? "\"" + std::string(text) + "\"" : "null"; }
inline std::string describe(char* text) { return describe(static_cast<const char*>(text)); }
inline std::string describe(const std::string& text) { return "\"" + text + "\""; }
inline std::string describe(bool value) { return value ? "true" : "false"; }
template <typename T> std::string describe(T value)
{
    if constexpr (std::is_enum_v<T>)
        return std::to_string(static_cast<long long>(value));
    else
        return std::to_string(value);
}
} // namespace unit
