/* Copying between the kernel and a user address space for system calls:
 * copy_from_user, copy_to_user and copy_string_from_user check that every byte
 * lies in mapped user memory with the needed access before touching any, so a bad
 * pointer becomes EFAULT instead of a kernel page fault, and a write never stops
 * halfway. Pure logic over a page lookup (UserMemory); the kernel's lookup walks
 * the process's ArchMemory and reaches the frames through the direct map. Rules:
 * docs/syscalls.md, "Rules every call follows". */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace user_access {

constexpr uint64_t USER_SPACE_END = 0x0000800000000000;
constexpr uint64_t PAGE_SIZE = 0x1000;

enum class Access { read, write };

/* Finds the kernel's pointer to the user page at `page_address` (4 KiB aligned),
 * or nullptr when that page is not mapped for ring 3 with `access`. */
struct UserMemory {
    uint8_t* (*page)(void* context, uint64_t page_address, Access access);
    void* context;
};

enum class CopyError { none, fault, too_long };

/* The errno a system call returns for `error`: 0, EFAULT or ENAMETOOLONG. */
int copy_error_errno(CopyError error);

/* True when [address, address + size) lies below USER_SPACE_END without wrapping.
 * A zero size is always fine. */
bool is_user_range(uint64_t address, size_t size);

/* True when every byte of [address, address + size) lies in user memory mapped
 * with `access`: what copy_from_user and copy_to_user check before they copy. */
bool is_accessible(const UserMemory& memory, uint64_t address, size_t size, Access access);

[[nodiscard]] CopyError copy_from_user(const UserMemory& memory, void* destination, uint64_t source, size_t size);
[[nodiscard]] CopyError copy_to_user(const UserMemory& memory, uint64_t destination, const void* source, size_t size);

/* Copies the NUL-terminated string at `source` into `destination` of `capacity`
 * bytes (NUL included) and stores its length in *length. too_long when no NUL is
 * among the first `capacity` bytes; fault when an unreadable byte comes first. */
[[nodiscard]] CopyError copy_string_from_user(const UserMemory& memory, char* destination, size_t capacity,
                                              uint64_t source, size_t* length);

} // namespace user_access
