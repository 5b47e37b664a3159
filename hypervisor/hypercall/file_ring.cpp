/* The file request ring's host side; see file_ring.h and docs/hypercalls.md. */
#include "hypervisor/hypercall/file_ring.h"

#include "abi/errno.h"

using guest_paging::GuestPhysicalMemory;
using guest_paging::GuestVirtualMemory;

static_assert(sizeof(hypercall_ring_header) == HYPERCALL_RING_REQUESTS_OFFSET, "requests follow the header");
static_assert(sizeof(hypercall_ring_request) == 40, "HYPERCALL_RING_RESULTS_OFFSET counts 40 bytes a request");
static_assert(HYPERCALL_RING_SIZE(HYPERCALL_RING_ENTRIES_MAX) <= FileRing::PAGE, "the largest ring fits one page");
static_assert((HYPERCALL_RING_ENTRIES_MAX & (HYPERCALL_RING_ENTRIES_MAX - 1)) == 0, "a power of two");

namespace {

/* Guest memory is read and written through volatile accesses, one each, so that
 * the compiler cannot fetch a field a second time (after the guest, or a request
 * served meanwhile, changed it) or merge the host's stores. */
uint64_t load(const uint8_t* at)
{
    return *reinterpret_cast<const volatile uint64_t*>(at);
}

bool moves_bytes(uint64_t number)
{
    return number == HYPERCALL_FILE_READ || number == HYPERCALL_FILE_WRITE || number == HYPERCALL_FILE_GETDENTS;
}

} // namespace

Result<void> FileRing::set_up(uint64_t guest_physical, uint64_t entries, GuestPhysicalMemory& ram)
{
    if (entries == 0) {
        entries_ = 0;
        guest_physical_ = 0;
        consumed_ = 0;
        return {};
    }
    if (entries > HYPERCALL_RING_ENTRIES_MAX || (entries & (entries - 1)) != 0 || guest_physical % PAGE != 0)
        return Error(EINVAL);
    uint64_t contiguous = 0;
    if (!ram.host_address(guest_physical, contiguous) || contiguous < PAGE)
        return Error(EFAULT);
    guest_physical_ = guest_physical;
    entries_ = uint32_t(entries);
    consumed_ = 0;
    return {};
}

Result<uint64_t> FileRing::notify(RingRequestServer& server, GuestPhysicalMemory& ram, GuestVirtualMemory& memory,
                                  Failure& why)
{
    if (!active())
        return Error(ENXIO);
    /* Translated at each notify rather than kept from set_up: a page of guest RAM
     * stays where it is while the VM lives, but this costs one lookup and keeps no
     * host pointer beyond the call. */
    uint64_t contiguous = 0;
    uint8_t* page = ram.host_address(guest_physical_, contiguous);
    if (!page || contiguous < PAGE)
        return why.set(EIO, "file ring at %#lx is no longer guest RAM", guest_physical_);
    auto* header = reinterpret_cast<volatile hypercall_ring_header*>(page);
    uint8_t* requests = page + HYPERCALL_RING_REQUESTS_OFFSET;
    auto* results = reinterpret_cast<volatile uint64_t*>(page + HYPERCALL_RING_RESULTS_OFFSET(entries_));

    /* The one read of the guest's index. Counts wrap at 2^32 on both sides, so the
     * difference is what was queued; more than the ring holds means the guest
     * overwrote requests it had not seen served, or lies. */
    uint32_t produced = header->produced;
    uint32_t pending = produced - consumed_;
    if (pending > entries_)
        return why.set(EIO, "file ring: produced %u is %u requests past the %u served, more than its %u entries",
                       produced, pending, consumed_, entries_);

    /* Guest RAM by guest-physical address, for HYPERCALL_RING_PHYSICAL_BUFFER:
     * paging off, so an address is checked against RAM and nothing is walked. */
    guest_paging::PagedGuestMemory unpaged(guest_paging::GuestPagingState{}, ram);
    /* Taken from host memory, never read back from the result slot. */
    uint64_t previous = uint64_t(-int64_t(EBADF));
    for (uint32_t i = 0; i < pending; ++i) {
        uint32_t slot = consumed_ & (entries_ - 1);
        const uint8_t* request = requests + size_t(slot) * sizeof(hypercall_ring_request);
        /* Copied once; only the copy is checked and used. */
        HypercallRegisters copy{load(request), load(request + 8), load(request + 16), load(request + 24),
                                load(request + 32)};
        if (copy.rbx == HYPERCALL_RING_PREVIOUS_RESULT)
            copy.rbx = previous;
        uint64_t result = uint64_t(-int64_t(ENOSYS));
        uint64_t base = copy.rax & ~HYPERCALL_RING_PHYSICAL_BUFFER;
        bool physical = copy.rax != base && (base == HYPERCALL_FILE_READ || base == HYPERCALL_FILE_WRITE);
        /* File calls only: not the ring's own calls, not power off. */
        if (physical) {
            copy.rax = base;
            result = server.serve(copy, unpaged);
        } else if (copy.rax >= HYPERCALL_FILE_FIRST && copy.rax <= HYPERCALL_FILE_LAST) {
            result = server.serve(copy, memory);
        }
        if (moves_bytes(copy.rax) && int64_t(result) > 0)
            bytes_moved_ += result;
        results[slot] = result;
        previous = result;
        ++consumed_;
        ++requests_served_;
    }
    /* x86 keeps stores in order: the guest that sees `consumed` sees the results. */
    header->consumed = consumed_;
    return uint64_t(pending);
}
