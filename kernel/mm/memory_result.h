/* The recoverable failures of the memory subsystem and a result type that carries
 * either a value or one of them. Broken invariants panic instead (conventions.md,
 * "Errors"). */
#pragma once
#include "debug/panic.h"

enum class [[nodiscard]] MemoryError {
    none,
    out_of_memory,  /* the PageManager has no (suitable) frames left */
    already_mapped, /* map_page() on a virtual page that is mapped */
    not_mapped,     /* unmap_page() or translate() of a page that is not mapped */
    bad_address,    /* not canonical, not page aligned, or in the wrong half */
};

const char* memory_error_name(MemoryError error);

/* A value or the reason there is none. Reading value() of a failed result is a
 * bug and panics, so a caller cannot mistake a failure for address 0. */
template <typename T> class [[nodiscard]] MemoryResult {
public:
    MemoryResult(T value) : value_(static_cast<T&&>(value)) {}
    MemoryResult(MemoryError error) : error_(error) { KERNEL_ASSERT(error != MemoryError::none); }

    bool ok() const { return error_ == MemoryError::none; }
    MemoryError error() const { return error_; }
    T& value()
    {
        if (!ok())
            panic("value of a failed memory result read (%s)", memory_error_name(error_));
        return value_;
    }
    /* Moves the value out (for types that own something, like ArchMemory). */
    T take() { return static_cast<T&&>(value()); }

private:
    T value_{};
    MemoryError error_ = MemoryError::none;
};
