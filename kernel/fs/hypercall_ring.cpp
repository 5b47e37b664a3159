/* The file request ring, guest side; see hypercall_ring.h. */
#include "fs/hypercall_ring.h"

#include "abi/errno.h"
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "mm/direct_map.h"

namespace hypercall_ring {

namespace {

constexpr uint32_t ENTRIES = HYPERCALL_RING_ENTRIES_MAX;

/* The ring: in the kernel image, so its physical address is known without
 * allocating, and it never moves. */
alignas(4096) uint8_t ring_page[4096];
bool ring_active = false;
/* Closes waiting for the next batch; the host serves them before the batch's
 * own requests, so a handle number is free again before anything reopens it. */
constexpr uint32_t DEFERRED_MAX = ENTRIES / 4;
uint64_t deferred[DEFERRED_MAX];
uint32_t deferred_count = 0;
uint64_t notifies = 0;

volatile hypercall_ring_header& header() { return *reinterpret_cast<volatile hypercall_ring_header*>(ring_page); }
volatile hypercall_ring_request& request_slot(uint32_t slot)
{
    return reinterpret_cast<volatile hypercall_ring_request*>(ring_page + HYPERCALL_RING_REQUESTS_OFFSET)[slot];
}
volatile int64_t& result_slot(uint32_t slot)
{
    return reinterpret_cast<volatile int64_t*>(ring_page + HYPERCALL_RING_RESULTS_OFFSET(ENTRIES))[slot];
}

int64_t plain(const Request& r) { return int64_t(cpu::vmcall(r.number, r.rbx, r.rcx, r.rdx, r.rsi)); }

/* Up to ENTRIES requests with one notify. Interrupts stay off from the first
 * slot written to the last result read, so no other thread of ours queues in
 * between (one CPU). */
void submit_batch(const Request* requests, uint32_t count, int64_t* results)
{
    InterruptGuard guard;
    uint32_t closes = deferred_count + count <= ENTRIES ? deferred_count : 0;
    for (uint32_t i = 0; i < closes; ++i) {
        volatile hypercall_ring_request& slot = request_slot((header().produced + i) % ENTRIES);
        slot.number = HYPERCALL_FILE_CLOSE;
        slot.arguments[0] = deferred[i];
        slot.arguments[1] = 0;
        slot.arguments[2] = 0;
        slot.arguments[3] = 0;
    }
    deferred_count -= closes;
    uint32_t first = header().produced + closes;
    for (uint32_t i = 0; i < count; ++i) {
        volatile hypercall_ring_request& slot = request_slot((first + i) % ENTRIES);
        slot.number = requests[i].number;
        slot.arguments[0] = requests[i].rbx;
        slot.arguments[1] = requests[i].rcx;
        slot.arguments[2] = requests[i].rdx;
        slot.arguments[3] = requests[i].rsi;
    }
    /* x86 keeps stores in order: the host that sees `produced` sees the requests. */
    header().produced = first + count;
    ++notifies;
    auto served = int64_t(cpu::vmcall(HYPERCALL_FILE_RING_NOTIFY));
    for (uint32_t i = 0; i < count; ++i)
        results[i] = served < 0 ? served : int64_t(closes + i) < served ? result_slot((first + i) % ENTRIES) : -EIO;
}

} // namespace

bool connect()
{
    if (ring_active)
        return true;
    if (!(cpu::cpuid(HYPERVISOR_CPUID_FEATURES).ebx & HYPERCALL_FEATURE_FILE_RING))
        return false;
    header().produced = 0;
    header().consumed = 0;
    ring_active = int64_t(cpu::vmcall(HYPERCALL_FILE_RING_SETUP, virt_to_phys(ring_page), ENTRIES)) == 0;
    return ring_active;
}

bool active() { return ring_active; }

void disconnect()
{
    for (; deferred_count > 0; --deferred_count)
        (void)plain({HYPERCALL_FILE_CLOSE, deferred[deferred_count - 1], 0, 0, 0});
    if (ring_active)
        (void)cpu::vmcall(HYPERCALL_FILE_RING_SETUP, 0, 0);
    ring_active = false;
}

void submit(const Request* requests, size_t count, int64_t* results)
{
    if (!ring_active) {
        for (size_t i = 0; i < count; ++i)
            results[i] = plain(requests[i]);
        return;
    }
    for (size_t done = 0; done < count;) {
        uint32_t batch = count - done < ENTRIES ? uint32_t(count - done) : ENTRIES;
        submit_batch(requests + done, batch, results + done);
        done += batch;
    }
}

int64_t call(const Request& request)
{
    int64_t result;
    submit(&request, 1, &result);
    return result;
}

void close_later(uint64_t handle)
{
    {
        InterruptGuard guard;
        if (ring_active && deferred_count < DEFERRED_MAX) {
            deferred[deferred_count++] = handle;
            return;
        }
    }
    (void)call({HYPERCALL_FILE_CLOSE, handle, 0, 0, 0});
}

uint64_t notify_count() { return notifies; }

} // namespace hypercall_ring
