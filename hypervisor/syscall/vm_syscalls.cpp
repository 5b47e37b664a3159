/* The vm_start, vm_list, vm_stop, vm_front, vm_send, vm_attach, vm_screen and vm_keys system calls (abi/syscall_numbers.h,
 * docs/syscalls.md): the `vm` program's way into vm_manager. The request is
 * copied in once and every field is NUL-terminated here before use. */
#include "abi/errno.h"
#include "arch/x86_64/interrupt_guard.h"
#include "abi/vm.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm_console/vm_console.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vm_console/vm_serial.h"
#include "lib/string.h"
#include "syscall/syscall_table.h"
#include "sync/mutex.h"
#include "syscall/user_memory.h"

#include <stddef.h>

namespace {

template <size_t N> void terminate(char (&field)[N]) { field[N - 1] = '\0'; }

} // namespace

int64_t syscall_vm_start(const SyscallArguments& arguments)
{
    uint64_t address = arguments.value[0];
    static VmStartRequest request; /* too large for a kernel stack; calls are serialised below */
    static Mutex request_lock("vm_start request");
    MutexLocker lock(request_lock);
    if (user_memory::copy_from(&request, address, sizeof(request)).is_error())
        return -EFAULT;
    terminate(request.path);
    terminate(request.cmdline);
    terminate(request.root);
    terminate(request.writable);
    vm_manager::StartRequest start;
    start.path = request.path;
    start.cmdline = request.cmdline;
    start.memory_mib = request.memory_mib;
    if (request.quota_bytes)
        start.quota_bytes = request.quota_bytes;
    if (request.quota_files)
        start.quota_files = request.quota_files;
    if (request.root[0])
        start.root = request.root;
    if (request.writable[0])
        start.writable = request.writable;
    if (request.module_count > VM_MAX_MODULES)
        return -EINVAL;
    for (uint32_t i = 0; i < request.module_count; ++i) {
        terminate(request.modules[i]);
        start.modules[i] = request.modules[i];
    }
    start.module_count = request.module_count;
    constexpr uint32_t NESTED_BITS = VM_START_NESTED_ON | VM_START_NESTED_OFF;
    if (request.flags & ~uint32_t(VM_START_SWEB_VENDOR | NESTED_BITS))
        return -EINVAL;
    if ((request.flags & NESTED_BITS) == NESTED_BITS)
        return -EINVAL;
    start.sweb_vendor = request.flags & VM_START_SWEB_VENDOR;
    start.nested = request.flags & VM_START_NESTED_ON    ? nested::NestedRequest::on
                   : request.flags & VM_START_NESTED_OFF ? nested::NestedRequest::off
                                                         : nested::NestedRequest::host_default;
    for (uint32_t i = 0; i < VM_MAX_DISKS; ++i) {
        terminate(request.disks[i]);
        start.disks[i] = request.disks[i];
        start.disk_read_only[i] = request.disk_flags[i] & VM_DISK_READ_ONLY;
    }
    vm_manager::StartResult result = vm_manager::start(start);
    /* The sentence for the user: why it failed, or on success what the VM may change. */
    char error[VM_ERROR_LENGTH] = {};
    const char* sentence = result.ok() ? result.note : result.error;
    size_t length = strnlen(sentence, sizeof(error) - 1);
    memcpy(error, sentence, length);
    (void)user_memory::copy_to(address + offsetof(VmStartRequest, error), error, sizeof(error));
    if (result.ok()) {
        /* The root as resolved goes back in place of the one asked for. */
        char root[VM_PATH_LENGTH] = {};
        memcpy(root, result.root, strnlen(result.root, sizeof(root) - 1));
        (void)user_memory::copy_to(address + offsetof(VmStartRequest, root), root, sizeof(root));
        return result.id;
    }
    return -(result.errno_value ? result.errno_value : EINVAL);
}

int64_t syscall_vm_list(const SyscallArguments& arguments)
{
    uint64_t address = arguments.value[0];
    size_t capacity = arguments.value[1] < vm_manager::MAX_VMS ? size_t(arguments.value[1]) : vm_manager::MAX_VMS;
    /* The whole buffer the caller named is checked, even where no VM fills it. */
    if (capacity && user_memory::check(address, capacity * sizeof(VmInfo), user_access::Access::write).is_error())
        return -EFAULT;
    VmInfo records[vm_manager::MAX_VMS] = {};
    size_t count = vm_manager::list(records, capacity);
    size_t filled = count < capacity ? count : capacity;
    if (filled && user_memory::copy_to(address, records, filled * sizeof(VmInfo)).is_error())
        return -EFAULT;
    return int64_t(count);
}

int64_t syscall_vm_front(const SyscallArguments& arguments)
{
    int64_t id = int64_t(arguments.value[0]);
    {
        /* As in vm_keys: with interrupts off no other thread runs start(),
         * which may reuse a finished VM's slot and free its record. */
        InterruptGuard guard;
        Vm* vm = id > 0 && id <= 1000000 ? vm_manager::find(int(id)) : nullptr;
        if (!vm || vm->ended())
            return -ESRCH;
    }
    vm_console::set_front(int(id));
    vm_console::show();
    return 0;
}

int64_t syscall_vm_stop(const SyscallArguments& arguments)
{
    int64_t id = int64_t(arguments.value[0]);
    if (id <= 0 || id > 1000000 || !vm_manager::stop(int(id)))
        return -ESRCH;
    return 0;
}

int64_t syscall_vm_send(const SyscallArguments& arguments)
{
    int64_t id = int64_t(arguments.value[0]);
    size_t count = size_t(arguments.value[2]);
    if (count > VM_SEND_MAX)
        return -E2BIG;
    uint8_t bytes[VM_SEND_MAX];
    if (count && user_memory::copy_from(bytes, arguments.value[1], count).is_error())
        return -EFAULT;
    if (id <= 0 || id > 1000000)
        return -ESRCH;
    return vm_serial::send(int(id), bytes, count);
}

int64_t syscall_vm_attach(const SyscallArguments& arguments)
{
    int64_t id = int64_t(arguments.value[0]);
    if (id <= 0 || id > 1000000)
        return -ESRCH;
    return vm_serial::attach(int(id));
}

int64_t syscall_vm_screen(const SyscallArguments& arguments)
{
    static_assert(Vm::SCREEN_TEXT_LENGTH == VM_SCREEN_TEXT_MAX);
    int64_t id = int64_t(arguments.value[0]);
    uint64_t address = arguments.value[1];
    size_t capacity = size_t(arguments.value[2]);
    static char text[Vm::SCREEN_TEXT_LENGTH]; /* too large for a kernel stack; calls serialised below */
    static Mutex screen_lock("vm_screen text");
    MutexLocker lock(screen_lock);
    size_t length = 0;
    {
        /* A VM that ended keeps its record (and its kept screen) until its slot
         * is reused, which takes the table lock: interrupts off holds that off
         * here, and the VM's thread cannot give its RAM back meanwhile. */
        InterruptGuard guard;
        Vm* vm = id > 0 && id <= 1000000 ? vm_manager::find(int(id)) : nullptr;
        if (!vm)
            return -ESRCH;
        length = vm->screen_text(text);
    }
    if (capacity < length)
        return -ERANGE;
    if (length && user_memory::copy_to(address, text, length).is_error())
        return -EFAULT;
    return int64_t(length);
}

int64_t syscall_vm_keys(const SyscallArguments& arguments)
{
    int64_t id = int64_t(arguments.value[0]);
    size_t count = size_t(arguments.value[2]);
    if (count > VM_KEYS_MAX)
        return -E2BIG;
    uint8_t bytes[VM_KEYS_MAX];
    if (count && user_memory::copy_from(bytes, arguments.value[1], count).is_error())
        return -EFAULT;
    InterruptGuard guard;
    Vm* vm = id > 0 && id <= 1000000 ? vm_manager::find(int(id)) : nullptr;
    if (!vm || vm->ended() || !vm->has_platform())
        return -ESRCH;
    size_t queued = vm->platform().type_keys(bytes, count);
    if (queued == 0 && count > 0)
        return -EAGAIN;
    return int64_t(queued);
}
