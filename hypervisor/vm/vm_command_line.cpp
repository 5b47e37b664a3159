/* VMs named on the kernel command line; see vm_command_line.h. */
#include "hypervisor/vm/vm_command_line.h"

#include "abi/errno.h"
#include "boot/cmdline.h"
#include "console/log.h"
#include "hypervisor/vm/platform.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/bench/vm_bench.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vm/vm_report.h"
#include "hypervisor/nested/nested_option.h"
#include "lib/result.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace {

/* The number `key=` gives (decimal, 1 to `max`), `fallback` without it. A value
 * that is no such number (letters, a sign, more than fits) is refused with a
 * sentence quoting it, never read as another number. */
Result<uint64_t> number_option(const CommandLine& cmdline, const char* key, uint64_t max, uint64_t fallback)
{
    char text[64];
    if (!cmdline.value(key, text, sizeof(text)))
        return fallback;
    uint64_t value = 0;
    bool digits = text[0] != '\0';
    /* A value that filled the buffer was cut: it has more digits than any bound. */
    bool too_large = strlen(text) + 1 >= sizeof(text);
    for (const char* p = text; *p && digits; ++p) {
        uint64_t digit = uint64_t(*p - '0');
        if (*p < '0' || *p > '9')
            digits = false;
        else if (value > (max - digit) / 10)
            too_large = true;
        else
            value = value * 10 + digit;
    }
    if (!digits || value == 0) {
        log(LogCategory::vmx, "%s=%s is not a number from 1 to %lu: no VM started", key, text, max);
        return Error(EINVAL);
    }
    if (too_large) {
        log(LogCategory::vmx, "%s=%s is too large (at most %lu): no VM started", key, text, max);
        return Error(ERANGE);
    }
    return value;
}

bool all_ended(const int* ids, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        Vm* vm = vm_manager::find(ids[i]);
        if (vm && !vm->ended())
            return false;
    }
    return true;
}

/* The next comma-separated item of `list` (cut out in place); the previous one
 * again when the list is used up. */
const char* next_item(char*& list, const char* previous)
{
    if (!*list)
        return previous;
    char* item = list;
    char* end = item;
    while (*end && *end != ',')
        ++end;
    list = *end ? end + 1 : end;
    *end = '\0';
    return item;
}

/* The host's pages as the VMs leave them: free in the PageManager, and held by
 * the kernel heap. The heap grows while VMs run (their records, vCPU objects and
 * the kernel file read for each start) and never gives a page
 * back, so a VM that returned everything leaves free + heap exactly as it found
 * it: every page missing from the free count must be in the heap's growth. */
struct HostPages {
    int64_t free;
    int64_t heap;
};

HostPages host_pages()
{
    return {int64_t(PageManager::instance().free_page_count()), int64_t(kernel_heap::stats().region_bytes / PAGE_SIZE)};
}

void log_pages_after(const HostPages& before)
{
    HostPages after = host_pages();
    int64_t heap_growth = after.heap - before.heap;
    log(LogCategory::vmx, "free pages after VMs: %ld (heap grew by %ld pages)", after.free, heap_growth);
    log(LogCategory::vmx, "pages not returned by VMs: %ld", before.free - after.free - heap_growth);
}

/* vm_port80=exit: the POST port exits like every other port (the "before"
 * figure of the I/O bitmap benchmark); vm_port80=pass, the default, lets guests
 * write the host's port 0x80 directly (docs/devices.md, "Port 0x80"). */
void configure_port80(const CommandLine& cmdline)
{
    char choice[8] = "";
    if (!cmdline.value("vm_port80", choice, sizeof(choice)))
        return;
    if (strcmp(choice, "exit") == 0 || strcmp(choice, "pass") == 0)
        VirtualPlatform::set_exit_on_every_port(strcmp(choice, "exit") == 0);
    else
        log(LogCategory::vmx, "vm_port80=%s: expected exit or pass; port 0x80 stays as it was", choice);
}

} // namespace

bool run_vms_from_command_line(const CommandLine& cmdline)
{
    vm_report::configure(cmdline);
    configure_port80(cmdline);
    nested::configure(cmdline);
    if (run_vm_benchmarks_from_command_line(cmdline))
        return true;
    char paths[256];
    if (!cmdline.value("vm", paths, sizeof(paths)))
        return false;
    char guest_cmdline[128] = "";
    if (cmdline.value("vm_cmdline", guest_cmdline, sizeof(guest_cmdline))) {
        for (char* p = guest_cmdline; *p; ++p)
            *p = *p == '+' ? ' ' : *p;
    }
    /* vm_manager says what guest RAM it gives; this bound only keeps MiB << 20 in 64 bits. */
    Result<uint64_t> memory_mib = number_option(cmdline, "vm_mem", UINT64_MAX >> 20, vm_manager::DEFAULT_MEMORY_MIB);
    Result<uint64_t> timeout_ms = number_option(cmdline, "vm_timeout_ms", UINT64_MAX / clock::NS_PER_MS, 120000);
    Result<uint64_t> quota_bytes =
        number_option(cmdline, "vm_quota_bytes", UINT64_MAX, vm_manager::DEFAULT_QUOTA_BYTES);
    Result<uint64_t> quota_files =
        number_option(cmdline, "vm_quota_files", UINT64_MAX, vm_manager::DEFAULT_QUOTA_FILES);
    if (memory_mib.is_error() || timeout_ms.is_error() || quota_bytes.is_error() || quota_files.is_error())
        return true;
    char roots[256] = "";
    cmdline.value("vm_root", roots, sizeof(roots));
    char* next_root = roots;
    const char* root = vm_manager::DEFAULT_ROOT;
    char writables[256] = "";
    cmdline.value("vm_writable", writables, sizeof(writables));
    char* next_writable = writables;
    const char* writable = vm_manager::DEFAULT_WRITABLE;
    /* vm_vendor=sweb,native,...: per VM, whether CPUID leaf 0 answers "SWEBSWEBSWEB". */
    char vendors[128] = "";
    cmdline.value("vm_vendor", vendors, sizeof(vendors));
    char* next_vendor = vendors;
    const char* vendor = "native";

    char disks[256] = "";
    cmdline.value("vm_disk", disks, sizeof(disks));
    const char* disk_paths[vm_manager::MAX_DISKS] = {};
    bool disk_read_only[vm_manager::MAX_DISKS] = {};
    char* next_disk = disks;
    for (size_t unit = 0; unit < vm_manager::MAX_DISKS && *next_disk; ++unit) {
        char* disk = next_disk;
        while (*next_disk && *next_disk != ',')
            ++next_disk;
        if (*next_disk)
            *next_disk++ = '\0';
        size_t length = strlen(disk);
        if (length > 3 && strcmp(disk + length - 3, ":ro") == 0) {
            disk[length - 3] = '\0';
            disk_read_only[unit] = true;
        }
        disk_paths[unit] = strcmp(disk, "none") == 0 ? nullptr : disk;
    }

    HostPages before = host_pages();
    log(LogCategory::vmx, "free pages before VMs: %ld", before.free);
    int ids[vm_manager::MAX_VMS];
    size_t count = 0;
    for (char* path = paths; *path && count < vm_manager::MAX_VMS;) {
        char* end = path;
        while (*end && *end != ',')
            ++end;
        bool last = *end == '\0';
        *end = '\0';
        vm_manager::StartRequest request;
        request.path = path;
        request.memory_mib = memory_mib.value();
        request.quota_bytes = quota_bytes.value();
        request.quota_files = quota_files.value();
        request.cmdline = guest_cmdline;
        root = next_item(next_root, root);
        request.root = root;
        writable = next_item(next_writable, writable);
        request.writable = writable;
        for (size_t unit = 0; unit < vm_manager::MAX_DISKS; ++unit) {
            request.disks[unit] = disk_paths[unit];
            request.disk_read_only[unit] = disk_read_only[unit];
        }
        vendor = next_item(next_vendor, vendor);
        request.sweb_vendor = strcmp(vendor, "sweb") == 0;
        if (!request.sweb_vendor && strcmp(vendor, "native") != 0) {
            log(LogCategory::vmx, "vm start %s: vm_vendor=%s is neither sweb nor native", path, vendor);
            path = last ? end : end + 1;
            continue;
        }
        vm_manager::StartResult started = vm_manager::start(request);
        if (started.ok())
            ids[count++] = started.id;
        else
            log(LogCategory::vmx, "vm start %s: %s", path, started.error);
        path = last ? end : end + 1;
    }

    uint64_t wait_ns = timeout_ms.value() * clock::NS_PER_MS;
    uint64_t deadline = clock::nanoseconds() + wait_ns < wait_ns ? UINT64_MAX : clock::nanoseconds() + wait_ns;
    while (!all_ended(ids, count) && clock::nanoseconds() < deadline)
        Scheduler::instance().sleep_ns(10 * clock::NS_PER_MS);
    for (size_t i = 0; i < count; ++i) {
        if (vm_manager::stop(ids[i]))
            log(LogCategory::vmx, "vm%d still running after %lu ms: stopping it", ids[i], timeout_ms.value());
        vm_manager::wait(ids[i]);
    }
    for (size_t i = 0; i < count; ++i) {
        Vm* vm = vm_manager::find(ids[i]);
        log(LogCategory::vmx, "VM RESULT: vm%d %s: %s", vm->id(), vm_state_name(vm->state()), vm->stop_reason());
    }
    log_pages_after(before);
    return true;
}
