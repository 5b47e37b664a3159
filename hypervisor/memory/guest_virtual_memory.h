/* Guest memory by guest-virtual address, as the hypercall layer sees it: every
 * buffer is translated through the guest's own page tables (guest_page_walk.h,
 * Intel SDM rev. 084 Vol. 3A "Paging") and then through guest RAM, checked whole
 * before a byte moves, and copied exactly once. No VMX here: the backend hands
 * over a snapshot of the guest's control registers, so a hypercall can go on
 * after another VM's VMCS has become current, and the unit tests can drive it. */
#pragma once
#include "fs/io_vector.h"
#include "hypervisor/memory/guest_page_walk.h"

#include <stddef.h>
#include <stdint.h>

namespace guest_paging {

/* Guest RAM that can also be written (by guest-physical address). */
class GuestPhysicalMemory : public GuestPhysicalReader {
public:
    [[nodiscard]] virtual bool write(uint64_t guest_physical, const void* bytes, size_t length) = 0;
    /* The host address of `guest_physical`, and in `contiguous` how many bytes
     * from there lie one after another in host memory too (to the end of the RAM
     * run that holds it); nullptr outside RAM. The software side of EPT. */
    virtual uint8_t* host_address(uint64_t guest_physical, uint64_t& contiguous) = 0;

protected:
    ~GuestPhysicalMemory() = default;
};

/* What a hypercall may do with guest memory. False means nothing was copied
 * because some byte of the buffer is not accessible (the caller returns EFAULT). */
class GuestVirtualMemory {
public:
    [[nodiscard]] virtual bool read(uint64_t guest_virtual, void* out, size_t length) = 0;
    [[nodiscard]] virtual bool write(uint64_t guest_virtual, const void* bytes, size_t length) = 0;
    /* Whether every byte of the buffer could be accessed so, without copying:
     * for calls that must not start what they cannot finish. */
    [[nodiscard]] virtual bool accessible(uint64_t guest_virtual, uint64_t length, AccessKind kind) = 0;
    /* The whole buffer as host memory, for a caller that copies into or out of
     * it in place: every byte checked for `kind`, translated once, pieces that are
     * contiguous in host memory merged, into vectors[0, capacity). Returns how many
     * vectors it filled (their lengths add up to `length`), or 0 when some byte is
     * not accessible or the pieces do not fit (length 0 gives 0 too). */
    [[nodiscard]] virtual size_t map(uint64_t guest_virtual, uint64_t length, AccessKind kind, IoVector* vectors,
                                     size_t capacity) = 0;

protected:
    ~GuestVirtualMemory() = default;
};

/* The guest's address space at one moment: its paging registers (and PAE's
 * PDPTEs) copied when the VM exited, over its RAM. Accesses are supervisor-mode
 * accesses, as the guest kernel asking for the hypercall would make them. */
class PagedGuestMemory final : public GuestVirtualMemory {
public:
    /* Pieces of a buffer translated at once; a buffer needs more only when it is
     * scattered over more than this many physically separate runs. */
    static constexpr size_t CHUNKS_PER_STEP = 16;

    PagedGuestMemory(const GuestPagingState& paging, GuestPhysicalMemory& ram);
    /* Not copyable: paging_ points into the object's own PDPTE copy. */
    PagedGuestMemory(const PagedGuestMemory&) = delete;
    PagedGuestMemory& operator=(const PagedGuestMemory&) = delete;

    bool read(uint64_t guest_virtual, void* out, size_t length) override;
    bool write(uint64_t guest_virtual, const void* bytes, size_t length) override;
    bool accessible(uint64_t guest_virtual, uint64_t length, AccessKind kind) override;
    size_t map(uint64_t guest_virtual, uint64_t length, AccessKind kind, IoVector* vectors, size_t capacity) override;
    /* Why the last failed access failed (PageWalkFault::none after a success). */
    PageWalkFault last_fault() const { return last_fault_; }

private:
    /* Calls visit(chunk, offset in the buffer) for each guest-physical piece of
     * the buffer; false (and stops) at the first untranslatable byte or when
     * visit returns false. */
    template <typename Visit> bool for_each_chunk(uint64_t guest_virtual, uint64_t length, AccessKind kind, Visit visit);

    GuestPagingState paging_;
    uint64_t pdptes_[4] = {};
    GuestPhysicalMemory& ram_;
    PageWalkFault last_fault_ = PageWalkFault::none;
};

} // namespace guest_paging
