/* In-kernel test of a VM's storage quota and the file attacks of issue #13 from a
 * guest (set "fs_attack", run in Bochs by tests/system/test_fs_attack.py): our
 * own kernel runs /bin/fs_attack in a VM whose root is /attack, with a 4 MiB and
 * 64-file quota. The guest's own PASS/FAIL lines are relayed; here the host checks
 * that it survived, that the guest's files landed in /attack and nowhere else,
 * that the one file the guest left stays charged to the ended VM, and that free
 * plus heap pages are back but for that file's two pages. Skips without VMX. */
#include "abi/fcntl.h"
#include "fs/kernel_vfs.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vmx/vmx_support.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "test/kernel_test.h"

namespace {

constexpr const char* ROOT = "/attack";
constexpr uint64_t QUOTA_BYTES = 4 << 20;
constexpr uint64_t QUOTA_FILES = 64;
constexpr const char* MARKER_TEXT = "fs_attack was here\n";

/* What a VM can take from the host: pages outside the heap, or the heap's growth. */
int64_t free_plus_heap_pages()
{
    return int64_t(PageManager::instance().free_page_count() + kernel_heap::stats().region_bytes / PAGE_SIZE);
}

bool exists(VfsSyscall& sys, const char* path)
{
    struct stat status;
    return !sys.stat(path, status).is_error();
}

} // namespace

KERNEL_TEST(fs_attack, guest_attacks_stay_in_its_root_and_quota)
{
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    FileDescriptorTable files;
    VfsSyscall sys(kernel_vfs::context(), files);
    {
        /* The guest mounts its terminals on /dev of its root: made by the host
         * (uncharged) so that the guest's files are fs_attack's alone. */
        MutexLocker locker(kernel_vfs::lock());
        (void)sys.mkdir("/attack/dev");
    }
    int64_t pages_before = free_plus_heap_pages();

    vm_manager::StartRequest request;
    request.path = "/boot/kernel";
    request.memory_mib = 16;
    request.cmdline = "run=/bin/fs_attack";
    request.root = ROOT;
    request.writable = ROOT; /* the whole root is the guest's to change */
    request.quota_bytes = QUOTA_BYTES;
    request.quota_files = QUOTA_FILES;
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
    Result<int> fd = sys.open("/attack/fs_attack_marker", O_RDONLY);
    EXPECT(!fd.is_error());
    if (!fd.is_error()) {
        EXPECT(!sys.read(fd.value(), text, sizeof(text) - 1).is_error());
        EXPECT(strcmp(text, MARKER_TEXT) == 0);
        EXPECT(!sys.close(fd.value()).is_error());
    }
    /* Nothing landed outside the root, nothing is left inside but the marker. */
    EXPECT(!exists(sys, "/fs_attack_marker"));
    EXPECT(!exists(sys, "/fs_attack"));
    EXPECT(!exists(sys, "/attack/fs_attack"));
    EXPECT(exists(sys, "/attack/bin/fs_attack"));
    /* The marker outlives the VM and stays charged to it: one file, its data page
     * and the leaf that locates it. */
    EXPECT(vm->storage);
    if (vm->storage) {
        EXPECT_EQ(vm->storage->files_used(), uint64_t(1));
        EXPECT_EQ(vm->storage->bytes_used(), uint64_t(2 * PAGE_SIZE));
        EXPECT_EQ(vm->storage->byte_limit(), QUOTA_BYTES);
        EXPECT_EQ(vm->storage->file_limit(), QUOTA_FILES);
    }
    VmInfo listed[vm_manager::MAX_VMS] = {};
    size_t count = vm_manager::list(listed, vm_manager::MAX_VMS);
    bool shown = false;
    for (size_t i = 0; i < count && i < vm_manager::MAX_VMS; ++i) {
        if (listed[i].id == started.id)
            shown = listed[i].quota_files_used == 1 && listed[i].quota_files == QUOTA_FILES &&
                    listed[i].quota_bytes_used == 2 * PAGE_SIZE && listed[i].quota_bytes == QUOTA_BYTES;
    }
    EXPECT(shown);
    EXPECT_EQ(free_plus_heap_pages(), pages_before - 2);
    /* Removing the marker gives its pages back and the VM's charge with them. */
    EXPECT(!sys.unlink("/attack/fs_attack_marker").is_error());
    EXPECT_EQ(free_plus_heap_pages(), pages_before);
    if (vm->storage)
        EXPECT_EQ(vm->storage->files_used() + vm->storage->bytes_used(), uint64_t(0));
}
