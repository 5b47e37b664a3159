/* spin: a CPU-bound program that reports its progress: blocks of arithmetic,
 * counted until MS milliseconds (default 1000) have passed on the kernel's clock,
 * which in Bochs is emulated time. Beside busy VMs it shows the share of the CPU
 * the host's scheduler leaves a host program (docs/multi-vm.md).
 *   spin [MS]   prints "spin: N blocks in M ms, R per second" */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

namespace {

/* One block is a few thousand instructions: long against reading the clock, short
 * against a time slice. */
constexpr int STEPS_PER_BLOCK = 1000;

uint64_t run_block(uint64_t value)
{
    for (int i = 0; i < STEPS_PER_BLOCK; ++i) {
        value = value * 6364136223846793005ull + 1442695040888963407ull;
        /* Keeps the compiler from folding the loop into a closed form. */
        asm volatile("" : "+r"(value));
    }
    return value;
}

} // namespace

int main(int argc, char** argv)
{
    long milliseconds = argc > 1 ? strtol(argv[1], nullptr, 10) : 1000;
    if (argc > 2 || milliseconds <= 0) {
        dprintf(2, "usage: spin [MS]\n");
        return 2;
    }
    uint64_t start = clock_ns();
    uint64_t end = start + uint64_t(milliseconds) * 1000000ull;
    uint64_t blocks = 0, value = 1, now = start;
    while (now < end) {
        value = run_block(value);
        ++blocks;
        now = clock_ns();
    }
    uint64_t elapsed_ms = (now - start) / 1000000;
    printf("spin: %lu blocks in %lu ms, %lu per second\n", (unsigned long)blocks, (unsigned long)elapsed_ms,
           (unsigned long)(blocks * 1000 / (elapsed_ms ? elapsed_ms : 1)));
    return 0;
}
