/* In-kernel test of the paravirtual file system from the host's side (set
 * "pvfs"): the host gives a VM of its own kernel a root directory with a file in
 * it, the guest runs its "hostfs" tests there (kernel/fs/hypercall_fs_test.cpp),
 * and the host then reads what the guest wrote and checks that the VM's file
 * server and every host file it held are gone. Skips without VMX. */
#include "abi/fcntl.h"
#include "fs/kernel_vfs.h"
#include "hypervisor/hypercall/file_server.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vmx/vmx_support.h"
#include "lib/string.h"
#include "test/kernel_test.h"

namespace {

constexpr const char* ROOT = "/pvfs_test";
constexpr const char* FROM_HOST_TEXT = "written by the host\n";
constexpr const char* FROM_GUEST_TEXT = "written by the guest\n";

void prepare_root(VfsSyscall& sys)
{
    (void)sys.mkdir(ROOT);
    /* The guest mounts its terminals there; made now, so the guest adds only its file. */
    (void)sys.mkdir("/pvfs_test/dev");
    (void)sys.unlink("/pvfs_test/from_guest.txt");
    Result<int> fd = sys.open("/pvfs_test/from_host.txt", O_WRONLY | O_CREAT | O_TRUNC);
    if (fd.is_error())
        return;
    (void)sys.write(fd.value(), FROM_HOST_TEXT, strlen(FROM_HOST_TEXT));
    (void)sys.close(fd.value());
}

} // namespace

KERNEL_TEST(pvfs, guest_kernel_reads_and_writes_host_files)
{
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    {
        MutexLocker locker(kernel_vfs::lock());
        prepare_root(sys);
    }
    size_t servers = FileServer::live_count();
    size_t inodes = kernel_vfs::root_file_system().inode_count();

    vm_manager::StartRequest request;
    request.path = "/boot/kernel";
    request.memory_mib = 32;
    request.cmdline = "test=hostfs";
    request.root = ROOT;
    request.writable = ROOT;
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok()) {
        t.fail("vm start: %s", started.error);
        return;
    }
    vm_manager::wait(started.id);
    Vm* vm = vm_manager::find(started.id);
    EXPECT(vm->state() == VmRunState::stopped && vm->exit_status() == 0);

    MutexLocker locker(kernel_vfs::lock());
    char text[64] = {};
    Result<int> fd = sys.open("/pvfs_test/from_guest.txt", O_RDONLY);
    EXPECT(!fd.is_error());
    if (!fd.is_error()) {
        EXPECT(!sys.read(fd.value(), text, sizeof(text) - 1).is_error());
        EXPECT(__builtin_strcmp(text, FROM_GUEST_TEXT) == 0);
        EXPECT(!sys.close(fd.value()).is_error());
    }
    /* The server went with the VM, and with it every host file it held: what
     * is left is the one file the guest wrote. */
    EXPECT_EQ(FileServer::live_count(), servers);
    EXPECT_EQ(kernel_vfs::root_file_system().inode_count(), inodes + 1);
}

KERNEL_TEST(pvfs, a_vm_root_must_be_a_directory_of_the_root_file_system)
{
    vm_manager::StartRequest request;
    request.path = "/boot/kernel";
    for (const char* bad : {"/nonexistent", "/etc/motd", "/dev"}) {
        request.root = bad;
        vm_manager::StartResult started = vm_manager::start(request);
        EXPECT(!started.ok());
        EXPECT(__builtin_memcmp(started.error, "VM root ", 8) == 0);
    }
}
