/* The host side of the file request ring (abi/hypercall.h, docs/hypercalls.md,
 * "The request ring"): file calls the guest queued in one page of its own RAM,
 * served in order at one notify, the way a virtio queue works. The ring is guest
 * memory, so nothing in it is trusted or read twice: `produced` is read once per
 * notify and bounded by the ring's size against the host's own count of served
 * requests (never the guest's `consumed`), each request is copied once into host
 * memory before it is looked at, and the host writes only results and
 * `consumed`. A guest that queues more than the ring holds is hostile: the notify
 * fails with a sentence and the VM ends. Needs nothing but guest-physical memory
 * and the notify hypercall, so it works the same on both backends and for a guest
 * that is itself a nested hypervisor's guest. No VMX and no locks here: the
 * caller serves each request (hypercall.cpp takes the file system lock around
 * each one; the unit tests have none). */
#pragma once
#include "abi/hypercall.h"
#include "hypervisor/hypercall/hypercall.h"
#include "lib/failure.h"
#include "lib/result.h"

#include <stddef.h>
#include <stdint.h>

/* Serves one request of the ring: a file hypercall's registers, its answer for
 * the result slot (a negative errno on failure). */
class RingRequestServer {
public:
    virtual uint64_t serve(const HypercallRegisters& request, guest_paging::GuestVirtualMemory& memory) = 0;

protected:
    ~RingRequestServer() = default;
};

class FileRing {
public:
    static constexpr uint64_t PAGE = 4096;

    /* file_ring_setup: the ring at `guest_physical` with `entries` slots, or none
     * when `entries` is 0. EINVAL for an address that is not page-aligned or an
     * entry count that is not a power of two up to HYPERCALL_RING_ENTRIES_MAX,
     * EFAULT for a page that is not guest RAM. The served count starts at 0. */
    [[nodiscard]] Result<void> set_up(uint64_t guest_physical, uint64_t entries, guest_paging::GuestPhysicalMemory& ram);

    /* file_ring_notify: serves every request queued since the last notify, in
     * order, through `server`, with `memory` (the guest's address space at the
     * notify) for the addresses in them. Returns how many it served. ENXIO when no
     * ring is set up; EIO with `why` filled in when the guest broke the ring's
     * rules (the caller ends the VM). */
    [[nodiscard]] Result<uint64_t> notify(RingRequestServer& server, guest_paging::GuestPhysicalMemory& ram,
                                          guest_paging::GuestVirtualMemory& memory, Failure& why);

    bool active() const { return entries_ != 0; }
    /* What the guest asked of the ring so far, for the VM's report. */
    uint64_t requests_served() const { return requests_served_; }
    uint64_t bytes_moved() const { return bytes_moved_; }

private:
    uint64_t guest_physical_ = 0;
    uint32_t entries_ = 0;  /* 0: no ring */
    uint32_t consumed_ = 0; /* requests served: the host's own count, never read back from the guest */
    uint64_t requests_served_ = 0;
    uint64_t bytes_moved_ = 0;
};
