/* Checked copies between the host and guest-virtual buffers; see guest_virtual_memory.h. */
#include "hypervisor/memory/guest_virtual_memory.h"

namespace guest_memory {

PagedGuestMemory::PagedGuestMemory(const GuestPagingState& paging, GuestPhysicalMemory& ram)
    : paging_(paging), ram_(ram)
{
    if (paging.pae_pdptes) {
        for (size_t i = 0; i < 4; ++i)
            pdptes_[i] = paging.pae_pdptes[i];
        paging_.pae_pdptes = pdptes_;
    }
}

template <typename Visit>
bool PagedGuestMemory::for_each_chunk(uint64_t guest_virtual, uint64_t length, AccessKind kind, Visit visit)
{
    GuestPhysicalChunk chunks[CHUNKS_PER_STEP];
    uint64_t done = 0;
    while (done < length) {
        /* A split that runs out of room reports how far it got; the next step
         * starts there. Any other fault ends the access. */
        BufferSplit split =
            split_guest_buffer(paging_, ram_, guest_virtual + done, length - done, {kind, false}, chunks, CHUNKS_PER_STEP);
        if (!split.ok() && split.fault != PageWalkFault::too_many_chunks) {
            last_fault_ = split.fault;
            return false;
        }
        for (size_t i = 0; i < split.chunk_count; ++i) {
            if (!visit(chunks[i], done))
                return false;
            done += chunks[i].length;
        }
        if (!split.ok() && split.chunk_count == 0) {
            last_fault_ = split.fault;
            return false;
        }
    }
    return true;
}

bool PagedGuestMemory::accessible(uint64_t guest_virtual, uint64_t length, AccessKind kind)
{
    last_fault_ = PageWalkFault::none;
    return for_each_chunk(guest_virtual, length, kind, [](const GuestPhysicalChunk&, uint64_t) { return true; });
}

bool PagedGuestMemory::read(uint64_t guest_virtual, void* out, size_t length)
{
    /* The whole buffer is checked first, so that a failed read leaves nothing
     * half-copied, then each byte is fetched exactly once. */
    if (!accessible(guest_virtual, length, AccessKind::read))
        return false;
    auto* cursor = static_cast<uint8_t*>(out);
    return for_each_chunk(guest_virtual, length, AccessKind::read, [&](const GuestPhysicalChunk& chunk, uint64_t at) {
        return ram_.read(chunk.guest_physical, cursor + at, chunk.length);
    });
}

bool PagedGuestMemory::write(uint64_t guest_virtual, const void* bytes, size_t length)
{
    /* Checked whole first: a guest buffer that is writable only in part is not
     * touched at all. */
    if (!accessible(guest_virtual, length, AccessKind::write))
        return false;
    auto* cursor = static_cast<const uint8_t*>(bytes);
    return for_each_chunk(guest_virtual, length, AccessKind::write, [&](const GuestPhysicalChunk& chunk, uint64_t at) {
        return ram_.write(chunk.guest_physical, cursor + at, chunk.length);
    });
}

} // namespace guest_memory
