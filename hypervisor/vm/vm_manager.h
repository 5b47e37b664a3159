/* Starting, listing and stopping VMs: what the `vm` shell command and the
 * vm_start/vm_list/vm_stop system calls do. Each VM runs in its own host thread;
 * bad requests get a sentence saying what is wrong, and a VM that fails to start
 * gives back everything it took: start() is a short sequence of steps, each
 * resource held by one owner that gives it back unless the start succeeds. */
#pragma once
#include "abi/vm.h"
#include "hypervisor/nested/nested_option.h"
#include "lib/failure.h"

#include <stddef.h>
#include <stdint.h>

class Vm;

namespace vm_manager {

constexpr size_t MAX_VMS = 8;
constexpr uint64_t DEFAULT_MEMORY_MIB = 32;
constexpr uint64_t MIN_MEMORY_MIB = 2;
constexpr uint64_t MAX_MEMORY_MIB = 3072;
constexpr size_t MAX_MODULES = 4;
constexpr size_t MAX_DISKS = VM_MAX_DISKS;
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
/* The one directory beneath the root where a VM may change files by default; the
 * rest of its root is read-only (docs/hypercalls.md, "What a VM may change").
 * NO_WRITABLE as the writable directory makes the whole root read-only. */
constexpr const char* DEFAULT_WRITABLE = "/shared";
constexpr const char* NO_WRITABLE = "none";

struct StartRequest {
    const char* path = nullptr;
    /* The host directory the guest's paravirtual file system serves (docs/hypercalls.md). */
    const char* root = DEFAULT_ROOT;
    /* A host directory beneath `root`, or NO_WRITABLE. One that is not beneath the
     * root leaves nothing writable; the start's log line says why. */
    const char* writable = DEFAULT_WRITABLE;
    uint64_t memory_mib = DEFAULT_MEMORY_MIB;
    const char* cmdline = "";
    const char* modules[MAX_MODULES] = {};
    size_t module_count = 0;
    uint64_t quota_bytes = DEFAULT_QUOTA_BYTES;
    uint64_t quota_files = DEFAULT_QUOTA_FILES;
    /* CPUID leaf 0 answers "SWEBSWEBSWEB" (VM_START_SWEB_VENDOR). */
    bool sweb_vendor = false;
    /* Offered VMX or not (VM_START_NESTED_ON/OFF), or as vm_nested= says. */
    nested::NestedRequest nested = nested::NestedRequest::host_default;
    /* Host files backing the IDE units (primary master, primary slave,
     * secondary master, secondary slave); null leaves a unit empty. */
    const char* disks[MAX_DISKS] = {};
    bool disk_read_only[MAX_DISKS] = {};
};

struct StartResult {
    int id = -1; /* the new VM's id (1, 2, ...), or -1 */
    int errno_value = 0; /* why not, for the system call */
    char error[Failure::TEXT_SIZE] = {};
    /* The VM's root as resolved, without "." and ".." ("/a/../b/" is "/b"). */
    char root[VM_PATH_LENGTH] = {};
    /* On success: what the VM may change ("root / read-only, writable /shared",
     * or why nothing is writable). */
    char note[VM_ERROR_LENGTH] = {};
    bool ok() const { return id > 0; }
};

StartResult start(const StartRequest& request);
/* Asks VM `id` to stop; false when there is no such running VM. */
bool stop(int id);
/* Waits until VM `id` has ended and its thread finished: its report (vm_stats,
 * vm_trace=dump) is logged and everything but its record is given back. Any
 * number of threads may wait for the same VM. */
void wait(int id);
/* Fills up to `capacity` records (abi/vm.h), returns how many VMs exist. A VM
 * is listed as running until its thread finished (as wait() returns). */
size_t list(VmInfo* out, size_t capacity);
/* Fills `out` with VM `id`'s exit statistics; false when there is no such VM. */
bool stats(int id, VmStats& out);
/* VM `id`'s record, or null. The caller holds the table lock or keeps
 * interrupts off while it uses the record: start() may reuse a finished VM's
 * slot and free its record. */
Vm* find(int id);

/* The steps of start(), in order, for the test that makes each fail in turn. */
enum class StartStep { read_kernel, serve_root, record, guest_memory, vcpu, boot, thread, none };
/* Makes the next start() fail at `step` as if out of host memory (none: no more). */
void fail_next_start_at(StartStep step);

} // namespace vm_manager
