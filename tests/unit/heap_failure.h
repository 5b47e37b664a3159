/* Injected heap exhaustion for the unit tests: the build machine's nothrow
 * operator new (what the kernel's fallible forms, new (std::nothrow), try_append
 * and KString::try_copy, come down to) can be made to fail after a count of
 * successes (heap_failure.cpp). The throwing forms are never touched. */
#pragma once
#include <cstddef>
#include <cstdint>

namespace heap_failure {

/* The next `successes` nothrow allocations succeed, every later one fails, until
 * disarm(). */
void fail_after(size_t successes);
void disarm();
/* Nothrow allocations refused since the last fail_after(). */
size_t refused();

struct Armed {
    explicit Armed(size_t successes) { fail_after(successes); }
    ~Armed() { disarm(); }
};

} // namespace heap_failure
