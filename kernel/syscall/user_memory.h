/* The kernel's side of user_access.h: a UserMemory over a process's ArchMemory,
 * and the copies system calls make from and to the calling process, each a
 * Result that carries EFAULT (or ENAMETOOLONG, E2BIG) up to the syscall
 * boundary. Rules: docs/syscalls.md, "Rules every call follows". */
#pragma once
#include "arch/x86_64/arch_memory.h"
#include "lib/result.h"
#include "loader/user_stack.h"
#include "syscall/user_access.h"

#include <stddef.h>
#include <stdint.h>

namespace user_memory {

/* Pages of `space` reachable from ring 3 (PTE user bit on every level, and the
 * writable bit for writes), reached through the direct map. */
user_access::UserMemory of(const ArchMemory& space);

/* The calling process's address space. */
const ArchMemory& current_space();

[[nodiscard]] Result<void> check(uint64_t address, size_t size, user_access::Access access);
[[nodiscard]] Result<void> copy_from(void* destination, uint64_t source, size_t size);
[[nodiscard]] Result<void> copy_to(uint64_t destination, const void* source, size_t size);

/* A path copied in from user space, on the heap (PATH_MAX bytes are too many
 * for a kernel stack), taken by copy_from() so that running out of memory is
 * the caller's ENOMEM. */
class Path {
public:
    Path() = default;
    ~Path();
    Path(const Path&) = delete;
    Path& operator=(const Path&) = delete;

    /* EFAULT, ENOMEM, or ENAMETOOLONG without a NUL in the first PATH_MAX bytes. */
    [[nodiscard]] Result<void> copy_from(uint64_t user_address);
    /* The PATH_MAX bytes themselves, for a path the kernel writes (getcwd);
     * ENOMEM. */
    [[nodiscard]] Result<char*> buffer();
    /* "" until copy_from() or buffer() succeeded. */
    const char* text() const { return text_ ? text_ : ""; }

private:
    char* text_ = nullptr;
};

/* argv or envp copied in: the strings packed into one heap buffer. */
class StringArray {
public:
    /* Strings of argv and envp together may take this much (E2BIG beyond). */
    static constexpr size_t MAX_BYTES = 64 * 1024;

    StringArray() = default;
    ~StringArray();
    StringArray(const StringArray&) = delete;
    StringArray& operator=(const StringArray&) = delete;

    /* Copies the NULL-terminated array at `user_array` (0: empty). `budget`
     * bytes of strings are left for it and shrink by what it takes. */
    [[nodiscard]] Result<void> copy_from(uint64_t user_array, size_t& budget);
    /* Copies kernel strings (for processes the kernel starts). */
    [[nodiscard]] Result<void> copy_from_kernel(const char* const* strings, size_t count);
    /* The strings; valid until the next copy or the array's end. ENOMEM for
     * the table of pointers. */
    [[nodiscard]] Result<user_stack::StringList> list();
    size_t count() const { return count_; }

private:
    /* Room for `bytes` more string bytes and one more string. */
    [[nodiscard]] bool reserve(size_t bytes);

    /* Strings are kept as offsets into storage_, which may move when it grows. */
    char* storage_ = nullptr;
    size_t used_ = 0;
    size_t capacity_ = 0;
    size_t* offsets_ = nullptr;
    size_t count_ = 0;
    size_t offset_capacity_ = 0;
    const char** pointers_ = nullptr;
};

} // namespace user_memory
