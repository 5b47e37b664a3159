/* The table of VMs and their threads; see vm_manager.h. */
#include "hypervisor/vm/vm_manager.h"

#include "hypervisor/exercise.h"

#include "abi/errno.h"
#include "console/log.h"
#include "fs/kernel_vfs.h"
#include "hypervisor/hypercall/file_server.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/halted_guest.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_host_files.h"
#include "hypervisor/vm/vm_report.h"
#include "hypervisor/vm/vm_root.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "mm/memory_map.h"
#include "sched/scheduler.h"
#include "sync/condition.h"
#include "sync/mutex.h"
#include "time/clock.h"

#include <new>

namespace vm_manager {

namespace {

struct Slot {
    Vm* vm = nullptr;
    Vcpu* vcpu = nullptr;
};

/* Guards the slots and the records in them: start() fills and reuses slots,
 * a VM's thread marks its record finished, wait() joins the thread. */
Mutex table_lock("vm table");
/* Broadcast (with table_lock held) whenever a VM's thread finished. */
Condition vm_finished(table_lock, "vm finished");
Slot slots[MAX_VMS];
int next_id = 1;
StartStep injected_failure = StartStep::none;

/* Whether the test hook wants `step` to fail now (once). */
bool injected(StartStep step)
{
    if (injected_failure != step)
        return false;
    injected_failure = StartStep::none;
    return true;
}

/* How a start gives back what it made when a later step fails. */
void discard(Vm* vm)
{
    /* Closes the file server, then deletes the record (guest memory and platform
     * go with it, Vm's own destructor); the record's storage account is a
     * file-system object, dropped under the file system's lock. */
    release_files(*vm);
    MutexLocker locker(kernel_vfs::lock());
    delete vm;
}
void discard(Vcpu* vcpu) { delete vcpu; } /* its VMCS, MSR pages and EPT */

/* The one owner of something a start made, until the start succeeds and the
 * VM's thread takes it over (release()). */
template <typename T> class StartOwner {
public:
    explicit StartOwner(T* object) : object_(object) {}
    StartOwner(const StartOwner&) = delete;
    StartOwner& operator=(const StartOwner&) = delete;
    ~StartOwner()
    {
        if (object_)
            discard(object_);
    }
    T& operator*() const { return *object_; }
    T* operator->() const { return object_; }
    T* release()
    {
        T* object = object_;
        object_ = nullptr;
        return object;
    }

private:
    T* object_;
};


/* Step: the file server on the VM's root. */
Result<FileServer*> serve_root(const RootDirectory& directory, const StartRequest& request, Failure& why)
{
    MutexLocker locker(kernel_vfs::lock());
    RefPtr<StorageAccount> account(new (std::nothrow) StorageAccount(request.quota_bytes, request.quota_files));
    if (!account)
        return why.set(ENOMEM, "out of host memory for the VM's storage account");
    auto* files = injected(StartStep::serve_root)
                      ? nullptr
                      : new (std::nothrow) FileServer(directory.inode, directory.writable, account);
    if (files && !files->ready()) {
        delete files;
        files = nullptr;
    }
    if (!files) {
        account = nullptr;
        return why.set(ENOMEM, "out of host memory for the VM's file server");
    }
    return files;
}

void copy_text(char* out, size_t size, const char* text)
{
    size_t length = strnlen(text, size - 1);
    memcpy(out, text, length);
    out[length] = '\0';
}

/* Step: the VM's record, owning the file server from here on. */
Result<Vm*> create_record(const StartRequest& request, FileServer* files, Failure& why)
{
    Vm* vm = injected(StartStep::record) ? nullptr : new (std::nothrow) Vm(next_id, request.memory_mib << 20, request.nested);
    if (!vm) {
        MutexLocker locker(kernel_vfs::lock());
        delete files;
        return why.set(ENOMEM, "out of host memory for the VM's record");
    }
    vm->files = files;
    {
        /* Reference counts of file-system objects change under its lock. */
        MutexLocker locker(kernel_vfs::lock());
        vm->storage = files->account();
    }
    copy_text(vm->path, sizeof(vm->path), request.path);
    copy_text(vm->cmdline, sizeof(vm->cmdline), request.cmdline ? request.cmdline : "");
    vm->sweb_vendor = request.sweb_vendor;
    return vm;
}

/* Step: guest RAM and the virtual PC over it. */
Result<void> create_memory(Vm& vm, Failure& why)
{
    if (injected(StartStep::guest_memory) || vm.memory().allocate(vm.memory_bytes()) != MemoryError::none)
        return why.set(ENOMEM, "out of host memory for %lu MiB of guest RAM", vm.memory_bytes() >> 20);
    vm.create_platform();
    return {};
}

/* Step: the vCPU. */
Result<Vcpu*> create_backend_vcpu(Vm& vm, Failure& why)
{
    Vcpu* vcpu = injected(StartStep::vcpu) ? nullptr : create_vcpu(vm);
    if (!vcpu)
        return why.set(ENOMEM, "out of host memory for the vCPU");
    return vcpu;
}

/* Step: loads the kernel (and modules) into the VM's RAM and prepares its vCPU. */
Result<void> boot_vm(Vm& vm, Vcpu& vcpu, const StartRequest& request, const File& kernel, Failure& why)
{
    File modules[MAX_MODULES];
    guest_loader::GuestModule guest_modules[MAX_MODULES];
    for (size_t i = 0; i < request.module_count; ++i) {
        TRY(read_file(request.modules[i], modules[i], why));
        guest_modules[i] = {modules[i].bytes, modules[i].size, request.modules[i]};
    }
    auto* scratch = injected(StartStep::boot) ? nullptr : static_cast<uint8_t*>(kmalloc(PAGE_SIZE));
    if (!scratch)
        return why.set(ENOMEM, "out of host memory loading %s", request.path);
    guest_loader::GuestBootConfig config;
    config.ram_size = vm.memory_bytes();
    config.cmdline = request.cmdline;
    config.modules = guest_modules;
    config.module_count = request.module_count;
    config.scratch = scratch;
    config.scratch_size = PAGE_SIZE;
    guest_loader::LoadResult loaded;
    guest_loader::LoaderError load_error = guest_loader::load_multiboot_kernel(kernel.bytes, kernel.size, config, vm.memory(), loaded);
    kfree(scratch);
    TRY(guest_loader::check_load(load_error, request.path, why));
    return vcpu.prepare(loaded.entry, why);
}

/* The VM's thread: runs the vCPU until the VM ends, logs the report, gives back
 * everything but the record shown by `vm list`, then marks the record finished.
 * Only after that may wait() return or start() reuse the slot. */
void vm_thread(void* argument)
{
    auto* slot = static_cast<Slot*>(argument);
    Vm& vm = *slot->vm;
    slot->vcpu->run();
    vm_report::vm_ended(vm);
    delete slot->vcpu;
    release_files(vm);
    vm.keep_last_screen();
    release_disks(vm);
    vm.memory().release();
    log(LogCategory::vmx, "vm%d ended after %lu VM exits; its memory is returned", vm.id(), vm.statistics().total);
    MutexLocker lock(table_lock);
    slot->vcpu = nullptr;
    vm.set_finished();
    vm_finished.broadcast();
}

/* Joins a finished VM's thread (once; table_lock held). The thread has nothing
 * left to do but return, so this does not wait long. */
void join_thread(Vm& vm)
{
    if (vm.thread) {
        Scheduler::instance().join(vm.thread);
        vm.thread = nullptr;
    }
}

/* A slot for a new VM: an empty one, else the one holding the oldest finished
 * VM's record (the lowest id: ids grow with each start), so that `vm list`
 * keeps the newest records. table_lock held. */
Slot* free_slot()
{
    Slot* oldest = nullptr;
    for (Slot& slot : slots) {
        if (!slot.vm)
            return &slot;
        if (slot.vm->finished() && (!oldest || slot.vm->id() < oldest->vm->id()))
            oldest = &slot;
    }
    if (oldest) {
        join_thread(*oldest->vm);
        {
            /* The record's storage account is a file-system object: dropped under its lock. */
            MutexLocker locker(kernel_vfs::lock());
            delete oldest->vm;
        }
        oldest->vm = nullptr;
    }
    return oldest;
}

/* Step: the VM's thread, which takes over the record and the vCPU. */
Result<void> spawn_thread(Slot& slot, Vm& vm, Vcpu& vcpu, Failure& why)
{
    char name[16];
    format_string(name, sizeof(name), "vm%d", vm.id());
    slot.vm = &vm;
    slot.vcpu = &vcpu;
    vm.started_ns = clock::nanoseconds();
    /* A user program's VM: its thread's stack leaves the kernel's reserve alone. */
    vm.thread = injected(StartStep::thread) ? nullptr
                                            : Scheduler::instance().spawn(vm_thread, &slot, name, PageClaim::ordinary);
    if (!vm.thread) {
        /* Without its thread the VM would stay "running" forever, holding its RAM. */
        slot.vm = nullptr;
        slot.vcpu = nullptr;
        return why.set(ENOMEM, "out of host memory for the VM's thread");
    }
    return {};
}

/* The checks that need no resources: what a person can correct in the request. */
Result<void> check_request(const StartRequest& request, Failure& why)
{
    if (!request.path || !request.path[0])
        return why.set(EINVAL, "usage: vm start [--mem MiB] [--append \"cmdline\"] FILE [modules...]");
    if (request.memory_mib < MIN_MEMORY_MIB || request.memory_mib > MAX_MEMORY_MIB)
        return why.set(EINVAL, "guest memory of %lu MiB is absurd: choose %lu to %lu MiB", request.memory_mib,
                       MIN_MEMORY_MIB, MAX_MEMORY_MIB);
    if (request.module_count > MAX_MODULES)
        return why.set(EINVAL, "at most %zu modules", MAX_MODULES);
    return {};
}

/* start() in steps; each resource has one owner that gives it back on failure. */
Result<int> start_steps(const StartRequest& request, char* root, size_t root_size, char* note, size_t note_size,
                        Failure& why)
{
    TRY(check_request(request, why));
    /* The request is checked completely before the CPU is asked, so that a bad
     * file is reported as such on every machine. */
    File kernel;
    if (injected(StartStep::read_kernel))
        return why.set(ENOMEM, "out of host memory reading %s", request.path);
    TRY(read_file(request.path, kernel, why));
    guest_loader::LoadPlan plan;
    TRY(guest_loader::check_load(guest_loader::plan_kernel(kernel.bytes, kernel.size, request.memory_mib << 20, plan),
                                 request.path, why));
    RootDirectory directory;
    TRY(resolve_root(request.root ? request.root : DEFAULT_ROOT, request.writable, directory, root, root_size, why));
    format_string(note, note_size, "root %s read-only, %s", root, directory.note);
    TRY(check_disks(request, why));
    TRY(require_virtualization(why));
    TRY(nested::check_request(request.nested, why));

    MutexLocker lock(table_lock);
    Slot* slot = free_slot();
    if (!slot)
        return why.set(EAGAIN, "already %zu VMs: stop one first", MAX_VMS);
    FileServer* files = TRY(serve_root(directory, request, why));
    StartOwner<Vm> vm(TRY(create_record(request, files, why)));
    TRY(create_memory(*vm, why));
    TRY(attach_disks(*vm, request, why));
    StartOwner<Vcpu> vcpu(TRY(create_backend_vcpu(*vm, why)));
    TRY(boot_vm(*vm, *vcpu, request, kernel, why));
    TRY(spawn_thread(*slot, *vm, *vcpu, why));
    /* The thread owns them now; the record's id was next_id, under the lock. */
    vcpu.release();
    vm.release();
    return next_id++;
}

} // namespace

void fail_next_start_at(StartStep step) { injected_failure = step; }

StartResult start(const StartRequest& request)
{
    StartResult result;
    Failure why;
    Result<int> started = start_steps(request, result.root, sizeof(result.root), result.note, sizeof(result.note), why);
    injected_failure = StartStep::none;
    if (started.is_error()) {
        result.errno_value = why.errno_value ? why.errno_value : started.error();
        copy_text(result.error, sizeof(result.error), why.text);
        return result;
    }
    result.id = started.value();
    log(LogCategory::vmx, "vm%d started: %s, %lu MiB, command line \"%s\", %s, quota %lu bytes and %lu files",
        result.id, request.path, request.memory_mib, request.cmdline ? request.cmdline : "", result.note,
        request.quota_bytes, request.quota_files);
    // SOLUTION BEGIN 11
    /* The VM runs in its own host thread (spawn_thread): start() returns at once,
     * and the scheduler shares the CPU between the VM and the host's threads. */
    // SOLUTION STUB 11: /* A VM that blocks whoever started it until it ends: make spawn_thread() run it in a
    // SOLUTION STUB 11:  * host thread of its own and delete this wait. */
    // SOLUTION STUB 11: log(LogCategory::vmx, "vm%d: %s", result.id, MILESTONE_NOT_DONE(11, "vm start waits for the VM "
    // SOLUTION STUB 11:     "to end; run it as a host thread instead (start and spawn_thread, hypervisor/vm/vm_manager.cpp)"));
    // SOLUTION STUB 11: wait(result.id);
    // SOLUTION END 11
    return result;
}

Vm* find(int id)
{
    for (Slot& slot : slots) {
        if (slot.vm && slot.vm->id() == id)
            return slot.vm;
    }
    return nullptr;
}

bool stop(int id)
{
    MutexLocker lock(table_lock);
    Vm* vm = find(id);
    if (!vm || vm->ended())
        return false;
    vm->request_stop();
    halted_guest::wake(*vm);
    return true;
}

void wait(int id)
{
    MutexLocker lock(table_lock);
    /* The record is looked up again after each wake-up: while this thread
     * slept, another waiter may have joined the thread, or start() reused the
     * slot of a finished VM (then there is nothing left to wait for). */
    for (;;) {
        Vm* vm = find(id);
        if (!vm)
            return;
        if (vm->finished()) {
            join_thread(*vm);
            return;
        }
        vm_finished.wait();
    }
}

bool stats(int id, VmStats& out)
{
    /* The lock keeps start() from reusing the record meanwhile. */
    MutexLocker lock(table_lock);
    Vm* vm = find(id);
    if (!vm)
        return false;
    vm_report::fill_stats(*vm, out);
    return true;
}

size_t list(VmInfo* out, size_t capacity)
{
    MutexLocker lock(table_lock);
    size_t count = 0;
    for (Slot& slot : slots) {
        if (!slot.vm)
            continue;
        if (count < capacity) {
            Vm& vm = *slot.vm;
            VmInfo& info = out[count];
            info.id = vm.id();
            /* Ended only once its thread finished, so that a program waiting
             * for the end (vm wait) finds the report logged. */
            info.state = vm.finished() ? vm_abi_state(vm.state()) : uint32_t(VM_RUNNING);
            info.memory_mib = vm.memory_bytes() >> 20;
            info.exit_count = vm.statistics().total;
            copy_text(info.cmdline, sizeof(info.cmdline), vm.cmdline);
            copy_text(info.path, sizeof(info.path), vm.path);
            copy_text(info.reason, sizeof(info.reason), vm.stop_reason());
            uint64_t until = vm.ended() ? vm.stopped_ns : clock::nanoseconds();
            info.uptime_ms = (until - vm.started_ns) / clock::NS_PER_MS;
            if (vm.storage) {
                info.quota_bytes_used = vm.storage->bytes_used();
                info.quota_bytes = vm.storage->byte_limit();
                info.quota_files_used = vm.storage->files_used();
                info.quota_files = vm.storage->file_limit();
            }
        }
        ++count;
    }
    return count;
}

} // namespace vm_manager
