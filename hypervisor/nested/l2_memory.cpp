/* L2's memory through L1's EPT; see l2_memory.h. */
#include "hypervisor/nested/l2_memory.h"

namespace nested {

namespace bits = ept_violation_bits;

bool L2Memory::translate(uint64_t l2_physical, uint64_t access_bits, uint64_t& l1_physical, uint64_t& in_page) const
{
    L1EptWalk walk = walk_l1_ept(l1_ram_, eptp12_, l2_physical, access_bits, capabilities_);
    if (walk.outcome != L1EptWalk::Outcome::mapped) {
        refusal_ = {true, walk.outcome == L1EptWalk::Outcome::misconfiguration, l2_physical, walk.rights};
        return false;
    }
    if (walk.page_size == 0)
        return false;
    l1_physical = walk.l1_physical;
    in_page = walk.page_size - (l2_physical & (walk.page_size - 1));
    return true;
}

template <typename Visit>
bool L2Memory::for_each_piece(uint64_t l2_physical, uint64_t length, uint64_t access_bits, Visit visit) const
{
    uint64_t done = 0;
    while (done < length) {
        if (l2_physical + done < l2_physical)
            return false; /* wraps past the top of the address space */
        uint64_t l1_physical = 0, in_page = 0;
        if (!translate(l2_physical + done, access_bits, l1_physical, in_page))
            return false;
        uint64_t piece = length - done < in_page ? length - done : in_page;
        if (!l1_ram_.is_ram(l1_physical, piece) || !visit(l1_physical, done, piece))
            return false;
        done += piece;
    }
    return true;
}

bool L2Memory::is_ram(uint64_t l2_physical, uint64_t length) const
{
    return for_each_piece(l2_physical, length, bits::READ, [](uint64_t, uint64_t, uint64_t) { return true; });
}

bool L2Memory::is_writable_ram(uint64_t l2_physical, uint64_t length) const
{
    return for_each_piece(l2_physical, length, bits::READ | bits::WRITE, [](uint64_t, uint64_t, uint64_t) { return true; });
}

bool L2Memory::read(uint64_t l2_physical, void* bytes, size_t length)
{
    auto* out = static_cast<uint8_t*>(bytes);
    if (!is_ram(l2_physical, length))
        return false;
    return for_each_piece(l2_physical, length, bits::READ, [&](uint64_t l1_physical, uint64_t at, uint64_t piece) {
        return l1_ram_.read(l1_physical, out + at, size_t(piece));
    });
}

bool L2Memory::write(uint64_t l2_physical, const void* bytes, size_t length)
{
    auto* in = static_cast<const uint8_t*>(bytes);
    auto check = [](uint64_t, uint64_t, uint64_t) { return true; };
    if (!for_each_piece(l2_physical, length, bits::WRITE, check))
        return false;
    return for_each_piece(l2_physical, length, bits::WRITE, [&](uint64_t l1_physical, uint64_t at, uint64_t piece) {
        return l1_ram_.write(l1_physical, in + at, size_t(piece));
    });
}

uint8_t* L2Memory::host_address(uint64_t l2_physical, uint64_t& contiguous)
{
    contiguous = 0;
    uint64_t l1_physical = 0, in_page = 0;
    if (!translate(l2_physical, bits::READ | bits::WRITE, l1_physical, in_page))
        return nullptr;
    uint64_t in_run = 0;
    uint8_t* host = l1_ram_.host_address(l1_physical, in_run);
    if (!host)
        return nullptr;
    contiguous = in_run < in_page ? in_run : in_page;
    return host;
}

} // namespace nested
