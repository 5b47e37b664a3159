/* The table of VMs and their threads; see vm_manager.h. */
#include "hypervisor/vm/vm_manager.h"

#include "abi/errno.h"
#include "abi/fcntl.h"
#include "console/log.h"
#include "fs/file_descriptor_table.h"
#include "fs/kernel_vfs.h"
#include "fs/vfs_syscall.h"
#include "hypervisor/hypercall/file_server.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_report.h"
#include "lib/format.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "mm/memory_map.h"
#include "sched/scheduler.h"
#include "sync/mutex.h"
#include "time/clock.h"

#include <new>

namespace vm_manager {

namespace {

/* Files larger than this are no kernel a VM could boot (and would strain the heap). */
constexpr uint64_t MAX_FILE_SIZE = 64ull << 20;

struct Slot {
    Vm* vm = nullptr;
    Vcpu* vcpu = nullptr;
};

Slot slots[MAX_VMS];
Mutex table_lock("vm table");
int next_id = 1;

struct File {
    uint8_t* bytes = nullptr;
    size_t size = 0;
    ~File() { kfree(bytes); }
};

/* Reads a whole host file into the heap; fills `error` on failure. */
bool read_file(const char* path, File& file, char* error, size_t error_size)
{
    FileDescriptorTable files;
    VfsSyscall vfs(kernel_vfs::context(), files);
    Result<int> fd = vfs.open(path, O_RDONLY);
    if (fd.is_error()) {
        format_string(error, error_size, "cannot open %s: %s", path, errno_name(fd.error()));
        return false;
    }
    struct stat status;
    if (vfs.fstat(fd.value(), status).is_error() || S_ISDIR(status.st_mode)) {
        format_string(error, error_size, "%s is not a regular file", path);
        return false;
    }
    if (status.st_size > MAX_FILE_SIZE) {
        format_string(error, error_size, "%s is too large (%lu bytes) to be a kernel", path, uint64_t(status.st_size));
        return false;
    }
    file.size = size_t(status.st_size);
    file.bytes = static_cast<uint8_t*>(kmalloc(file.size ? file.size : 1));
    if (!file.bytes) {
        format_string(error, error_size, "out of host memory reading %s", path);
        return false;
    }
    Result<size_t> got = vfs.read(fd.value(), file.bytes, file.size);
    if (got.is_error() || got.value() != file.size) {
        format_string(error, error_size, "reading %s failed", path);
        return false;
    }
    return true;
}

void delete_locked(FileServer* files)
{
    MutexLocker locker(kernel_vfs::lock());
    delete files;
}

/* Closes every host file the VM still has open. */
void release_files(Vm& vm)
{
    MutexLocker locker(kernel_vfs::lock());
    delete vm.files;
    vm.files = nullptr;
}

/* The file server on the VM's root: a directory of the host's root file system
 * (another mount, like the terminals of /dev, is not a place for a VM). */
FileServer* serve_root(const char* root, char* error, size_t error_size)
{
    MutexLocker locker(kernel_vfs::lock());
    Result<RefPtr<Inode>> directory = resolve_path(kernel_vfs::context(), root);
    if (directory.is_error()) {
        format_string(error, error_size, "VM root %s: %s", root, errno_name(directory.error()));
        return nullptr;
    }
    if (!directory.value()->is_directory()) {
        format_string(error, error_size, "VM root %s is not a directory", root);
        return nullptr;
    }
    if (&directory.value()->file_system() != &kernel_vfs::vfs().root()->file_system()) {
        format_string(error, error_size, "VM root %s is not on the root file system", root);
        return nullptr;
    }
    return new FileServer(directory.value());
}

void vm_thread(void* argument)
{
    auto* slot = static_cast<Slot*>(argument);
    slot->vcpu->run();
    vm_report::vm_ended(*slot->vm);
    /* Everything but the record shown by `vm list` goes back to the host. */
    delete slot->vcpu;
    slot->vcpu = nullptr;
    release_files(*slot->vm);
    slot->vm->memory().release();
    log(LogCategory::vmx, "vm%d ended after %lu VM exits; its memory is returned", slot->vm->id(),
        slot->vm->statistics().total);
}

Slot* free_slot()
{
    for (Slot& slot : slots) {
        if (!slot.vm)
            return &slot;
    }
    /* Reuse the oldest ended VM's record. */
    for (Slot& slot : slots) {
        if (slot.vm->ended() && !slot.vcpu) {
            if (slot.vm->thread)
                Scheduler::instance().join(slot.vm->thread);
            delete slot.vm;
            slot.vm = nullptr;
            return &slot;
        }
    }
    return nullptr;
}

void copy_text(char* out, size_t size, const char* text)
{
    size_t length = strnlen(text, size - 1);
    memcpy(out, text, length);
    out[length] = '\0';
}

/* Loads the kernel (and modules) into the VM's RAM and prepares its vCPU. */
bool boot_vm(Vm& vm, Vcpu& vcpu, const StartRequest& request, const File& kernel, char* error, size_t size)
{
    File modules[MAX_MODULES];
    loader::GuestModule guest_modules[MAX_MODULES];
    for (size_t i = 0; i < request.module_count; ++i) {
        if (!read_file(request.modules[i], modules[i], error, size))
            return false;
        guest_modules[i] = {modules[i].bytes, modules[i].size, request.modules[i]};
    }
    auto* scratch = static_cast<uint8_t*>(kmalloc(PAGE_SIZE));
    if (!scratch) {
        format_string(error, size, "out of host memory");
        return false;
    }
    loader::GuestBootConfig config;
    config.ram_size = vm.memory_bytes();
    config.cmdline = request.cmdline;
    config.modules = guest_modules;
    config.module_count = request.module_count;
    config.scratch = scratch;
    config.scratch_size = PAGE_SIZE;
    loader::LoadResult loaded;
    loader::LoaderError load_error = loader::load_multiboot_kernel(kernel.bytes, kernel.size, config, vm.memory(), loaded);
    kfree(scratch);
    if (load_error != loader::LoaderError::none) {
        format_string(error, size, "%s: %s", request.path, loader::loader_error_text(load_error));
        return false;
    }
    if (const char* failure = vcpu.prepare(loaded.entry)) {
        format_string(error, size, "%s", failure);
        return false;
    }
    return true;
}

} // namespace

StartResult start(const StartRequest& request)
{
    StartResult result;
    char* error = result.error;
    size_t size = sizeof(result.error);
    if (!request.path || !request.path[0]) {
        format_string(error, size, "usage: vm start [--mem MiB] [--append \"cmdline\"] FILE [modules...]");
        result.errno_value = EINVAL;
        return result;
    }
    if (request.memory_mib < MIN_MEMORY_MIB || request.memory_mib > MAX_MEMORY_MIB) {
        format_string(error, size, "guest memory of %lu MiB is absurd: choose %lu to %lu MiB", request.memory_mib,
                      MIN_MEMORY_MIB, MAX_MEMORY_MIB);
        result.errno_value = EINVAL;
        return result;
    }
    if (request.module_count > MAX_MODULES) {
        format_string(error, size, "at most %zu modules", MAX_MODULES);
        result.errno_value = EINVAL;
        return result;
    }
    /* The request is checked completely before the CPU is asked, so that a bad
     * file is reported as such on every machine. */
    File kernel;
    if (!read_file(request.path, kernel, error, size)) {
        result.errno_value = ENOENT;
        return result;
    }
    loader::LoadPlan plan;
    if (loader::LoaderError bad = loader::plan_kernel(kernel.bytes, kernel.size, request.memory_mib << 20, plan);
        bad != loader::LoaderError::none) {
        format_string(error, size, "%s: %s", request.path, loader::loader_error_text(bad));
        result.errno_value = EINVAL;
        return result;
    }
    const char* root = request.root ? request.root : DEFAULT_ROOT;
    FileServer* files = serve_root(root, error, size);
    if (!files) {
        result.errno_value = EINVAL;
        return result;
    }
    if (const char* unavailable = virtualization_unavailable()) {
        delete_locked(files);
        format_string(error, size, "%s", unavailable);
        result.errno_value = ENOSYS;
        return result;
    }

    MutexLocker lock(table_lock);
    Slot* slot = free_slot();
    if (!slot) {
        format_string(error, size, "already %zu VMs: stop one first", MAX_VMS);
        delete_locked(files);
        result.errno_value = EAGAIN;
        return result;
    }
    /* Running out of host memory is a sentence for the user here, never a panic:
     * the records come from the nothrow new. */
    Vm* vm = new (std::nothrow) Vm(next_id, request.memory_mib << 20);
    if (!vm) {
        format_string(error, size, "out of host memory for the VM's record");
        result.errno_value = ENOMEM;
        return result;
    }
    copy_text(vm->path, sizeof(vm->path), request.path);
    copy_text(vm->cmdline, sizeof(vm->cmdline), request.cmdline ? request.cmdline : "");
    vm->files = files;
    if (vm->memory().allocate(vm->memory_bytes()) != MemoryError::none) {
        format_string(error, size, "out of host memory for %lu MiB of guest RAM", request.memory_mib);
        release_files(*vm);
        delete vm;
        result.errno_value = ENOMEM;
        return result;
    }
    vm->create_platform();
    Vcpu* vcpu = create_vcpu(*vm);
    if (!vcpu) {
        format_string(error, size, "out of host memory for the vCPU");
        vm->memory().release();
        delete vm;
        result.errno_value = ENOMEM;
        return result;
    }
    if (!boot_vm(*vm, *vcpu, request, kernel, error, size)) {
        delete vcpu;
        release_files(*vm);
        vm->memory().release();
        delete vm;
        result.errno_value = EINVAL;
        return result;
    }
    slot->vm = vm;
    slot->vcpu = vcpu;
    char name[16];
    format_string(name, sizeof(name), "vm%d", next_id);
    vm->started_ns = clock::nanoseconds();
    /* A user program's VM: its thread's stack leaves the kernel's reserve alone. */
    vm->thread = Scheduler::instance().spawn(vm_thread, slot, name, PageClaim::ordinary);
    if (!vm->thread) {
        /* Without its thread the VM would stay "running" forever, holding its RAM. */
        slot->vm = nullptr;
        slot->vcpu = nullptr;
        delete vcpu;
        vm->memory().release();
        delete vm;
        format_string(error, size, "out of host memory for the VM's thread");
        result.errno_value = ENOMEM;
        return result;
    }
    result.id = next_id++;
    log(LogCategory::vmx, "vm%d started: %s, %lu MiB, command line \"%s\", root %s", result.id, vm->path,
        request.memory_mib, vm->cmdline, root);
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
    Vm* vm = find(id);
    if (!vm || vm->ended())
        return false;
    vm->request_stop();
    return true;
}

void wait(int id)
{
    Vm* vm = find(id);
    if (vm && vm->thread) {
        Scheduler::instance().join(vm->thread);
        vm->thread = nullptr;
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
    size_t count = 0;
    for (Slot& slot : slots) {
        if (!slot.vm)
            continue;
        if (count < capacity) {
            Vm& vm = *slot.vm;
            VmInfo& info = out[count];
            info.id = vm.id();
            info.state = vm.state() == VmRunState::running || vm.state() == VmRunState::starting ? VM_RUNNING
                         : vm.state() == VmRunState::stopped                                  ? VM_STOPPED
                                                                                           : VM_FAILED;
            info.memory_mib = vm.memory_bytes() >> 20;
            info.exit_count = vm.statistics().total;
            copy_text(info.cmdline, sizeof(info.cmdline), vm.cmdline);
            copy_text(info.path, sizeof(info.path), vm.path);
            copy_text(info.reason, sizeof(info.reason), vm.stop_reason());
            uint64_t until = vm.ended() ? vm.stopped_ns : clock::nanoseconds();
            info.uptime_ms = (until - vm.started_ns) / clock::NS_PER_MS;
        }
        ++count;
    }
    return count;
}

} // namespace vm_manager
