/* Read-ahead for hostfs (kernel/fs/hypercall_fs.h): a sequential reader's small
 * reads are served from a window of the file that one host request fetched, so
 * up to 128 reads of 4 KiB share one VM exit, the way the page cache of a
 * paravirtual file system (virtio-fs, 9p with a cache) works. Pure logic over a
 * fetch callback, unit-tested on the build machine (tests/unit/read_ahead_test.cpp).
 *
 * Coherence model (docs/hypercalls.md, "Read-ahead in our kernel"):
 * - hostfs's own changes are seen at once: a write or truncate through any
 *   descriptor of the file drops its window (forget) before it returns;
 * - a change hostfs did not make (the host's programs, another VM, a raw
 *   hypercall) is seen by every read that follows the next lookup of the file's
 *   name in the guest (an open, a stat by path: hostfs calls forget there), and
 *   by every read at least LIFETIME_NS after the window was fetched: an open
 *   descriptor never reads bytes older than that;
 * - a window holds bytes from one host read: never a mix of before and after.
 * Invariant: a window's bytes [start, start + length) are what the host's read at
 * `start` returned at `fetched_ns`; `at_end` when that read stopped short (the end
 * of the file then). No locking: hostfs is called under the VFS lock. */
#pragma once
#include "lib/result.h"

#include <stddef.h>
#include <stdint.h>

class ReadAhead {
public:
    /* A window's largest size: sequential reads of 4 KiB share one exit per
     * 512 KiB, where the exit, the file server and its walk of our page tables
     * (about 3,200 cycles in Bochs) fall to a few percent of a read's cost. */
    static constexpr size_t WINDOW_MAX = 512 * 1024;
    /* A new window's size; each refill by the same sequential reader doubles it
     * up to WINDOW_MAX, so a reader that stops early, or readers that take
     * windows from each other, cost a small fetch rather than a large one. */
    static constexpr size_t WINDOW_FIRST = 256 * 1024;
    /* Files read sequentially at the same time, each with its own window; the
     * least recently used window goes to a new reader. */
    static constexpr size_t WINDOWS = 4;
    /* Reads up to this long go through the windows; a longer read goes to the
     * host itself, straight into its buffer (one copy, no window). */
    static constexpr size_t SMALL_READ = 16 * 1024;
    /* How old a window may grow before its bytes are fetched anew. */
    static constexpr uint64_t LIFETIME_NS = 10 * 1000 * 1000;

    /* What the windows need of their surroundings (hostfs: the read request and
     * the kernel heap; the unit tests: a fake). */
    class Host {
    public:
        /* Reads up to `length` bytes of `file` at `offset` into `into`: the bytes
         * read (fewer at the end of the file) or the host's errno. */
        virtual Result<size_t> fetch(const void* file, uint64_t offset, void* into, size_t length) = 0;
        /* WINDOW_MAX bytes for a window, or nullptr (then no read-ahead for now). */
        virtual uint8_t* allocate() = 0;
        virtual void release(uint8_t* bytes) = 0;

    protected:
        ~Host() = default;
    };

    explicit ReadAhead(Host& host) : host_(host) {}
    ~ReadAhead();
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    /* A read of `count` bytes of `file` at `offset` at time `now_ns`: served from
     * a window (or a window fetched now, when the read is small and `sequential`,
     * i.e. it starts where the file's previous read ended), returning the bytes
     * copied to `buffer`; 0 with `served` false when the caller must ask the host
     * itself (also when a fetch failed: the caller's own read reports the error). */
    [[nodiscard]] size_t read(const void* file, uint64_t offset, void* buffer, size_t count, uint64_t now_ns,
                              bool sequential, bool& served)
    {
        /* The common case inline: the reader of the recent window, inside it.
         * This path is most of a 4 KiB read's own cost beside the copy. */
        Window& window = *recent_;
        uint64_t into = offset - window.start;
        if (window.file == file && count - 1 < SMALL_READ && offset >= window.start && into < window.length &&
            count <= window.length - into && now_ns >= window.fetched_ns && now_ns - window.fetched_ns < LIFETIME_NS) {
            __builtin_memcpy(buffer, window.bytes + into, count);
            window.last_used = ++use_clock_;
            served = true;
            return count;
        }
        return read_slowly(file, offset, buffer, count, now_ns, sequential, served);
    }

    /* Drops `file`'s window: it changed, or may have. */
    void forget(const void* file);

    /* Host requests made for windows so far, for the tests. */
    uint64_t fetches() const { return fetches_; }

private:
    struct Window {
        const void* file = nullptr; /* nullptr: empty */
        uint64_t start = 0;
        size_t length = 0;
        size_t size = 0; /* what the fetch asked: the next refill asks twice that */
        bool at_end = false;
        uint64_t fetched_ns = 0;
        uint64_t last_used = 0; /* use_clock_ at the last hit, for LRU */
        uint8_t* bytes = nullptr; /* WINDOW_MAX bytes, allocated at first use and kept */
    };

    [[nodiscard]] size_t read_slowly(const void* file, uint64_t offset, void* buffer, size_t count, uint64_t now_ns,
                                     bool sequential, bool& served);
    Window* find(const void* file);
    Window& victim();
    static void empty(Window& window);
    /* Copies what `window` holds of [offset, offset + count), if it answers the
     * read: all of it, or the rest of the file when the window saw its end. */
    bool answer(Window& window, uint64_t offset, void* buffer, size_t count, size_t& copied);

    Host& host_;
    Window windows_[WINDOWS];
    Window* recent_ = &windows_[0]; /* the last window used: looked at first */
    uint64_t use_clock_ = 0;
    uint64_t fetches_ = 0;
};
