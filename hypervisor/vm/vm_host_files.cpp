/* The host files a VM is made of; see vm_host_files.h. */
#include "hypervisor/vm/vm_host_files.h"

#include "abi/errno.h"
#include "abi/fcntl.h"
#include "console/log.h"
#include "fs/file_descriptor_table.h"
#include "fs/kernel_vfs.h"
#include "fs/vfs_syscall.h"
#include "hypervisor/hypercall/file_server.h"
#include "hypervisor/vm/vm.h"

namespace vm_manager {

namespace {

/* Files larger than this are no kernel a VM could boot (and would strain the heap). */
constexpr uint64_t MAX_FILE_SIZE = 64ull << 20;

/* What is wrong with a disk file, for the person who named it. */
const char* disk_problem(int error)
{
    switch (error) {
    case ENOENT: return "no such file";
    case EISDIR: return "is a directory, not a disk image";
    default: return "is not a file of the root file system of at least one 512-byte sector";
    }
}

} // namespace

Result<void> read_file(const char* path, File& file, Failure& why)
{
    FileDescriptorTable files;
    VfsSyscall vfs(kernel_vfs::context(), files);
    Result<int> fd = vfs.open(path, O_RDONLY);
    if (fd.is_error())
        return why.set(ENOENT, "cannot open %s: %s", path, errno_name(fd.error()));
    struct stat status;
    if (vfs.fstat(fd.value(), status).is_error() || S_ISDIR(status.st_mode))
        return why.set(ENOENT, "%s is not a regular file", path);
    if (status.st_size > MAX_FILE_SIZE)
        return why.set(EINVAL, "%s is too large (%lu bytes) to be a kernel", path, uint64_t(status.st_size));
    file.size = size_t(status.st_size);
    file.bytes = static_cast<uint8_t*>(kmalloc(file.size ? file.size : 1));
    if (!file.bytes)
        return why.set(ENOMEM, "out of host memory reading %s", path);
    Result<size_t> got = vfs.read(fd.value(), file.bytes, file.size);
    if (got.is_error() || got.value() != file.size)
        return why.set(EIO, "reading %s failed", path);
    return {};
}

void release_files(Vm& vm)
{
    if (!vm.files)
        return;
    /* What the guest asked through its file request ring, for whoever reads the log. */
    if (FileRing& ring = vm.files->ring(); ring.requests_served())
        log(LogCategory::hypercall, "vm%d file ring: %lu requests, %lu bytes", vm.id(), ring.requests_served(),
            ring.bytes_moved());
    MutexLocker locker(kernel_vfs::lock());
    delete vm.files;
    vm.files = nullptr;
}

void release_disks(Vm& vm)
{
    MutexLocker locker(kernel_vfs::lock());
    for (HostDisk& disk : vm.disks)
        disk.close_locked();
}

Result<void> check_disks(const StartRequest& request, Failure& why)
{
    for (size_t unit = 0; unit < MAX_DISKS; ++unit) {
        const char* path = request.disks[unit];
        if (!path || !path[0])
            continue;
        Result<uint64_t> sectors = HostDisk::check(path);
        if (sectors.is_error())
            return why.set(sectors.error() == ENOENT ? ENOENT : EINVAL, "disk %s: %s", path,
                           disk_problem(sectors.error()));
    }
    return {};
}

Result<void> attach_disks(Vm& vm, const StartRequest& request, Failure& why)
{
    for (size_t unit = 0; unit < MAX_DISKS; ++unit) {
        const char* path = request.disks[unit];
        if (!path || !path[0])
            continue;
        Result<void> opened = vm.disks[unit].open(path, vm.storage);
        if (opened.is_error())
            return why.set(EINVAL, "disk %s: %s", path, disk_problem(opened.error()));
        vm.platform().attach_disk(unsigned(unit), vm.disks[unit], request.disk_read_only[unit]);
    }
    return {};
}

} // namespace vm_manager
