/* Why a recoverable step failed, for the person who asked: the errno a system call
 * returns and the sentence a person reads, filled in at the one place that knows
 * both. The hypervisor's one way to fail (docs/conventions.md, "Errors"). */
#pragma once
#include "lib/result.h"

#include <stddef.h>

/* The caller owns the Failure (on its stack, one per request), so no two requests
 * share a buffer and no lock is needed. A step that fails says both at once:
 * `return why.set(ENOMEM, "out of host memory for %s", what);` fills the sentence
 * and returns the errno as an Error for the step's Result; the caller carries the
 * Error up with TRY and reads `why.text` where it talks to the person. */
struct Failure {
    static constexpr size_t TEXT_SIZE = 160;
    /* 0 until set(); then the errno (positive, abi/errno.h). */
    int errno_value = 0;
    /* The sentence, truncated to TEXT_SIZE - 1 characters; "" until set(). */
    char text[TEXT_SIZE] = {};

    Error set(int errno_value, const char* format, ...) __attribute__((format(printf, 3, 4)));
};
