/* One virtual machine, independent of VMX: its RAM, its virtual PC, its exit
 * statistics, its state and why it stopped. The VMX backend (hypervisor/vmx)
 * runs it; hypervisor/vm/vm_manager starts, lists and stops VMs. */
#pragma once
#include "fs/storage_account.h"
#include "hypervisor/cpu_model/cpu_model.h"
#include "hypervisor/memory/guest_memory.h"
#include "hypervisor/nested/nested_option.h"
#include "hypervisor/vm/host_disk.h"
#include "hypervisor/vm/exit_statistics.h"
#include "hypervisor/vm/platform.h"

#include <stddef.h>
#include <stdint.h>

class Thread;
class FileServer;

/* `halted`: the guest executed HLT with interrupts off and nothing (no NMI, none
 * exists here) can wake it: an orderly end for a kernel that has nothing left to
 * do (a panic screen, `cli; hlt` after its last line), not a failure. */
enum class VmRunState { starting, running, stopped, failed, halted };
const char* vm_state_name(VmRunState state);
/* An ended VM's state as abi/vm.h's enum VmState says it (VM_STOPPED, ...). */
uint32_t vm_abi_state(VmRunState state);

class Vm {
public:
    static constexpr size_t PATH_LENGTH = 64;
    static constexpr size_t CMDLINE_LENGTH = 128;
    static constexpr size_t REASON_LENGTH = 160;
    /* The text screen as `vm screen` prints it: 25 lines of up to 80 characters. */
    static constexpr size_t SCREEN_TEXT_LENGTH = devices::VgaTextDevice::ROWS * (devices::VgaTextDevice::COLUMNS + 1);

    /* `nested`: whether it is offered VMX (a request nested::check_request accepted). */
    Vm(int id, uint64_t memory_bytes, nested::NestedRequest nested = nested::NestedRequest::host_default);
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
    /* The CPU the guest sees: its CPUID answers and MSRs (hypervisor/cpu_model). */
    cpu_model::GuestCpu& cpu() { return cpu_; }
    VmExitTrace& trace() { return trace_; }

    /* One guest port write through the virtual PC, and whether it turned the VM
     * off (then the VM has ended): any write to QEMU's debug-exit port 0xF4, 'S'
     * to Bochs' shutdown port 0x8900, and whatever the platform's devices take as
     * power off or reset (docs/hostile-guests.md, "Power-off writes"). Both
     * backends' port exits come here. */
    bool write_port_powers_off(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns);

    /* Creates the virtual PC over guest RAM (after the RAM exists). */
    void create_platform();
    /* Copies the text screen aside; called by the VM's thread before it gives
     * guest RAM back, so that `vm screen` still shows how the guest ended. */
    void keep_last_screen();
    /* The text screen as 25 '\n'-terminated lines of printable ASCII without
     * trailing blanks: live while guest RAM exists, else the kept one (blank
     * before the platform exists). Returns the length written to `out` (at most
     * SCREEN_TEXT_LENGTH; no NUL). The caller keeps interrupts off, so that
     * the VM's thread cannot give RAM back meanwhile (one CPU). */
    size_t screen_text(char (&out)[SCREEN_TEXT_LENGTH]);

    char path[PATH_LENGTH] = {};
    char cmdline[CMDLINE_LENGTH] = {};
    /* CPUID leaf 0 answers "SWEBSWEBSWEB" (the slides' demo, VM_START_SWEB_VENDOR). */
    bool sweb_vendor = false;
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
     * crashes and broken entries, `stopped` for an orderly end, `halted` for
     * HLT with interrupts off. */
    void end(VmRunState state, int exit_status, const char* format, ...) __attribute__((format(printf, 4, 5)));
    bool ended() const
    {
        return state_ == VmRunState::stopped || state_ == VmRunState::failed || state_ == VmRunState::halted;
    }
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
    /* Set (interrupts off) before guest RAM goes: the screen lives on here. */
    bool screen_kept_ = false;
    size_t last_screen_length_ = 0;
    char last_screen_[SCREEN_TEXT_LENGTH] = {};
    alignas(16) uint8_t platform_storage_[sizeof(VirtualPlatform)];
    ExitStatistics statistics_;
    VmExitTrace trace_;
    cpu_model::GuestCpu cpu_;
};
