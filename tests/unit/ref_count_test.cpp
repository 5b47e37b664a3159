/* kernel/lib/ref_ptr.h: the reference count stays exact when threads take and
 * drop references at the same time (the kernel preempts at any instruction; here
 * two build-machine threads on two cores make the same race far likelier). */
#include "lib/ref_ptr.h"
#include "unit_test.h"

#include <thread>

namespace {

struct Shared : RefCounted<Shared> {
    static inline int deleted = 0;
    ~Shared() { ++deleted; }
};

/* Both threads start together, so that their rounds overlap. */
int ready = 0;

void take_and_drop(Shared* object, int rounds)
{
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < 2) {
    }
    for (int i = 0; i < rounds; ++i) {
        RefPtr<Shared> reference(object);
        RefPtr<Shared> copy = reference;
    }
}

} // namespace

UNIT_TEST(ref_count_stays_exact_under_two_threads)
{
    /* A few trials: a lost update needs both threads on a core at once. */
    for (int trial = 0; trial < 6; ++trial) {
        Shared::deleted = 0;
        RefPtr<Shared> kept(new Shared);
        constexpr int ROUNDS = 500000;
        ready = 0;
        std::thread first(take_and_drop, kept.get(), ROUNDS);
        std::thread second(take_and_drop, kept.get(), ROUNDS);
        first.join();
        second.join();
        /* A lost update either deletes the object early (deleted != 0) or
         * leaves a count other than the one reference still held. */
        CHECK_EQ(Shared::deleted, 0);
        CHECK_EQ(kept->ref_count(), 1u);
        if (Shared::deleted != 0 || kept->ref_count() != 1)
            return;
        kept = nullptr;
        CHECK_EQ(Shared::deleted, 1);
    }
}
