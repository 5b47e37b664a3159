/* The Loader: turns a static ELF64 executable in the file system into a fresh user
 * address space: its segments mapped with their permissions (file bytes copied,
 * the bss zeroed), the stack with argv and envp at STACK_TOP, and the initial
 * program break after the highest segment. The pure parts are elf64.h (parsing)
 * and user_stack.h (stack layout); docs/syscalls.md, "A new process". */
#pragma once
#include "arch/x86_64/arch_memory.h"
#include "fs/vfs_syscall.h"
#include "lib/result.h"
#include "loader/user_stack.h"

namespace loader {

/* One guard page stays unmapped between the stack and the end of user space. */
constexpr uint64_t STACK_TOP = 0x00007FFFFFFFF000;
constexpr uint64_t STACK_PAGES = 32;
constexpr uint64_t STACK_BOTTOM = STACK_TOP - STACK_PAGES * 0x1000;
/* The program break stays this far below the stack. */
constexpr uint64_t STACK_GAP = 0x100000;

struct LoadedProgram {
    ArchMemory memory;
    uint64_t entry = 0;
    uint64_t stack_pointer = 0;
    uint64_t break_start = 0; /* page aligned */
};

/* Loads `path` as resolved by `vfs` (the caller holds the file system lock).
 * ENOENT and the other open errors, EACCES for a directory, ENOEXEC for a file
 * that is no valid static ELF64 executable, ENOMEM, E2BIG when argv and envp do
 * not fit on the stack. */
[[nodiscard]] Result<LoadedProgram> load(VfsSyscall& vfs, const char* path, const user_stack::StringList& argv,
                                         const user_stack::StringList& envp);

} // namespace loader
