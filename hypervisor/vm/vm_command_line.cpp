/* VMs named on the kernel command line; see vm_command_line.h. */
#include "hypervisor/vm/vm_command_line.h"

#include "boot/cmdline.h"
#include "console/log.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_bench.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vm/vm_report.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace {

uint64_t number_option(const CommandLine& cmdline, const char* key, uint64_t fallback)
{
    char text[24];
    if (!cmdline.value(key, text, sizeof(text)))
        return fallback;
    uint64_t value = 0;
    for (const char* p = text; *p >= '0' && *p <= '9'; ++p)
        value = value * 10 + uint64_t(*p - '0');
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

} // namespace

bool run_vms_from_command_line(const CommandLine& cmdline)
{
    vm_report::configure(cmdline);
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
    uint64_t memory_mib = number_option(cmdline, "vm_mem", vm_manager::DEFAULT_MEMORY_MIB);
    uint64_t timeout_ms = number_option(cmdline, "vm_timeout_ms", 120000);
    uint64_t quota_bytes = number_option(cmdline, "vm_quota_bytes", vm_manager::DEFAULT_QUOTA_BYTES);
    uint64_t quota_files = number_option(cmdline, "vm_quota_files", vm_manager::DEFAULT_QUOTA_FILES);
    char roots[256] = "";
    cmdline.value("vm_root", roots, sizeof(roots));
    char* next_root = roots;
    const char* root = vm_manager::DEFAULT_ROOT;

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
        request.memory_mib = memory_mib;
        /* 0 is the default, as in the vm_start system call. */
        request.quota_bytes = quota_bytes ? quota_bytes : vm_manager::DEFAULT_QUOTA_BYTES;
        request.quota_files = quota_files ? quota_files : vm_manager::DEFAULT_QUOTA_FILES;
        request.cmdline = guest_cmdline;
        root = next_item(next_root, root);
        request.root = root;
        vm_manager::StartResult started = vm_manager::start(request);
        if (started.ok())
            ids[count++] = started.id;
        else
            log(LogCategory::vmx, "vm start %s: %s", path, started.error);
        path = last ? end : end + 1;
    }

    uint64_t deadline = clock::nanoseconds() + timeout_ms * clock::NS_PER_MS;
    while (!all_ended(ids, count) && clock::nanoseconds() < deadline)
        Scheduler::instance().sleep_ns(10 * clock::NS_PER_MS);
    for (size_t i = 0; i < count; ++i) {
        if (vm_manager::stop(ids[i]))
            log(LogCategory::vmx, "vm%d still running after %lu ms: stopping it", ids[i], timeout_ms);
        vm_manager::wait(ids[i]);
    }
    for (size_t i = 0; i < count; ++i) {
        Vm* vm = vm_manager::find(ids[i]);
        log(LogCategory::vmx, "VM RESULT: vm%d %s: %s", vm->id(), vm_state_name(vm->state()), vm->stop_reason());
    }
    log_pages_after(before);
    return true;
}
