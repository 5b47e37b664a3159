/* What the hostile test guests share (docs/hostile-guests.md): the seed from the
 * Multiboot command line ("seed=N"), a small deterministic PRNG so a seed always
 * replays the same run, and the one summary line each guest prints through
 * HYPERCALL_PRINT for tests/system/test_hostile_guests.py and tools/hostile.py:
 *   HOSTILE <class> seed=<N> cases=<M> <key>=<value> ...
 * Follows the Multiboot Specification version 0.6.96, "Boot information format"
 * (the cmdline field). */
#pragma once
#include "common/text.h"

#include <stdint.h>

namespace guest {

/* The N of "seed=N" on the command line the loader passed, 1 when there is none. */
uint32_t command_line_seed();
/* Whether the command line holds the whole word `word`. */
bool command_line_has(const char* word);

/* xorshift32 (Marsaglia, "Xorshift RNGs", 2003): tiny, no division, and good
 * enough to spread test cases. Neighbouring small seeds would start on similar
 * states, so the seed is first multiplied by a large odd constant (Knuth's
 * multiplicative hash) and the first outputs are dropped; 0, the generator's one
 * fixed point, is replaced. */
class Random {
public:
    explicit Random(uint32_t seed) : state_(seed * 2654435761u ^ 0x5BD1E995u)
    {
        if (state_ == 0)
            state_ = 0x9E3779B9u;
        for (int i = 0; i < 8; ++i)
            next();
    }
    uint32_t next()
    {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        return state_;
    }
    /* Uniform enough in [0, bound); bound > 0. */
    uint32_t below(uint32_t bound) { return next() % bound; }
    bool chance(uint32_t one_in) { return below(one_in) == 0; }

private:
    uint32_t state_;
};

/* The summary line: started with the class, seed and case count, then any number
 * of key=value pairs, printed (through HYPERCALL_PRINT) by send(). */
class HostileSummary {
public:
    /* The class is the guest's name without "hostile_". */
    HostileSummary(uint32_t seed, uint32_t cases);
    HostileSummary& add(const char* key, uint32_t value);
    HostileSummary& add_hex(const char* key, uint32_t value);
    HostileSummary& add_text(const char* key, const char* value);
    void send();

private:
    Text line_;
};

} // namespace guest
