/* In-kernel tests of a VM's confinement, from the host's side (set "confine";
 * docs/hypercalls.md, "Confinement" and "What a VM may change"): the host starts
 * guests of its own kernel that run the guest set "guestconfine"
 * (kernel/fs/hypercall_confine_test.cpp, hypercall_fuzz_test.cpp) and
 * checks afterwards that no host file outside what each VM may change changed.
 * Skips without VMX. */
#include "abi/fcntl.h"
#include "fs/kernel_vfs.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vmx/vmx_support.h"
#include "lib/format.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

constexpr const char* HELLO_TEXT = "a host file the VMs must leave alone\n";

struct HostFiles {
    FileDescriptorTable table;
    VfsSyscall sys{kernel_vfs::context(), table};

    void put(const char* path, const char* text)
    {
        Result<int> fd = sys.open(path, O_WRONLY | O_CREAT | O_TRUNC);
        if (fd.is_error())
            return;
        (void)sys.write(fd.value(), text, strlen(text));
        (void)sys.close(fd.value());
    }
    bool exists(const char* path)
    {
        struct stat status;
        return !sys.stat(path, status).is_error();
    }
    /* FNV-1a of a whole file; 0 when it cannot be read. */
    uint64_t digest(const char* path)
    {
        Result<int> fd = sys.open(path, O_RDONLY);
        if (fd.is_error())
            return 0;
        uint64_t hash = 0xCBF29CE484222325ull;
        static uint8_t buffer[4096];
        for (;;) {
            Result<size_t> got = sys.read(fd.value(), buffer, sizeof(buffer));
            if (got.is_error() || got.value() == 0)
                break;
            for (size_t i = 0; i < got.value(); ++i)
                hash = (hash ^ buffer[i]) * 0x100000001B3ull;
        }
        (void)sys.close(fd.value());
        return hash;
    }
    bool holds(const char* path, const char* text)
    {
        char buffer[128] = {};
        Result<int> fd = sys.open(path, O_RDONLY);
        if (fd.is_error())
            return false;
        Result<size_t> got = sys.read(fd.value(), buffer, sizeof(buffer) - 1);
        (void)sys.close(fd.value());
        return !got.is_error() && __builtin_strcmp(buffer, text) == 0;
    }
};

int start(TestContext& t, const char* root, const char* writable, const char* cmdline)
{
    vm_manager::StartRequest request;
    request.path = "/boot/kernel";
    request.memory_mib = 16;
    request.root = root;
    request.writable = writable;
    request.cmdline = cmdline;
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok())
        t.fail("vm start (root %s): %s", root, started.error);
    return started.id;
}

/* Waits for VM `id` and expects its guest tests to have passed (exit status 0). */
void expect_passed(TestContext& t, int id)
{
    if (id <= 0)
        return;
    vm_manager::wait(id);
    Vm* vm = vm_manager::find(id);
    if (vm->state() != VmRunState::stopped || vm->exit_status() != 0)
        t.fail("vm%d ended %s with status %d: %s", id, vm_state_name(vm->state()), vm->exit_status(), vm->stop_reason());
}

bool wait_for(HostFiles& files, const char* path)
{
    uint64_t deadline = clock::nanoseconds() + 120000 * clock::NS_PER_MS;
    for (;;) {
        {
            MutexLocker locker(kernel_vfs::lock());
            if (files.exists(path))
                return true;
        }
        if (clock::nanoseconds() > deadline)
            return false;
        Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    }
}

} // namespace

KERNEL_TEST(confine, renames_by_an_outer_vm_or_the_host_do_not_free_a_vm)
{
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    HostFiles files;
    {
        MutexLocker locker(kernel_vfs::lock());
        for (const char* directory : {"/confine", "/confine/sub", "/confine/sub/dev", "/confine2", "/confine2/sub",
                                      "/confine2/sub/dev"})
            (void)files.sys.mkdir(directory);
        files.put("/confine/hello.txt", HELLO_TEXT);
        files.put("/confine2/hello.txt", HELLO_TEXT);
    }
    /* Nested: the outer VM's root holds the inner one's. */
    int outer = start(t, "/confine", "/confine", "test=guestconfine escape_role=outer");
    int inner = start(t, "/confine/sub", "/confine/sub", "test=guestconfine escape_role=inner");
    expect_passed(t, outer);
    expect_passed(t, inner);
    /* Then one whose directory the host itself moves away, as a host program's
     * rename() would (the same VfsSyscall::rename in the host's context). */
    int alone = start(t, "/confine2/sub", "/confine2/sub", "test=guestconfine escape_role=inner");
    EXPECT(wait_for(files, "/confine2/sub/ready"));
    {
        MutexLocker locker(kernel_vfs::lock());
        EXPECT(!files.sys.rename("/confine2/sub/deep", "/confine2/deep_out").is_error());
        files.put("/confine2/sub/gone", "");
    }
    expect_passed(t, alone);
    MutexLocker locker(kernel_vfs::lock());
    for (const char* top : {"/confine", "/confine2"}) {
        char path[64];
        format_string(path, sizeof(path), "%s/hello.txt", top);
        EXPECT(files.holds(path, HELLO_TEXT));
        for (const char* stray : {"/escape", "/escaped.txt", "/stolen"}) {
            format_string(path, sizeof(path), "%s%s", top, stray);
            EXPECT(!files.exists(path));
            EXPECT(!files.exists(stray));
        }
        format_string(path, sizeof(path), "%s/deep_out/mine.txt", top);
        EXPECT(files.holds(path, "x"));
    }
}

KERNEL_TEST(confine, default_export_is_read_only_but_shared_and_fuzzing_harms_nothing)
{
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    HostFiles files;
    constexpr const char* PROTECTED[] = {"/bin/ls", "/bin/sh", "/boot/kernel", "/etc/motd"};
    uint64_t before[4];
    {
        MutexLocker locker(kernel_vfs::lock());
        for (size_t i = 0; i < 4; ++i)
            before[i] = files.digest(PROTECTED[i]);
        (void)files.sys.mkdir("/fuzz");
        (void)files.sys.mkdir("/fuzz/sub");
        files.put("/fuzz/hello.txt", HELLO_TEXT);
    }
    /* The default root (the host's /) and writable directory (/shared). */
    expect_passed(t, start(t, vm_manager::DEFAULT_ROOT, vm_manager::DEFAULT_WRITABLE, "test=guestconfine"));
    /* The fuzzer owns every handle (hostfs=off) and may change only /fuzz. */
    expect_passed(t, start(t, "/fuzz", "/fuzz", "test=guestconfine hostfs=off fuzz_seed=1 fuzz_rounds=3"));
    MutexLocker locker(kernel_vfs::lock());
    for (size_t i = 0; i < 4; ++i)
        EXPECT_EQ(files.digest(PROTECTED[i]), before[i]);
    EXPECT(!files.exists("/shared/export_test.txt"));
    EXPECT(!files.exists("/evil"));
    EXPECT(files.exists("/shared"));
}
