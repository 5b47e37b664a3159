/* The guest side of the file request ring (abi/hypercall.h, docs/hypercalls.md,
 * "The request ring"): hostfs queues file calls in one page of our own RAM and
 * has the host serve them all with one notify hypercall, so a batch (a directory
 * listing, a lookup's stat and open) costs one VM exit, and a single call costs
 * what a plain hypercall does. The ring is one page of the kernel image; calls
 * are synchronous (the host serves every queued request before the notify
 * returns), so one CPU with interrupts off around each batch owns it alone. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace hypercall_ring {

/* One file hypercall: its number and RBX, RCX, RDX, RSI. */
struct Request {
    uint64_t number, rbx, rcx, rdx, rsi;
};

/* Sets the ring up when the host offers it (HYPERCALL_FEATURE_FILE_RING); false:
 * file calls go by plain hypercalls. Idempotent. */
bool connect();
bool active();
/* The host forgets the ring; file calls go by plain hypercalls again. */
void disconnect();

/* Serves `count` requests in order, at most HYPERCALL_RING_ENTRIES_MAX per
 * notify, and puts each answer (a negative errno on failure) in results[i].
 * Without a ring, one plain hypercall each. */
void submit(const Request* requests, size_t count, int64_t* results);
/* One request: what a plain hypercall answers. */
int64_t call(const Request& request);

/* Closes host handle `handle` in front of the next batch (at once when the
 * queue is full or there is no ring): a released inode costs no exit. */
void close_later(uint64_t handle);

/* Notifies since boot, for the tests that count exits. */
uint64_t notify_count();

} // namespace hypercall_ring
