/* FaultInjector: decides which fallible allocation fails, in the manner of Linux's
 * failslab and fail_page_alloc (Documentation/fault-injection/). It counts the
 * allocations of the sites it is armed for and fails the Nth one (once) or every
 * Nth one, so a test can walk every failure point of an operation: arm "the k-th
 * from now" for k = 1, 2, ... until the operation makes fewer than k allocations.
 * Pure logic: the build machine's unit tests run it; the kernel's one instance is
 * in mm/fault_injection.h. */
#pragma once
#include <stddef.h>
#include <stdint.h>

class FaultInjector {
public:
    /* Where an allocation comes from: the heap's fallible entry points (kmalloc,
     * new (std::nothrow)) or a PageClaim::ordinary page allocation. The panicking
     * operator new and PageClaim::kernel never fail on purpose: they stand for
     * the kernel's own needs, which the reserve covers. */
    enum class Site : uint8_t { heap, page };
    static constexpr unsigned SITE_HEAP = 1u << unsigned(Site::heap);
    static constexpr unsigned SITE_PAGE = 1u << unsigned(Site::page);
    static constexpr unsigned ALL_SITES = SITE_HEAP | SITE_PAGE;

    enum class Mode : uint8_t {
        off,
        nth,   /* the Nth counted allocation fails, then the injector stops failing */
        every, /* every Nth counted allocation fails */
    };

    /* Starts counting from zero; `interval` >= 1 (0 disarms). */
    void arm(Mode mode, uint64_t interval, unsigned sites = ALL_SITES);
    /* Stops failing; returns how many allocations were counted since arm(). */
    uint64_t disarm();

    /* Parses the command line's "fail_alloc=" value: "N" (nth) or "every:N", N a
     * decimal number >= 1; false (and nothing changes) for anything else. */
    bool arm_from_text(const char* text);
    /* Parses "fail_alloc_filter=": a comma-separated list of "heap" and "page";
     * false for an unknown word or an empty list. Applies to the next arm(). */
    bool set_filter_from_text(const char* text);

    /* Called by every allocation of `site`: true when it shall fail. */
    bool should_fail(Site site);

    Mode mode() const { return mode_; }
    uint64_t counted() const { return counted_; }
    /* Failures injected since arm(). */
    uint64_t failed() const { return failed_; }

private:
    Mode mode_ = Mode::off;
    uint64_t interval_ = 0;
    unsigned sites_ = ALL_SITES;
    unsigned filter_ = ALL_SITES;
    uint64_t counted_ = 0;
    uint64_t failed_ = 0;
};
