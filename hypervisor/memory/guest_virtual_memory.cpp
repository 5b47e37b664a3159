/* Checked copies between the host and guest-virtual buffers; see guest_virtual_memory.h. */
#include "hypervisor/memory/guest_virtual_memory.h"

namespace guest_paging {

namespace {

/* Guest-physical pieces turned into host memory as the walk finds them: split
 * where the guest's RAM runs end, merged where host memory continues. */
class HostVectors final : public GuestChunkSink {
public:
    HostVectors(GuestPhysicalMemory& ram, IoVector* vectors, size_t capacity)
        : ram_(ram), vectors_(vectors), capacity_(capacity)
    {
    }

    bool add(uint64_t guest_physical, uint64_t length) override
    {
        while (length > 0) {
            uint64_t contiguous = 0;
            uint8_t* host = ram_.host_address(guest_physical, contiguous);
            if (!host || contiguous == 0)
                return false; /* the walk has checked the piece is RAM: not reached */
            uint64_t piece = contiguous < length ? contiguous : length;
            if (!append(host, size_t(piece)))
                return false;
            guest_physical += piece;
            length -= piece;
        }
        return true;
    }
    size_t count() const { return count_; }

private:
    bool append(uint8_t* host, size_t length)
    {
        if (count_ > 0 && vectors_[count_ - 1].base + vectors_[count_ - 1].length == host) {
            vectors_[count_ - 1].length += length;
            return true;
        }
        if (count_ == capacity_)
            return false;
        vectors_[count_++] = {host, length};
        return true;
    }

    GuestPhysicalMemory& ram_;
    IoVector* vectors_;
    size_t capacity_;
    size_t count_ = 0;
};

/* A buffer inside one 4 KiB page (the memory operand of one instruction, a
 * descriptor): one translation covers every byte of it, so read() and write()
 * translate once and copy, where the general path walks the buffer twice (the
 * check, then the copy). Each VMX instruction of L1 with a memory operand went
 * through the general path: ~3k cycles in Bochs for VMPTRST's 8 bytes. */
bool within_one_page(uint64_t guest_virtual, size_t length)
{
    return length > 0 && (guest_virtual & 0xFFF) + length <= 0x1000;
}

} // namespace

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

size_t PagedGuestMemory::map(uint64_t guest_virtual, uint64_t length, AccessKind kind, IoVector* vectors,
                             size_t capacity)
{
    HostVectors sink(ram_, vectors, capacity);
    BufferSplit walk = walk_guest_buffer(paging_, ram_, guest_virtual, length, {kind, false}, sink);
    last_fault_ = walk.fault;
    return walk.ok() ? sink.count() : 0;
}

bool PagedGuestMemory::read(uint64_t guest_virtual, void* out, size_t length)
{
    if (within_one_page(guest_virtual, length)) {
        Translation page = translate(paging_, ram_, guest_virtual, {AccessKind::read, false});
        if (page.ok() && ram_.read(page.guest_physical, out, length)) {
            last_fault_ = PageWalkFault::none;
            return true;
        }
        /* The walk below finds the same fault again and names it. */
    }
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
    if (within_one_page(guest_virtual, length)) {
        Translation page = translate(paging_, ram_, guest_virtual, {AccessKind::write, false});
        if (page.ok() && ram_.write(page.guest_physical, bytes, length)) {
            last_fault_ = PageWalkFault::none;
            return true;
        }
    }
    /* Checked whole first: a guest buffer that is writable only in part is not
     * touched at all. */
    if (!accessible(guest_virtual, length, AccessKind::write))
        return false;
    auto* cursor = static_cast<const uint8_t*>(bytes);
    return for_each_chunk(guest_virtual, length, AccessKind::write, [&](const GuestPhysicalChunk& chunk, uint64_t at) {
        return ram_.write(chunk.guest_physical, cursor + at, chunk.length);
    });
}

} // namespace guest_paging
