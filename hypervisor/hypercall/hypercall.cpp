/* Hypercalls of abi/hypercall.h, served for one VM; see hypercall.h. */
#include "hypervisor/hypercall/hypercall.h"

#include "abi/errno.h"
#include "abi/hypercall.h"
#include "console/log.h"
#include "fs/kernel_vfs.h"
#include "hypervisor/exercise.h"
#include "hypervisor/hypercall/file_server.h"
#include "hypervisor/devices/guest_text.h"
#include "hypervisor/vm/vm.h"
#include "lib/format.h"
#include "lib/string.h"
#include "time/clock.h"

namespace {

constexpr uint64_t error(int errno_value) { return uint64_t(-int64_t(errno_value)); }

/* Prints guest text as host lines "[vm1:hypercall] text", one per guest line, in
 * chunks so that no host buffer ever holds more than it can. */
uint64_t print(Vm& vm, uint64_t address, uint64_t length, guest_paging::GuestVirtualMemory& memory)
{
    if (length > HYPERCALL_PRINT_MAX)
        return error(EINVAL);
    char chunk[256];
    uint64_t done = 0;
    while (done < length) {
        size_t piece = length - done < sizeof(chunk) ? size_t(length - done) : sizeof(chunk);
        if (!memory.read(address + done, chunk, piece))
            return error(EFAULT);
        /* '\n' splits the text into host lines; every other unprintable byte is
         * shown as '?' (devices/guest_text.h says why). */
        for (size_t i = 0; i < piece; ++i)
            chunk[i] = chunk[i] == '\n' ? '\n' : devices::printable_guest_char(chunk[i]);
        size_t start = 0;
        for (size_t i = 0; i <= piece; ++i) {
            if (i == piece || chunk[i] == '\n') {
                if (i > start || (i < piece && chunk[i] == '\n'))
                    log(LogCategory::hypercall, "vm%d says: %.*s", vm.id(), int(i - start), chunk + start);
                start = i + 1;
            }
        }
        done += piece;
    }
    return length;
}

/* Copies a NUL-terminated guest string of at most size-1 characters. */
bool read_string(guest_paging::GuestVirtualMemory& memory, uint64_t address, char* out, size_t size)
{
    for (size_t i = 0; i < size; ++i) {
        if (!memory.read(address + i, &out[i], 1))
            return false;
        if (out[i] == '\0')
            return true;
    }
    return false; /* too long */
}

uint64_t test_report(Vm& vm, const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory)
{
    char name[HYPERCALL_NAME_MAX];
    char reason[HYPERCALL_NAME_MAX] = "";
    if (!read_string(memory, r.rbx, name, sizeof(name)))
        return error(EFAULT);
    if (r.rdx && !read_string(memory, r.rdx, reason, sizeof(reason)))
        return error(EFAULT);
    static const char* const outcomes[] = {"PASS", "FAIL", "SKIP"};
    if (r.rcx > 2)
        return error(EINVAL);
    devices::make_guest_text_printable(name, strnlen(name, sizeof(name)));
    devices::make_guest_text_printable(reason, strnlen(reason, sizeof(reason)));
    if (reason[0])
        log(LogCategory::hypercall, "vm%d %s: %s: %s", vm.id(), outcomes[r.rcx], name, reason);
    else
        log(LogCategory::hypercall, "vm%d %s: %s", vm.id(), outcomes[r.rcx], name);
    return 0;
}

/* A file hypercall: only the guest's kernel may make one (a guest user program
 * would otherwise reach past its own kernel to the host's files). The file
 * server works on the host's VFS, so it holds the file system lock. */
uint64_t file_call(Vm& vm, const HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory,
                   unsigned privilege_level)
{
    if (privilege_level != 0)
        return error(EPERM);
    if (!vm.files)
        return error(ENOSYS);
    // SOLUTION BEGIN 10
    MutexLocker locker(kernel_vfs::lock());
    return vm.files->serve(r, memory);
    // SOLUTION STUB 10: (void)r;
    // SOLUTION STUB 10: (void)memory;
    // SOLUTION STUB 10: log(LogCategory::hypercall, "vm%d: %s", vm.id(), MILESTONE_NOT_DONE(10, "serve the file hypercalls "
    // SOLUTION STUB 10:     "from the host's VFS under its lock (file_call, hypervisor/hypercall/hypercall.cpp)"));
    // SOLUTION STUB 10: return error(ENOSYS);
    // SOLUTION END 10
}

/* Serves ring requests one by one under the host's file system lock, taken for
 * each request rather than the whole notify, so that a ring of large transfers
 * cannot keep the host's programs and other VMs away from their files. */
class LockedFileServer final : public RingRequestServer {
public:
    explicit LockedFileServer(FileServer& files) : files_(files) {}
    uint64_t serve(const HypercallRegisters& request, guest_paging::GuestVirtualMemory& memory) override
    {
        MutexLocker locker(kernel_vfs::lock());
        return files_.serve(request, memory);
    }

private:
    FileServer& files_;
};

/* file_ring_setup and file_ring_notify: the same rights as the file calls they
 * carry. A guest that broke the ring's rules has its VM ended with the reason. */
HypercallOutcome ring_call(Vm& vm, HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory,
                           unsigned privilege_level)
{
    if (privilege_level != 0) {
        r.rax = error(EPERM);
        return HypercallOutcome::resume;
    }
    if (!vm.files) {
        r.rax = error(ENOSYS);
        return HypercallOutcome::resume;
    }
    FileRing& ring = vm.files->ring();
    if (r.rax == HYPERCALL_FILE_RING_SETUP) {
        Result<void> set = ring.set_up(r.rbx, r.rcx, vm.memory());
        r.rax = set.is_error() ? error(set.error()) : 0;
        return HypercallOutcome::resume;
    }
    LockedFileServer server(*vm.files);
    Failure why;
    Result<uint64_t> served = ring.notify(server, vm.memory(), memory, why);
    if (served.is_error() && why.errno_value) {
        vm.end(VmRunState::failed, 1, "%s", why.text);
        return HypercallOutcome::ended;
    }
    r.rax = served.is_error() ? error(served.error()) : served.value();
    return HypercallOutcome::resume;
}

} // namespace

bool hypervisor_cpuid_leaf(uint32_t leaf, CpuidLeaf& out)
{
    if (leaf == HYPERVISOR_CPUID_BASE) {
        out = {HYPERVISOR_CPUID_FEATURES, HYPERVISOR_SIGNATURE_EBX, HYPERVISOR_SIGNATURE_EBX, HYPERVISOR_SIGNATURE_EBX};
        return true;
    }
    if (leaf == HYPERVISOR_CPUID_FEATURES) {
        out = {HYPERCALL_ABI_VERSION, HYPERCALL_FEATURE_CONSOLE | HYPERCALL_FEATURE_TEST | HYPERCALL_FEATURE_FILES |
                                                  HYPERCALL_FEATURE_FILE_RING,
               uint32_t(clock::tsc_hz() / 1000), 0};
        return true;
    }
    if (leaf > HYPERVISOR_CPUID_FEATURES && leaf <= 0x4FFFFFFF) {
        out = {0, 0, 0, 0};
        return true;
    }
    return false;
}

HypercallOutcome handle_hypercall(Vm& vm, HypercallRegisters& r, guest_paging::GuestVirtualMemory& memory,
                                  unsigned privilege_level)
{
    uint64_t number = r.rax;
    switch (number) {
    case HYPERCALL_PING:
        r.rax = HYPERCALL_ABI_VERSION;
        r.rbx = r.rbx + 1;
        break;
    case HYPERCALL_PRINT: r.rax = print(vm, r.rbx, r.rcx, memory); break;
    case HYPERCALL_POWER_OFF:
        vm.end(VmRunState::stopped, int(r.rbx), "guest powered off with status %d (hypercall)", int(r.rbx));
        return HypercallOutcome::power_off;
    case HYPERCALL_TEST_REPORT: r.rax = test_report(vm, r, memory); break;
    case HYPERCALL_FILE_FIRST ... HYPERCALL_FILE_LAST: r.rax = file_call(vm, r, memory, privilege_level); break;
    case HYPERCALL_FILE_RING_SETUP:
    case HYPERCALL_FILE_RING_NOTIFY: return ring_call(vm, r, memory, privilege_level);
    default: r.rax = error(ENOSYS); break;
    }
    return HypercallOutcome::resume;
}
