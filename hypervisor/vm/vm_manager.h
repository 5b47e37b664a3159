/* Starting, listing and stopping VMs: what the `vm` shell command and the
 * vm_start/vm_list/vm_stop system calls do. Each VM runs in its own host thread;
 * bad requests get a sentence saying what is wrong, and a VM that fails to start
 * gives back everything it took. */
#pragma once
#include "abi/vm.h"

#include <stddef.h>
#include <stdint.h>

class Vm;

namespace vm_manager {

constexpr size_t MAX_VMS = 8;
constexpr uint64_t DEFAULT_MEMORY_MIB = 32;
constexpr uint64_t MIN_MEMORY_MIB = 2;
constexpr uint64_t MAX_MEMORY_MIB = 3072;
constexpr size_t MAX_MODULES = 4;
/* A guest's storage quota on the host by default (docs/hypercalls.md, "Files"):
 * 16 MiB of file data is room for a build or a test's output, while eight VMs at
 * their defaults still take at most 128 MiB; 1024 files and directories (each an
 * inode and a name on the heap, some hundred bytes) bound the metadata the same
 * way. Larger quotas are asked for with vm start --quota-bytes/--quota-files. */
constexpr uint64_t DEFAULT_QUOTA_BYTES = VM_DEFAULT_QUOTA_BYTES;
constexpr uint64_t DEFAULT_QUOTA_FILES = VM_DEFAULT_QUOTA_FILES;

/* The VM's root directory by default: the host's root file system (its other
 * mounts, like /dev, are not shared). */
constexpr const char* DEFAULT_ROOT = "/";

struct StartRequest {
    const char* path = nullptr;
    /* The host directory the guest's paravirtual file system serves (docs/hypercalls.md). */
    const char* root = DEFAULT_ROOT;
    uint64_t memory_mib = DEFAULT_MEMORY_MIB;
    const char* cmdline = "";
    const char* modules[MAX_MODULES] = {};
    size_t module_count = 0;
    uint64_t quota_bytes = DEFAULT_QUOTA_BYTES;
    uint64_t quota_files = DEFAULT_QUOTA_FILES;
};

struct StartResult {
    int id = -1; /* the new VM's id (1, 2, ...), or -1 */
    int errno_value = 0; /* why not, for the system call */
    char error[160] = {};
    bool ok() const { return id > 0; }
};

StartResult start(const StartRequest& request);
/* Asks VM `id` to stop; false when there is no such running VM. */
bool stop(int id);
/* Waits until VM `id` has ended (its thread finished). */
void wait(int id);
/* Fills up to `capacity` records (abi/vm.h), returns how many VMs exist. */
size_t list(VmInfo* out, size_t capacity);
/* Fills `out` with VM `id`'s exit statistics; false when there is no such VM. */
bool stats(int id, VmStats& out);
Vm* find(int id);

} // namespace vm_manager
