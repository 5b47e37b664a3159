/* In-kernel test of per-thread x87/SSE state (set "sched", arch/x86_64/fpu.h):
 * threads that load their own values into XMM0-XMM7 and yield to each other many
 * times must find their own values every time. The bug it pins: nothing saved
 * those registers, so each thread (a user program, a VM's guest) saw the one that
 * ran before it. The kernel is built with -mgeneral-regs-only, so the registers
 * are touched here only inside asm statements. */
#include "sched/scheduler.h"
#include "test/kernel_test.h"

namespace {

constexpr int THREADS = 3;
constexpr int ROUNDS = 200;
constexpr size_t XMM_BYTES = 8 * 16;

volatile int mismatches[THREADS];
volatile int rounds_done[THREADS];

void load_xmm0_to_7(const uint8_t* bytes)
{
    asm volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\tmovdqu 32(%0), %%xmm2\n\t"
                 "movdqu 48(%0), %%xmm3\n\tmovdqu 64(%0), %%xmm4\n\tmovdqu 80(%0), %%xmm5\n\t"
                 "movdqu 96(%0), %%xmm6\n\tmovdqu 112(%0), %%xmm7" ::"r"(bytes)
                 : "memory");
}

void store_xmm0_to_7(uint8_t* bytes)
{
    asm volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\tmovdqu %%xmm2, 32(%0)\n\t"
                 "movdqu %%xmm3, 48(%0)\n\tmovdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\t"
                 "movdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)" ::"r"(bytes)
                 : "memory");
}

void keep_own_xmm_registers(void* argument)
{
    auto index = int(reinterpret_cast<intptr_t>(argument));
    uint8_t expected[XMM_BYTES], seen[XMM_BYTES];
    for (size_t i = 0; i < XMM_BYTES; ++i)
        expected[i] = uint8_t(0x40 * (index + 1) + i);
    load_xmm0_to_7(expected);
    for (int round = 0; round < ROUNDS; ++round) {
        Scheduler::instance().yield();
        store_xmm0_to_7(seen);
        for (size_t i = 0; i < XMM_BYTES; ++i) {
            if (seen[i] != expected[i]) {
                mismatches[index] = mismatches[index] + 1;
                load_xmm0_to_7(expected); /* count each clobbering once */
                break;
            }
        }
        rounds_done[index] = round + 1;
    }
}

} // namespace

KERNEL_TEST(sched, threads_keep_their_own_xmm_registers_across_context_switches)
{
    Thread* threads[THREADS];
    for (int i = 0; i < THREADS; ++i) {
        mismatches[i] = 0;
        rounds_done[i] = 0;
        threads[i] = Scheduler::instance().spawn(keep_own_xmm_registers, reinterpret_cast<void*>(intptr_t(i)), "xmm");
        EXPECT(threads[i] != nullptr);
    }
    for (int i = 0; i < THREADS; ++i) {
        if (threads[i])
            Scheduler::instance().join(threads[i]);
    }
    for (int i = 0; i < THREADS; ++i) {
        EXPECT_EQ(rounds_done[i], ROUNDS);
        EXPECT_EQ(mismatches[i], 0);
    }
}
