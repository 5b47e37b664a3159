/* The ProcessRegistry: every process from spawn (or fork) until its parent has
 * collected its exit status with wait. It starts a process's user thread, ends a
 * process (exit, or a CPU exception in ring 3) and gives back everything the
 * process held: its pages, page tables, descriptors and working directory. The
 * kernel itself is parent 0: processes it starts (shells, run=) are its children.
 *
 * Locking: the registry's mutex guards the list and every process's state; the
 * file system lock (kernel_vfs::lock) guards descriptors and working directories.
 * The two are never held together. */
#pragma once
#include "abi/process.h"
#include "arch/x86_64/trap_frame.h"
#include "fs/open_file.h"
#include "lib/result.h"
#include "loader/user_stack.h"
#include "process/process.h"
#include "sync/condition.h"
#include "sync/mutex.h"

struct SpawnRequest {
    /* nullptr: the kernel starts it (parent pid 0). */
    Process* parent = nullptr;
    const char* path = nullptr;
    user_stack::StringList argv{nullptr, 0};
    user_stack::StringList envp{nullptr, 0};
    /* For a process the kernel starts: what fds 0, 1 and 2 refer to (may be
     * null). A user parent's child inherits all of the parent's descriptors. */
    RefPtr<OpenFile> standard_streams;
};

struct CollectedChild {
    int pid;
    int status;
};

class ProcessRegistry {
public:
    static ProcessRegistry& instance();

    /* Installs the user exception hook: a process that faults in ring 3 ends
     * with status PROCESS_STATUS_FAULT | vector. */
    void init();

    /* Loads the program and starts it; returns its pid. Errors as docs/syscalls.md
     * lists for spawn. `path` is resolved in the parent's working directory. */
    [[nodiscard]] Result<int> spawn(const SpawnRequest& request);
    /* A copy of `parent` (its pages copied one by one, its descriptors shared)
     * that returns to user mode with `frame` and RAX 0. Returns the child's pid. */
    [[nodiscard]] Result<int> fork(Process& parent, const TrapFrame& frame);
    /* Replaces the program of the calling process; on success `frame` is the new
     * program's first user context. On failure the old program goes on. */
    [[nodiscard]] Result<void> exec(Process& process, const char* path, const user_stack::StringList& argv,
                                    const user_stack::StringList& envp, TrapFrame& frame);
    /* Ends the calling process with `status` (exit, or a fault). */
    [[noreturn]] void exit_current(int status);
    /* Waits until a child of `parent_pid` (one with pid `pid`, or any for -1)
     * has ended, frees it and returns its status. ECHILD when there is no such
     * child. */
    [[nodiscard]] Result<CollectedChild> wait(int parent_pid, int pid);
    /* Fills up to `count` entries in pid order; returns how many processes exist. */
    size_t list(ProcessInfo* out, size_t count);
    size_t count();

private:
    ProcessRegistry() : child_ended_(lock_, "child ended") {}

    [[nodiscard]] Result<int> start(Process* process, const TrapFrame& frame);
    /* Frees a process that never ran. */
    void discard(Process* process);
    void append(Process* process);
    void unlink(Process* process);
    void release_file_system_state(Process& process);
    void inherit_file_system_state(Process& process, const VfsContext& context, const SpawnRequest& request);
    void detach_children(Process& parent);

    Mutex lock_{"process registry"};
    Condition child_ended_;
    Process* first_ = nullptr;
    int next_pid_ = 1;
};
