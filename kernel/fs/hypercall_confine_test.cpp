/* In-kernel tests of what a VM may reach and change on the host, for a kernel
 * running as a guest of its own hypervisor (docs/hypercalls.md, "Confinement"
 * and "What a VM may change"); they skip on bare metal. The host's test set
 * "confine" (hypervisor/hypercall/confine_test.cpp) starts the VMs and checks the
 * host's files afterwards.
 * Set "guestconfine":
 *   export_*: with the default root (the host's /) the host's programs and
 *     kernel are read-only (EROFS, bytes unchanged), /shared is writable.
 *   escape_*: escape_role=inner holds a directory handle on deep/ of its
 *     root, says "ready", and once someone (escape_role=outer, a VM whose root
 *     holds ours, or the host itself) has renamed deep/ out of its root and said
 *     "gone", tries every way up and out from that handle. */
#include "abi/fcntl.h"
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "boot/boot.h"
#include "boot/cmdline.h"
#include "fs/hypercall_fs.h"
#include "fs/kernel_vfs.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

int64_t call(uint64_t number, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0)
{
    return int64_t(cpu::vmcall(number, rbx, rcx, rdx, rsi));
}

uint64_t address(const void* pointer) { return reinterpret_cast<uint64_t>(pointer); }

int64_t open_at(uint64_t at, const char* path, uint64_t flags)
{
    return call(HYPERCALL_FILE_OPEN, at, address(path), flags, 0644);
}

bool exists(const char* path)
{
    struct stat status {};
    return call(HYPERCALL_FILE_STAT, HYPERCALL_FILE_ROOT, address(path), address(&status)) == 0;
}

/* Makes an empty file `path` (a marker another party waits for). */
bool mark(const char* path)
{
    int64_t handle = open_at(HYPERCALL_FILE_ROOT, path, O_WRONLY | O_CREAT);
    return handle >= 0 && call(HYPERCALL_FILE_CLOSE, uint64_t(handle)) == 0;
}

/* Waits up to a minute of guest time for `path` to appear. */
bool wait_for(const char* path)
{
    uint64_t deadline = clock::nanoseconds() + 60000 * clock::NS_PER_MS;
    while (!exists(path)) {
        if (clock::nanoseconds() > deadline)
            return false;
        Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    }
    return true;
}

/* FNV-1a over a whole host file read through the hypercalls, -errno on failure. */
struct Digest {
    int64_t error = 0;
    uint64_t size = 0;
    uint64_t hash = 0xCBF29CE484222325ull;
};

Digest digest(const char* path)
{
    Digest d;
    int64_t handle = open_at(HYPERCALL_FILE_ROOT, path, O_RDONLY);
    if (handle < 0) {
        d.error = handle;
        return d;
    }
    static uint8_t buffer[64 * 1024];
    for (;;) {
        int64_t got = call(HYPERCALL_FILE_READ, uint64_t(handle), address(buffer), sizeof(buffer), d.size);
        if (got <= 0) {
            d.error = got;
            break;
        }
        for (int64_t i = 0; i < got; ++i)
            d.hash = (d.hash ^ buffer[i]) * 0x100000001B3ull;
        d.size += uint64_t(got);
    }
    (void)call(HYPERCALL_FILE_CLOSE, uint64_t(handle));
    return d;
}

bool skip_unless_guest(TestContext& t)
{
    if (!HypercallFs::available()) {
        t.skip("not running under the Matryoshka hypervisor with files");
        return true;
    }
    return false;
}

bool has_role(const char* role)
{
    CommandLine cmdline(boot_info().cmdline);
    char value[16];
    return cmdline.value("escape_role", value, sizeof(value)) && __builtin_strcmp(value, role) == 0;
}

} // namespace

KERNEL_TEST(guestconfine, export_host_programs_and_kernel_are_read_only)
{
    if (skip_unless_guest(t))
        return;
    if (!exists("/boot/kernel") || !exists("/shared")) {
        t.skip("the VM's root is not the host's /");
        return;
    }
    static const char EVIL[] = "#!/bin/evil\n";
    for (const char* path : {"/bin/ls", "/bin/sh", "/boot/kernel"}) {
        Digest before = digest(path);
        EXPECT_EQ(before.error, 0);
        EXPECT(before.size > 0);
        for (uint64_t flags : {O_WRONLY | O_TRUNC, O_RDWR, O_WRONLY | O_CREAT, O_WRONLY | O_APPEND})
            EXPECT_EQ(open_at(HYPERCALL_FILE_ROOT, path, flags), -int64_t(EROFS));
        EXPECT_EQ(call(HYPERCALL_FILE_TRUNCATE, HYPERCALL_FILE_ROOT, address(path), 0), -int64_t(EROFS));
        EXPECT_EQ(call(HYPERCALL_FILE_UNLINK, HYPERCALL_FILE_ROOT, address(path)), -int64_t(EROFS));
        EXPECT_EQ(call(HYPERCALL_FILE_RENAME, HYPERCALL_FILE_ROOT, address("/bin/echo"), HYPERCALL_FILE_ROOT, address(path)),
                  -int64_t(EROFS));
        /* Read-only stays read-only. */
        int64_t reader = open_at(HYPERCALL_FILE_ROOT, path, O_RDONLY);
        EXPECT(reader >= 0);
        EXPECT_EQ(call(HYPERCALL_FILE_WRITE, uint64_t(reader), address(EVIL), sizeof(EVIL) - 1, 0), -int64_t(EBADF));
        EXPECT_EQ(call(HYPERCALL_FILE_FTRUNCATE, uint64_t(reader), 0), -int64_t(EBADF));
        (void)call(HYPERCALL_FILE_CLOSE, uint64_t(reader));
        /* Through our own VFS (what `cp /bin/echo /bin/ls` in the guest's shell does). */
        {
            MutexLocker locker(kernel_vfs::lock());
            FileDescriptorTable table;
            VfsSyscall sys(kernel_vfs::context(), table);
            EXPECT_EQ(sys.open(path, O_WRONLY | O_CREAT | O_TRUNC).error(), EROFS);
            Result<int> fd = sys.open(path, O_WRONLY);
            if (!fd.is_error()) {
                EXPECT_EQ(sys.write(fd.value(), EVIL, sizeof(EVIL) - 1).error(), EROFS);
                (void)sys.close(fd.value());
            }
        }
        Digest after = digest(path);
        EXPECT_EQ(after.size, before.size);
        EXPECT_EQ(after.hash, before.hash);
    }
    EXPECT_EQ(call(HYPERCALL_FILE_MKDIR, HYPERCALL_FILE_ROOT, address("/evil"), 0755), -int64_t(EROFS));
    EXPECT_EQ(call(HYPERCALL_FILE_RMDIR, HYPERCALL_FILE_ROOT, address("/shared")), -int64_t(EROFS));
    EXPECT_EQ(call(HYPERCALL_FILE_RENAME, HYPERCALL_FILE_ROOT, address("/shared"), HYPERCALL_FILE_ROOT, address("/s")),
              -int64_t(EROFS));
}

KERNEL_TEST(guestconfine, export_shared_is_writable)
{
    if (skip_unless_guest(t))
        return;
    if (!exists("/shared")) {
        t.skip("the VM's root has no /shared");
        return;
    }
    static const char TEXT[] = "written by the guest in /shared\n";
    int64_t handle = open_at(HYPERCALL_FILE_ROOT, "/shared/export_test.txt", O_RDWR | O_CREAT | O_TRUNC);
    EXPECT(handle >= 0);
    EXPECT_EQ(call(HYPERCALL_FILE_WRITE, uint64_t(handle), address(TEXT), sizeof(TEXT) - 1, 0), int64_t(sizeof(TEXT) - 1));
    char back[sizeof(TEXT)] = {};
    EXPECT_EQ(call(HYPERCALL_FILE_READ, uint64_t(handle), address(back), sizeof(back), 0), int64_t(sizeof(TEXT) - 1));
    EXPECT(__builtin_strcmp(back, TEXT) == 0);
    (void)call(HYPERCALL_FILE_CLOSE, uint64_t(handle));
    EXPECT_EQ(call(HYPERCALL_FILE_MKDIR, HYPERCALL_FILE_ROOT, address("/shared/export_dir"), 0755), 0);
    EXPECT_EQ(call(HYPERCALL_FILE_RENAME, HYPERCALL_FILE_ROOT, address("/shared/export_test.txt"), HYPERCALL_FILE_ROOT,
                   address("/shared/export_dir/moved.txt")),
              0);
    EXPECT_EQ(call(HYPERCALL_FILE_RENAME, HYPERCALL_FILE_ROOT, address("/shared/export_dir/moved.txt"),
                   HYPERCALL_FILE_ROOT, address("/moved.txt")),
              -int64_t(EROFS));
    EXPECT_EQ(call(HYPERCALL_FILE_UNLINK, HYPERCALL_FILE_ROOT, address("/shared/export_dir/moved.txt")), 0);
    EXPECT_EQ(call(HYPERCALL_FILE_RMDIR, HYPERCALL_FILE_ROOT, address("/shared/export_dir")), 0);
}

KERNEL_TEST(guestconfine, escape_a_directory_moved_out_of_the_root_leads_nowhere)
{
    if (skip_unless_guest(t))
        return;
    if (has_role("outer")) {
        /* Our root holds the inner VM's root sub/: move its deep/ up to us. */
        EXPECT(wait_for("/sub/ready"));
        EXPECT_EQ(call(HYPERCALL_FILE_RENAME, HYPERCALL_FILE_ROOT, address("/sub/deep"), HYPERCALL_FILE_ROOT,
                       address("/deep_out")),
                  0);
        EXPECT(mark("/sub/gone"));
        EXPECT(wait_for("/sub/done"));
        return;
    }
    if (!has_role("inner")) {
        t.skip("no escape_role on the command line");
        return;
    }
    EXPECT_EQ(call(HYPERCALL_FILE_MKDIR, HYPERCALL_FILE_ROOT, address("/deep"), 0755), 0);
    int64_t held = open_at(HYPERCALL_FILE_ROOT, "/deep", O_RDONLY | O_DIRECTORY);
    EXPECT(held >= 0);
    int64_t file = open_at(HYPERCALL_FILE_ROOT, "/deep/mine.txt", O_RDWR | O_CREAT);
    EXPECT(file >= 0);
    EXPECT_EQ(call(HYPERCALL_FILE_WRITE, uint64_t(file), address("x"), 1, 0), 1);
    EXPECT(mark("/ready"));
    EXPECT(wait_for("/gone"));
    /* deep/ now lies beside our root (or anywhere else on the host). */
    for (const char* path : {"..", "../..", "../../..", "../hello.txt", "../../etc/motd", "../sub", "mine.txt", "."}) {
        EXPECT_EQ(open_at(uint64_t(held), path, O_RDONLY), -int64_t(ENOENT));
        EXPECT_EQ(open_at(uint64_t(held), path, O_RDWR), -int64_t(ENOENT));
        struct stat status {};
        EXPECT_EQ(call(HYPERCALL_FILE_STAT, uint64_t(held), address(path), address(&status)), -int64_t(ENOENT));
    }
    EXPECT_EQ(open_at(uint64_t(held), "../escaped.txt", O_RDWR | O_CREAT), -int64_t(ENOENT));
    EXPECT_EQ(call(HYPERCALL_FILE_MKDIR, uint64_t(held), address("../escape"), 0755), -int64_t(ENOENT));
    EXPECT_EQ(call(HYPERCALL_FILE_UNLINK, uint64_t(held), address("../hello.txt")), -int64_t(ENOENT));
    EXPECT_EQ(call(HYPERCALL_FILE_TRUNCATE, uint64_t(held), address("../hello.txt"), 0), -int64_t(ENOENT));
    EXPECT_EQ(call(HYPERCALL_FILE_RENAME, uint64_t(held), address("../hello.txt"), HYPERCALL_FILE_ROOT, address("/stolen")),
              -int64_t(ENOENT));
    /* What was open stays usable: the file reads, the handle fstats; but the file
     * left our writable directory with deep/, so it no longer takes writes. */
    char back[2] = {};
    EXPECT_EQ(call(HYPERCALL_FILE_READ, uint64_t(file), address(back), 1, 0), 1);
    EXPECT_EQ(back[0], 'x');
    EXPECT_EQ(call(HYPERCALL_FILE_WRITE, uint64_t(file), address("y"), 1, 0), -int64_t(EROFS));
    struct stat status {};
    EXPECT_EQ(call(HYPERCALL_FILE_FSTAT, uint64_t(held), address(&status)), 0);
    EXPECT(!exists("/deep"));
    (void)call(HYPERCALL_FILE_CLOSE, uint64_t(file));
    (void)call(HYPERCALL_FILE_CLOSE, uint64_t(held));
    EXPECT(mark("/done"));
}
