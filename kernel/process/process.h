/* A user process, as SWEB students know it: an address space (ArchMemory), its
 * file descriptors (FileDescriptorTable), its working directory (VfsContext), one
 * user thread, and what wait and ps report: pid, parent, state, exit status and
 * name. The ProcessRegistry creates processes, ends them and hands their status
 * to the waiting parent. */
#pragma once
#include "abi/process.h"
#include "arch/x86_64/arch_memory.h"
#include "fs/file_descriptor_table.h"
#include "fs/vfs_context.h"

#include <stdint.h>

class Thread;

class Process {
public:
    /* The process whose thread is running, or nullptr in a kernel thread. */
    static Process* current();

    int pid() const { return pid_; }
    int parent_pid() const { return parent_pid_; }
    const char* name() const { return name_; }
    ProcessState state() const { return state_; }

    ArchMemory& memory() { return memory_; }
    const ArchMemory& memory() const { return memory_; }
    /* Descriptors and working directory: touched only with kernel_vfs::lock() held. */
    FileDescriptorTable& files() { return files_; }
    VfsContext& vfs_context() { return *vfs_context_; }

    /* The program break (POSIX brk): `requested` when the heap between the
     * initial break and the stack can end there (pages mapped or unmapped to
     * match), else the break stays. 0 only asks. Called by the process itself. */
    uint64_t set_program_break(uint64_t requested);

private:
    friend class ProcessRegistry;

    Process(int parent_pid, const char* name);
    void set_name(const char* name);
    bool grow_heap(uint64_t from, uint64_t to);

    int pid_ = 0;
    int parent_pid_;
    char name_[PROCESS_NAME_LENGTH] = {};
    ProcessState state_ = PROCESS_RUNNING;
    int exit_status_ = 0;
    /* Nobody will wait for it (its parent ended): freed as soon as it ends. */
    bool detached_ = false;
    ArchMemory memory_;
    FileDescriptorTable files_;
    VfsContext* vfs_context_ = nullptr;
    Thread* thread_ = nullptr; /* nullptr once it ended */
    uint64_t break_start_ = 0;
    uint64_t break_ = 0;
    Process* next_ = nullptr; /* the registry's list */
};
