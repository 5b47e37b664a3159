/* bench_host_guest: runs bench_compare on the host, then in a guest of our own
 * kernel, for the guest-against-host figures of `make bench` (run=/bin/bench_host_guest,
 * tools/bench/run_all.py). Both sides run the program from a ramfs:
 *   on the host (no Matryoshka hypervisor below): /bin/bench_compare /bench, then
 *     a 32 MiB guest of /boot/kernel with "hostfs=/mnt run=/mnt/bin/bench_host_guest",
 *     waited for; the guest's lines reach the host's log as "[vm1] ...";
 *   in that guest (CPUID leaf 0x40000000 says "SWEB"): the host's
 *     /mnt/bin/bench_compare copied into the guest's own ramfs as
 *     /bench/bench_compare first, then run from there with /bench.
 * Exits 0 when every side ran to the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/hypercall.h"
#include "abi/vm.h"

namespace {

const char* const WORK_DIRECTORY = "/bench";
const char* const HOST_PROGRAM = "/bin/bench_compare";
const char* const HOSTFS_PROGRAM = "/mnt/bin/bench_compare";
const char* const GUEST_PROGRAM = "/bench/bench_compare";
const char* const GUEST_KERNEL = "/boot/kernel";
const char* const GUEST_CMDLINE = "hostfs=/mnt run=/mnt/bin/bench_host_guest";
constexpr uint64_t GUEST_MIB = 32;
/* How often the host looks whether the guest has ended: seldom, since every
 * look takes host CPU time from the guest being measured. */
constexpr uint64_t POLL_MS = 500;

bool under_matryoshka()
{
    uint32_t eax = HYPERVISOR_CPUID_BASE, ebx, ecx = 0, edx;
    asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    return ebx == HYPERVISOR_SIGNATURE_EBX && ecx == HYPERVISOR_SIGNATURE_EBX && edx == HYPERVISOR_SIGNATURE_EBX;
}

bool make_work_directory()
{
    if (mkdir(WORK_DIRECTORY) < 0 && errno != EEXIST) {
        printf("bench_host_guest: cannot make %s: %s\n", WORK_DIRECTORY, strerror(errno));
        return false;
    }
    return true;
}

bool run_compare(const char* program)
{
    char* argv[] = {const_cast<char*>(program), const_cast<char*>(WORK_DIRECTORY), nullptr};
    pid_t child = spawn(program, argv, nullptr);
    if (child < 0) {
        printf("bench_host_guest: cannot start %s: %s\n", program, strerror(errno));
        return false;
    }
    int status = 0;
    return wait(child, &status) == child && status == 0;
}

bool copy_file(const char* from_path, const char* to_path)
{
    int from = open(from_path, O_RDONLY);
    if (from < 0) {
        printf("bench_host_guest: cannot open %s: %s\n", from_path, strerror(errno));
        return false;
    }
    int to = open(to_path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (to < 0) {
        printf("bench_host_guest: cannot create %s: %s\n", to_path, strerror(errno));
        close(from);
        return false;
    }
    static char buffer[16384];
    bool ok = true;
    for (;;) {
        ssize_t got = read(from, buffer, sizeof(buffer));
        if (got <= 0) {
            ok = got == 0;
            break;
        }
        if (write(to, buffer, size_t(got)) != got) {
            ok = false;
            break;
        }
    }
    close(from);
    close(to);
    return ok;
}

/* The guest ends by powering off after its run= (state stopped); it is waited
 * for by polling, as `vm wait` does. */
bool run_guest()
{
    VmStartRequest request = {};
    strcpy(request.path, GUEST_KERNEL);
    strcpy(request.cmdline, GUEST_CMDLINE);
    request.memory_mib = GUEST_MIB;
    int id = vm_start(&request);
    if (id < 0) {
        printf("bench_host_guest: cannot start the guest: %s\n", request.error[0] ? request.error : strerror(errno));
        return false;
    }
    for (;;) {
        sleep_ms(POLL_MS);
        VmInfo vms[8];
        int count = vm_list(vms, 8);
        for (int i = 0; i < count && i < 8; ++i) {
            if (vms[i].id == id && vms[i].state != VM_RUNNING) {
                printf("bench_host_guest: vm%d ended: %s\n", id, vms[i].reason);
                return vms[i].state == VM_STOPPED;
            }
        }
        if (count < 0)
            return false;
    }
}

} // namespace

int main()
{
    if (!make_work_directory())
        return 1;
    if (under_matryoshka())
        return copy_file(HOSTFS_PROGRAM, GUEST_PROGRAM) && run_compare(GUEST_PROGRAM) ? 0 : 1;
    return run_compare(HOST_PROGRAM) && run_guest() ? 0 : 1;
}
