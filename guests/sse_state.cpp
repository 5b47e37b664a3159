/* Test guest "sse_state": SSE arithmetic on XMM0-XMM7 for many host time slices,
 * checking the registers after every few rounds. Two of these side by side (with
 * different seeds) prove that the host keeps each VM's x87/SSE registers apart
 * (kernel/arch/x86_64/fpu.h): VM entries and exits do not switch them, so a host
 * that does not save them around its context switches hands one guest's XMM
 * values to the other. Each register holds four 32-bit lanes that grow by their
 * own seeded increment every round (PADDD); the guest knows what each lane must
 * hold after r rounds and compares. Follows the Intel SDM (revision 084), Vol. 3A,
 * "Initialization of the SSE Extensions" (CR4.OSFXSR, CR0.EM/MP) and Vol. 2,
 * "PADDB/PADDW/PADDD/PADDQ". */
#include "common/guest.h"
#include "common/hostile.h"
#include "common/text.h"
#include "kernel/arch/x86_64/control_registers.h"

namespace guest {

const char GUEST_NAME[] = "sse_state";

namespace {

constexpr uint32_t REGISTERS = 8, LANES = 4;
/* About 30 instructions a round: some 20 million in all, several of the host's
 * 10 ms time slices at Bochs' 50 million instructions a second even alone. */
constexpr uint32_t ROUNDS = 600000;
constexpr uint32_t CHECK_EVERY = 16;

alignas(16) uint32_t start[REGISTERS][LANES];
alignas(16) uint32_t increment[REGISTERS][LANES];
alignas(16) uint32_t seen[REGISTERS][LANES];

void enable_sse()
{
    uint32_t cr0, cr4;
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %0, %%cr0" ::"r"(uint32_t((cr0 | CR0_MP) & ~(CR0_EM | CR0_TS))));
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" ::"r"(uint32_t(cr4 | CR4_OSFXSR)));
}

void load_registers(const uint32_t (*values)[LANES])
{
    asm volatile("movdqu 0(%0), %%xmm0\n\tmovdqu 16(%0), %%xmm1\n\tmovdqu 32(%0), %%xmm2\n\t"
                 "movdqu 48(%0), %%xmm3\n\tmovdqu 64(%0), %%xmm4\n\tmovdqu 80(%0), %%xmm5\n\t"
                 "movdqu 96(%0), %%xmm6\n\tmovdqu 112(%0), %%xmm7" ::"r"(values)
                 : "memory");
}

void add_increments()
{
    asm volatile("paddd 0(%0), %%xmm0\n\tpaddd 16(%0), %%xmm1\n\tpaddd 32(%0), %%xmm2\n\t"
                 "paddd 48(%0), %%xmm3\n\tpaddd 64(%0), %%xmm4\n\tpaddd 80(%0), %%xmm5\n\t"
                 "paddd 96(%0), %%xmm6\n\tpaddd 112(%0), %%xmm7" ::"r"(increment)
                 : "memory");
}

void store_registers()
{
    asm volatile("movdqu %%xmm0, 0(%0)\n\tmovdqu %%xmm1, 16(%0)\n\tmovdqu %%xmm2, 32(%0)\n\t"
                 "movdqu %%xmm3, 48(%0)\n\tmovdqu %%xmm4, 64(%0)\n\tmovdqu %%xmm5, 80(%0)\n\t"
                 "movdqu %%xmm6, 96(%0)\n\tmovdqu %%xmm7, 112(%0)" ::"r"(seen)
                 : "memory");
}

/* Whether every lane holds start + rounds * increment (mod 2^32). */
bool registers_as_expected(uint32_t rounds)
{
    store_registers();
    for (uint32_t r = 0; r < REGISTERS; ++r) {
        for (uint32_t lane = 0; lane < LANES; ++lane) {
            if (seen[r][lane] != start[r][lane] + rounds * increment[r][lane])
                return false;
        }
    }
    return true;
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    for (uint32_t r = 0; r < REGISTERS; ++r) {
        for (uint32_t lane = 0; lane < LANES; ++lane) {
            start[r][lane] = random.next();
            increment[r][lane] = random.next() | 1;
        }
    }
    enable_sse();
    load_registers(start);
    uint32_t mismatches = 0, first_mismatch = 0;
    for (uint32_t round = 1; round <= ROUNDS; ++round) {
        add_increments();
        if (round % CHECK_EVERY != 0 || registers_as_expected(round))
            continue;
        if (mismatches++ == 0)
            first_mismatch = round;
        /* Put the expected values back so that each clobbering counts once. */
        for (uint32_t r = 0; r < REGISTERS; ++r) {
            for (uint32_t lane = 0; lane < LANES; ++lane)
                seen[r][lane] = start[r][lane] + round * increment[r][lane];
        }
        load_registers(seen);
    }
    Text reason;
    reason.add("XMM registers changed behind the guest's back ").add_decimal(mismatches).add(" times, first after round ")
        .add_decimal(first_mismatch);
    check("xmm_registers_kept_through_host_preemptions", mismatches == 0, reason.c_str());
}

} // namespace guest
