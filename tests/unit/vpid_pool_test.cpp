/* hypervisor/vmx/vpid_pool.cpp: VPIDs are never 0, never shared by two holders,
 * and the search wraps from 65,535 to 1 (the bug it pins: the VPID was the VM id
 * cut to 16 bits, so the 65,536th VM got VPID 0 and VM entry failed, and later
 * ones collided with running VMs). */
#include "hypervisor/vmx/vpid_pool.h"
#include "unit_test.h"

#include <memory>

using vmx::VpidPool;

UNIT_TEST(vpid_pool_hands_out_one_upward_never_zero)
{
    auto pool = std::make_unique<VpidPool>();
    CHECK_EQ(pool->allocate(), 1u);
    CHECK_EQ(pool->allocate(), 2u);
    CHECK_EQ(pool->allocate(), 3u);
    CHECK_EQ(pool->in_use_count(), 3u);
    CHECK(!pool->in_use(0));
}

UNIT_TEST(vpid_pool_wraps_from_65535_to_1_skipping_zero_and_vpids_in_use)
{
    auto pool = std::make_unique<VpidPool>();
    uint16_t first = pool->allocate(); /* 1 stays in use across the wrap */
    pool->restart_at(65534);
    CHECK_EQ(pool->allocate(), 65534u);
    CHECK_EQ(pool->allocate(), 65535u);
    CHECK_EQ(pool->allocate(), 2u);
    CHECK_EQ(first, 1u);
    pool->restart_at(65535);
    CHECK_EQ(pool->allocate(), 3u); /* 65535, 1 and 2 are taken */
}

UNIT_TEST(vpid_pool_reuses_a_freed_vpid_only_after_a_lap)
{
    auto pool = std::make_unique<VpidPool>();
    uint16_t a = pool->allocate();
    uint16_t b = pool->allocate();
    pool->free(a);
    CHECK_EQ(pool->allocate(), 3u); /* the cursor went on */
    pool->restart_at(a);
    CHECK_EQ(pool->allocate(), a);
    CHECK(pool->in_use(b));
    pool->free(b);
    pool->free(b); /* twice: no effect */
    pool->free(VpidPool::NONE);
    CHECK_EQ(pool->in_use_count(), 2u);
}

UNIT_TEST(vpid_pool_full_returns_none_and_a_freed_one_comes_back)
{
    auto pool = std::make_unique<VpidPool>();
    for (uint32_t i = 1; i <= 65535; ++i)
        CHECK_EQ(pool->allocate(), i);
    CHECK_EQ(pool->allocate(), VpidPool::NONE);
    pool->free(40000);
    pool->restart_at(7);
    CHECK_EQ(pool->allocate(), 40000u); /* found past full words */
    CHECK_EQ(pool->allocate(), VpidPool::NONE);
}
