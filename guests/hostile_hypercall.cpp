/* Hostile guest "hostile_hypercall" (docs/hostile-guests.md, class a): seeded
 * random hypercalls with random arguments - known numbers with garbage pointers
 * and lengths, unknown small and large numbers. HYPERCALL_POWER_OFF is the one
 * number never drawn (it would end the run). No call may stop the VM or answer
 * anything but a result or a negative errno value (abi/hypercall.h). Pointers
 * never aim at the guest's own image, so a hypercall that writes guest memory
 * (the paravirtual file system's) only scribbles on scratch space. */
#include "abi/errno.h"
#include "abi/hypercall.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/hypercall.h"

namespace guest {

const char GUEST_NAME[] = "hostile_hypercall";

namespace {

constexpr uint32_t CASES = 400;
/* Numbers below this may be defined now or later; at or above it none is. */
constexpr uint32_t FIRST_SURELY_UNKNOWN = 0x100;
constexpr uint32_t KNOWN_RANGE = 16;
/* The numbers abi/hypercall.h defines now and the next few it may define. */
constexpr uint32_t DEFINED_SOON = 8;
constexpr uint32_t LOW_SCRATCH_START = 0x1000, LOW_SCRATCH_END = 0x9F000; /* RAM below the image */

alignas(4096) char scratch[16384];

struct Tally {
    uint32_t ok, efault, einval, enosys, other;
    uint32_t unknown_not_enosys, ping_wrong;
};

uint32_t ram_end()
{
    const multiboot::Info* info = multiboot_info();
    return info->flags & multiboot::INFO_MEMORY ? 0x100000 + info->mem_upper * 1024 : 0x100000;
}

/* Text with a few control bytes mixed in: what print and test_report read, and
 * what the host must relay without being confused by it. */
void fill_scratch(Random& random)
{
    static const char words[] = "hostile guest text ";
    for (uint32_t i = 0; i < sizeof(scratch); ++i) {
        char c = words[i % (sizeof(words) - 1)];
        scratch[i] = random.chance(64) ? char(random.below(32)) : c;
    }
}

uint32_t random_pointer(Random& random)
{
    uint32_t end = ram_end();
    switch (random.below(8)) {
    case 0: return 0;
    case 1: return uint32_t(uintptr_t(scratch)) + random.below(sizeof(scratch));
    case 2: return end - 1 - random.below(64);               /* straddles the end of RAM */
    case 3: return end + random.below(0x100000);              /* just past RAM */
    case 4: return 0xFFFFFFFF - random.below(64);             /* wraps around 4 GiB */
    case 5: return random.next() | 0x80000000;                /* far outside RAM */
    case 6: return LOW_SCRATCH_START + random.below(LOW_SCRATCH_END - LOW_SCRATCH_START);
    default: return 0xF0000000;
    }
}

uint32_t random_length(Random& random)
{
    switch (random.below(6)) {
    case 0: return 0;
    case 1: return 1 + random.below(64);
    case 2: return HYPERCALL_PRINT_MAX;
    case 3: return HYPERCALL_PRINT_MAX + 1;
    case 4: return 0xFFFFFFFF;
    default: return random.next();
    }
}

uint32_t random_argument(Random& random)
{
    switch (random.below(3)) {
    case 0: return random_pointer(random);
    case 1: return random_length(random);
    default: return random.below(4); /* small values: outcomes, flags, descriptors */
    }
}

uint32_t random_number(Random& random)
{
    uint32_t number;
    switch (random.below(8)) {
    case 0:
    case 1:
    case 2: number = random.below(DEFINED_SOON); break;
    case 3: number = random.below(KNOWN_RANGE); break;
    case 4: number = FIRST_SURELY_UNKNOWN + random.below(0x10000); break;
    case 5: number = random.next(); break;
    default: number = 0x80000000u | random.below(KNOWN_RANGE); break;
    }
    return number == HYPERCALL_POWER_OFF ? HYPERCALL_PING : number;
}

void count(Tally& tally, uint32_t number, int32_t status)
{
    if (status >= 0)
        ++tally.ok;
    else if (status == -EFAULT)
        ++tally.efault;
    else if (status == -EINVAL)
        ++tally.einval;
    else if (status == -ENOSYS)
        ++tally.enosys;
    else
        ++tally.other;
    if (number >= FIRST_SURELY_UNKNOWN && status != -ENOSYS)
        ++tally.unknown_not_enosys;
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    fill_scratch(random);
    Tally tally = {};
    for (uint32_t i = 0; i < CASES; ++i) {
        uint32_t number = random_number(random);
        uint32_t a = random_argument(random), b = random_argument(random), c = random_argument(random),
                 d = random_argument(random);
        HypercallResult result = hypercall(number, a, b, c, d);
        count(tally, number, result.status);
        if (number == HYPERCALL_PING && (result.status != int32_t(HYPERCALL_ABI_VERSION) || result.ebx != a + 1))
            ++tally.ping_wrong;
    }
    HostileSummary(seed, CASES)
        .add("ok", tally.ok).add("efault", tally.efault).add("einval", tally.einval).add("enosys", tally.enosys)
        .add("other", tally.other).send();
    check("unknown_numbers_are_enosys", tally.unknown_not_enosys == 0, "an unknown number did not give -ENOSYS");
    check("ping_answers_amid_garbage", tally.ping_wrong == 0, "a ping gave the wrong version or value");
    check("survived_every_case", true);
}

} // namespace guest
