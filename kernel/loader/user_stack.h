/* Lays out a new process's initial stack: argc, the argv and envp pointer arrays and
 * their strings, as the System V AMD64 ABI supplement's "Process Initialization"
 * ("Initial Stack and Register State") describes. Pure logic: it fills a buffer that
 * stands for the top of the user stack, also compiled into the unit tests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace user_stack {

/* A counted list of NUL-terminated strings (already copied into the kernel). */
struct StringList {
    const char* const* strings;
    size_t count;
};

enum class StackError { none, does_not_fit, misaligned_top };

const char* stack_error_name(StackError error);

struct [[nodiscard]] StackResult {
    StackError error;
    uint64_t stack_pointer; /* the user address for RSP; 16-byte aligned, points at argc */
    uint64_t argv_address;  /* the user address of argv[0]'s slot */
    uint64_t envp_address;  /* the user address of envp[0]'s slot */

    bool ok() const { return error == StackError::none; }
};

/* `buffer` of `size` bytes will be copied to user memory ending at `top` (the
 * buffer's last byte goes to top - 1); `top` must be 16-byte aligned. The layout, from
 * the returned stack pointer upwards:
 *
 *     rsp -> argc
 *            argv[0] ... argv[argc - 1], NULL
 *            envp[0] ... envp[envc - 1], NULL
 *            AT_NULL, 0          (an empty auxiliary vector)
 *            padding to 16 bytes
 *            the strings: argv's, then envp's, each NUL-terminated
 *     top
 *
 * The pointers hold user addresses. Bytes of `buffer` below the stack pointer are
 * left untouched. */
StackResult build(const StringList& argv, const StringList& envp, void* buffer, size_t size, uint64_t top);

} // namespace user_stack
