/* syscall_bench: the cost of a system call round trip (getpid, the cheapest) and
 * of yield, in nanoseconds per call, measured with clock_ns. Prints figures, not a
 * verdict: "[user bench] name: N calls, T ns total, P ns per call". */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

namespace {

template <typename Call> void measure(const char* name, long calls, Call call)
{
    uint64_t start = clock_ns();
    for (long i = 0; i < calls; ++i)
        call();
    uint64_t elapsed = clock_ns() - start;
    printf("[user bench] %s: %ld calls, %lu ns total, %lu ns per call\n", name, calls,
           static_cast<unsigned long>(elapsed), static_cast<unsigned long>(elapsed / uint64_t(calls)));
}

} // namespace

int main(int argc, char** argv)
{
    long calls = argc > 1 ? strtol(argv[1], nullptr, 10) : 100000;
    if (calls < 10)
        calls = 10;
    measure("syscall getpid", calls, [] { getpid(); });
    measure("syscall clock_ns", calls, [] { clock_ns(); });
    measure("syscall yield", calls / 10, [] { yield(); });
    return 0;
}
