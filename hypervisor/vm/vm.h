/* One virtual machine, independent of VMX: its RAM, its virtual PC, its exit
 * statistics, its state and why it stopped. The VMX backend (hypervisor/vmx)
 * runs it; hypervisor/vm/vm_manager starts, lists and stops VMs. */
#pragma once
#include "fs/storage_account.h"
#include "hypervisor/memory/guest_memory.h"
#include "hypervisor/vm/host_disk.h"
#include "hypervisor/vm/exit_statistics.h"
#include "hypervisor/vm/platform.h"

#include <stddef.h>
#include <stdint.h>

class Thread;
class FileServer;

enum class VmRunState { starting, running, stopped, failed };
const char* vm_state_name(VmRunState state);

class Vm {
public:
    static constexpr size_t PATH_LENGTH = 64;
    static constexpr size_t CMDLINE_LENGTH = 128;
    static constexpr size_t REASON_LENGTH = 160;

    Vm(int id, uint64_t memory_bytes);
    /* Gives back the platform and guest RAM; the file server is the owner's
     * (vm_manager closes it under the file system's lock). */
    ~Vm();
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;

    int id() const { return id_; }
    VmRunState state() const { return state_; }
    const char* stop_reason() const { return stop_reason_; }
    int exit_status() const { return exit_status_; }
    uint64_t memory_bytes() const { return memory_bytes_; }

    GuestMemory& memory() { return memory_; }
    VirtualPlatform& platform() { return *platform_; }
    bool has_platform() const { return platform_ != nullptr; }
    ExitStatistics& statistics() { return statistics_; }
    VmExitTrace& trace() { return trace_; }

    /* Creates the virtual PC over guest RAM (after the RAM exists). */
    void create_platform();

    char path[PATH_LENGTH] = {};
    char cmdline[CMDLINE_LENGTH] = {};
    uint64_t started_ns = 0;
    uint64_t stopped_ns = 0;
    Thread* thread = nullptr;
    /* The paravirtual file system's host side, on the VM's root directory; the
     * VM's thread deletes it (closing every handle) when the VM ends. */
    FileServer* files = nullptr;
    /* What the guest's files cost the host, against its quota; outlives the file
     * server (and the VM, while its files exist) so `vm list` can show it. */
    RefPtr<StorageAccount> storage;
    /* The host files behind the VM's IDE units (closed when the VM ends). */
    HostDisk disks[VirtualPlatform::IDE_UNITS];

    /* The host asked the VM to stop; the VM's thread acts at the next exit. */
    void request_stop() { stop_requested_ = true; }
    bool stop_requested() const { return stop_requested_; }

    void set_running() { state_ = VmRunState::running; }
    /* Ends the VM with a reason (the first one given wins); `failed` for guest
     * crashes and broken entries, `stopped` for an orderly end. */
    void end(VmRunState state, int exit_status, const char* format, ...) __attribute__((format(printf, 4, 5)));
    bool ended() const { return state_ == VmRunState::stopped || state_ == VmRunState::failed; }
    /* The VM's thread is done: the VM ended, its report is logged and all but
     * this record is given back. Set by vm_manager, under its table lock. */
    bool finished() const { return finished_; }
    void set_finished() { finished_ = true; }

private:
    int id_;
    VmRunState state_ = VmRunState::starting;
    char stop_reason_[REASON_LENGTH] = {};
    int exit_status_ = 0;
    volatile bool stop_requested_ = false;
    bool finished_ = false;
    uint64_t memory_bytes_;
    GuestMemory memory_;
    VirtualPlatform* platform_ = nullptr;
    alignas(16) uint8_t platform_storage_[sizeof(VirtualPlatform)];
    ExitStatistics statistics_;
    VmExitTrace trace_;
};
