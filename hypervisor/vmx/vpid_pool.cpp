/* The VPID pool; see vpid_pool.h. */
#include "hypervisor/vmx/vpid_pool.h"

namespace vmx {

uint16_t VpidPool::allocate()
{
    if (in_use_count_ == LAST)
        return NONE;
    /* At most one lap over 1..LAST: a free VPID exists, so the loop ends. */
    uint32_t vpid = cursor_;
    for (;;) {
        if (vpid > LAST)
            vpid = FIRST;
        uint64_t word = words_[vpid / 64];
        if (word == ~0ull) {
            vpid = (vpid | 63) + 1; /* a full word: skip to the next one */
            continue;
        }
        if (!((word >> (vpid % 64)) & 1))
            break;
        ++vpid;
    }
    words_[vpid / 64] |= 1ull << (vpid % 64);
    ++in_use_count_;
    cursor_ = vpid == LAST ? FIRST : uint16_t(vpid + 1);
    return uint16_t(vpid);
}

void VpidPool::free(uint16_t vpid)
{
    if (vpid == NONE || !in_use(vpid))
        return;
    words_[vpid / 64] &= ~(1ull << (vpid % 64));
    --in_use_count_;
}

} // namespace vmx
