/* In-kernel tests of a VM's life at its edges (set "hypervisor"): the PC ways a
 * guest turns itself off, each with its reason in the vm_list record; more VMs
 * than the table holds; more guest RAM than the host has while other VMs run;
 * and a start that runs out of host memory at any of its allocations, which must
 * give back every page it took; a start failing at each of its steps in turn,
 * which must give back every heap object too; and the records `vm list` keeps
 * when more VMs ended than the table holds. They skip where the CPU has no VMX. The guests
 * are in guests/ (docs/test-guests.md, docs/hostile-guests.md). */
#include "hypervisor/vcpu.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vmx/vmx_support.h"
#include "abi/errno.h"
#include "console/log.h"
#include "hypervisor/hypercall/file_server.h"
#include "lib/string.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"
#include "test/kernel_test.h"
#include "time/clock.h"

#include <initializer_list>

namespace {

constexpr const char* SPIN_GUEST = "/guests/hostile_spin";
constexpr uint64_t SMALL_VM_MIB = 2;

bool skip_without_vmx(TestContext& t)
{
    if (virtualization_backend() != VirtualizationBackend::none)
        return false;
    t.skip("this CPU has neither VMX nor SVM");
    return true;
}

vm_manager::StartResult start(const char* path, uint64_t memory_mib, const char* cmdline = "")
{
    vm_manager::StartRequest request;
    request.path = path;
    request.memory_mib = memory_mib;
    request.cmdline = cmdline;
    return vm_manager::start(request);
}

void stop_and_wait(int id)
{
    vm_manager::stop(id);
    vm_manager::wait(id);
}

bool contains(const char* text, const char* part)
{
    size_t length = strlen(part);
    for (; *text; ++text) {
        if (strncmp(text, part, length) == 0)
            return true;
    }
    return false;
}

/* The vm_list record of VM `id`. */
bool listed(int id, VmInfo& out)
{
    static VmInfo all[vm_manager::MAX_VMS];
    size_t count = vm_manager::list(all, vm_manager::MAX_VMS);
    for (size_t i = 0; i < count && i < vm_manager::MAX_VMS; ++i) {
        if (all[i].id == id) {
            out = all[i];
            return true;
        }
    }
    return false;
}

/* Makes sure the heap has a free block of `bytes`, so that a start needing the
 * heap does not have to grow it while the PageManager is nearly empty. */
void give_the_heap_room(size_t bytes) { kfree(kmalloc(bytes)); }

/* Leaves an empty slot in the VM table: a start that fails at its last step
 * (the thread) after start() made room by deleting the oldest ended record.
 * A later start then takes the empty slot and frees nothing while measured. */
void make_room_in_the_table()
{
    vm_manager::fail_next_start_at(vm_manager::StartStep::thread);
    (void)start(SPIN_GUEST, SMALL_VM_MIB);
}

/* Holds every free page but `keep`, in contiguous runs, until released. */
class PageHoard {
public:
    bool hold_all_but(size_t keep)
    {
        PageManager& pages = PageManager::instance();
        size_t run = size_t(1) << 20;
        while (pages.free_page_count() > keep && runs_ < MAX_RUNS) {
            size_t wanted = pages.free_page_count() - keep;
            while (run > wanted)
                run /= 2;
            MemoryResult<uint64_t> taken = pages.allocate_pages(run);
            if (!taken.ok()) {
                if (run == 1)
                    return false;
                run /= 2;
                continue;
            }
            base_[runs_] = taken.value();
            count_[runs_++] = run;
        }
        return pages.free_page_count() == keep;
    }
    void release()
    {
        for (size_t i = 0; i < runs_; ++i)
            PageManager::instance().free_pages(base_[i], count_[i]);
        runs_ = 0;
    }
    ~PageHoard() { release(); }

private:
    static constexpr size_t MAX_RUNS = 128;
    uint64_t base_[MAX_RUNS] = {};
    size_t count_[MAX_RUNS] = {};
    size_t runs_ = 0;
};

struct PowerOffCase {
    const char* cmdline;
    const char* reason;
};

} // namespace

KERNEL_TEST(hypervisor, guest_power_off_the_pc_ways_ends_with_its_reason_in_vm_list)
{
    if (skip_without_vmx(t))
        return;
    const PowerOffCase cases[] = {
        {"method=acpi_qemu", "ACPI (SLP_EN at port 0x604, sleep type 0)"},
        {"method=acpi_bochs", "ACPI (SLP_EN at port 0xb004, sleep type 0)"},
        {"method=i8042_pulse", "through the 8042"},
        {"method=i8042_output_port", "through the 8042"},
        {"method=debug_exit_outs", "through port 0xf4 with status 0"},
    };
    for (const PowerOffCase& c : cases) {
        vm_manager::StartResult started = start("/guests/poweroff", SMALL_VM_MIB, c.cmdline);
        if (!started.ok()) {
            t.fail("%s: %s", c.cmdline, started.error);
            continue;
        }
        vm_manager::wait(started.id);
        VmInfo info;
        EXPECT(listed(started.id, info));
        if (info.state != VM_STOPPED || !contains(info.reason, c.reason))
            t.fail("%s: vm_list says state %u, \"%s\"", c.cmdline, info.state, info.reason);
    }
}

KERNEL_TEST(hypervisor, more_vms_than_the_table_holds_are_refused)
{
    if (skip_without_vmx(t))
        return;
    int ids[vm_manager::MAX_VMS] = {};
    for (int& id : ids) {
        vm_manager::StartResult started = start(SPIN_GUEST, SMALL_VM_MIB);
        id = started.id;
        if (!started.ok()) {
            VmInfo all[vm_manager::MAX_VMS];
            size_t count = vm_manager::list(all, vm_manager::MAX_VMS);
            for (size_t i = 0; i < count && i < vm_manager::MAX_VMS; ++i)
                log(LogCategory::test, "vm%d state %u reason %s", all[i].id, all[i].state, all[i].reason);
            t.fail("VM %d of the table's %zu was refused: %s", int(&id - ids), vm_manager::MAX_VMS, started.error);
        }
    }
    vm_manager::StartResult one_too_many = start(SPIN_GUEST, SMALL_VM_MIB);
    EXPECT(!one_too_many.ok());
    EXPECT(contains(one_too_many.error, "already 8 VMs"));
    for (int id : ids) {
        if (id > 0) {
            EXPECT(!vm_manager::find(id)->ended());
            stop_and_wait(id);
            EXPECT(contains(vm_manager::find(id)->stop_reason(), "stopped by the host"));
        }
    }
}

KERNEL_TEST(hypervisor, more_guest_ram_than_the_host_has_fails_while_other_vms_run)
{
    if (skip_without_vmx(t))
        return;
    /* Two VMs of 40% of the free memory each fit; the third does not. */
    uint64_t free_mib = PageManager::instance().free_page_count() * PAGE_SIZE >> 20;
    uint64_t size_mib = free_mib * 2 / 5;
    vm_manager::StartResult first = start(SPIN_GUEST, size_mib);
    vm_manager::StartResult second = start(SPIN_GUEST, size_mib);
    size_t free_before_third = PageManager::instance().free_page_count();
    size_t heap_before_third = kernel_heap::stats().region_bytes / PAGE_SIZE;
    vm_manager::StartResult third = start(SPIN_GUEST, size_mib);
    size_t heap_growth = kernel_heap::stats().region_bytes / PAGE_SIZE - heap_before_third;
    EXPECT(first.ok() && second.ok());
    EXPECT(!third.ok());
    EXPECT(contains(third.error, "out of host memory"));
    EXPECT_EQ(PageManager::instance().free_page_count() + heap_growth, free_before_third);
    for (int id : {first.id, second.id}) {
        if (id > 0) {
            EXPECT(!vm_manager::find(id)->ended());
            stop_and_wait(id);
        }
    }
}

/* Regression: when the VM's thread could not be spawned (its stack is the last
 * allocation of a start), start() reported success and left a VM "running"
 * forever with its RAM, no thread and no way to stop it. */
KERNEL_TEST(hypervisor, start_out_of_host_memory_at_any_allocation_even_the_vm_thread_returns_every_page)
{
    if (skip_without_vmx(t))
        return;
    make_room_in_the_table();
    give_the_heap_room(512 * 1024);
    constexpr size_t GUEST_PAGES = (SMALL_VM_MIB << 20) / PAGE_SIZE;
    /* From too little for the guest's RAM, through each page the vCPU needs (MSR
     * pages, VMCS, EPT tables) and the thread's stack, to enough. */
    bool started_once = false;
    size_t failures = 0;
    char last_error[sizeof(vm_manager::StartResult::error)] = "";
    for (size_t extra = 0; extra < 64 && !started_once; ++extra) {
        /* Everything a start takes is an ordinary claim: the reserve stays. */
        size_t keep = PageManager::KERNEL_RESERVE_PAGES + GUEST_PAGES - 1 + extra;
        PageHoard hoard;
        if (!hoard.hold_all_but(keep)) {
            t.fail("could not leave exactly %zu pages free", keep);
            return;
        }
        size_t heap_before = kernel_heap::stats().region_bytes / PAGE_SIZE;
        vm_manager::StartResult result = start(SPIN_GUEST, SMALL_VM_MIB);
        if (result.ok()) {
            started_once = true;
            stop_and_wait(result.id);
        } else {
            ++failures;
            memcpy(last_error, result.error, sizeof(last_error));
            if (!contains(result.error, "host memory") && !contains(result.error, "EPT"))
                t.fail("with %zu pages free: %s", keep, result.error);
        }
        /* Free plus heap pages: a block the start freed may let the heap give
         * a region back (the objects themselves are counted by the next test). */
        size_t heap_after = kernel_heap::stats().region_bytes / PAGE_SIZE;
        if (PageManager::instance().free_page_count() + heap_after != keep + heap_before)
            t.fail("with %zu pages free, %s left %zu free, the heap %ld pages more (%s)", keep,
                   result.ok() ? "a VM" : "a failed start", PageManager::instance().free_page_count(),
                   long(heap_after - heap_before), result.error);
    }
    EXPECT(started_once);
    EXPECT(failures >= 3); /* guest RAM, an MSR page, the VMCS at least */
    /* One page short of a start that works: only the thread's stack is missing. */
    if (!contains(last_error, "the VM's thread"))
        t.fail("the last failed start said \"%s\", not that the VM's thread is missing", last_error);
}

namespace {

/* What a failed start must leave as it found it. */
struct HostHoldings {
    size_t file_servers;
    size_t heap_blocks;
    size_t heap_bytes;
    size_t pages; /* free, plus the heap's: a freed block may leave its pages in the heap */

    static HostHoldings now()
    {
        HeapArena::Stats heap = kernel_heap::stats();
        return {FileServer::live_count(), heap.used_blocks, heap.used_bytes,
                PageManager::instance().free_page_count() + heap.region_bytes / PAGE_SIZE};
    }
    bool operator==(const HostHoldings& other) const
    {
        return file_servers == other.file_servers && heap_blocks == other.heap_blocks &&
               heap_bytes == other.heap_bytes && pages == other.pages;
    }
};

struct FailingStep {
    vm_manager::StartStep step;
    const char* name;
};

} // namespace

/* Regression: a start that failed creating the Vm record, the vCPU or the thread
 * kept its FileServer (and the vCPU's failure its record's file handles): the
 * page-counting test above could not see heap objects. */
KERNEL_TEST(hypervisor, start_failing_at_each_step_gives_back_every_object_and_page)
{
    if (skip_without_vmx(t))
        return;
    using vm_manager::StartStep;
    const FailingStep steps[] = {
        {StartStep::read_kernel, "read_kernel"}, {StartStep::serve_root, "serve_root"},
        {StartStep::record, "record"},           {StartStep::guest_memory, "guest_memory"},
        {StartStep::vcpu, "vcpu"},               {StartStep::boot, "boot"},
        {StartStep::thread, "thread"},
    };
    /* Not measured: first-use set-up (VMXON) happens here too. */
    make_room_in_the_table();
    for (const FailingStep& failing : steps) {
        HostHoldings before = HostHoldings::now();
        vm_manager::fail_next_start_at(failing.step);
        vm_manager::StartResult result = start(SPIN_GUEST, SMALL_VM_MIB);
        HostHoldings after = HostHoldings::now();
        if (result.ok()) {
            t.fail("a start failing at %s started vm%d", failing.name, result.id);
            stop_and_wait(result.id);
            continue;
        }
        if (result.errno_value != ENOMEM || !contains(result.error, "out of host memory"))
            t.fail("failing at %s: errno %d, \"%s\"", failing.name, result.errno_value, result.error);
        if (!(after == before))
            t.fail("failing at %s kept %ld file servers, %ld heap blocks of %ld bytes, %ld pages", failing.name,
                   long(after.file_servers - before.file_servers), long(after.heap_blocks - before.heap_blocks),
                   long(after.heap_bytes - before.heap_bytes), long(before.pages - after.pages));
    }
    /* The hook is spent: the next start works and its VM gives back its file server. */
    size_t file_servers = FileServer::live_count();
    vm_manager::StartResult works = start(SPIN_GUEST, SMALL_VM_MIB);
    EXPECT(works.ok());
    if (works.ok()) {
        EXPECT_EQ(FileServer::live_count(), file_servers + 1);
        stop_and_wait(works.id);
        EXPECT_EQ(FileServer::live_count(), file_servers);
    }
}

/* Regression: with every slot holding an ended VM, start() reused slot 0 each
 * time, so the newest record vanished at the next start while the older ones
 * stayed for ever. */
KERNEL_TEST(hypervisor, vm_list_keeps_the_newest_ended_vms)
{
    if (skip_without_vmx(t))
        return;
    constexpr size_t STARTS = vm_manager::MAX_VMS + 4;
    int ids[STARTS] = {};
    for (int& id : ids) {
        vm_manager::StartResult started = start("/guests/poweroff", SMALL_VM_MIB, "method=debug_exit_outs");
        if (!started.ok()) {
            t.fail("start %d: %s", int(&id - ids), started.error);
            return;
        }
        id = started.id;
        vm_manager::wait(id);
    }
    VmInfo info;
    for (size_t i = 0; i < STARTS; ++i) {
        bool newest = i >= STARTS - vm_manager::MAX_VMS;
        if (listed(ids[i], info) != newest)
            t.fail("vm%d (start %zu of %zu) is %slisted", ids[i], i + 1, STARTS, newest ? "not " : "");
    }
}

/* vm wait (and vm_list) may call a VM ended only after its thread finished: its
 * report logged, its file server and vCPU given back. Two threads wait for
 * the same VM while it is stopped. */
namespace {

struct Waiter {
    int id;
    volatile bool returned = false;
    volatile size_t file_servers_seen = 0;
};

void wait_for_vm(void* argument)
{
    auto* waiter = static_cast<Waiter*>(argument);
    vm_manager::wait(waiter->id);
    waiter->file_servers_seen = FileServer::live_count();
    waiter->returned = true;
}

} // namespace

KERNEL_TEST(hypervisor, two_waiters_return_after_the_vm_gave_everything_back)
{
    if (skip_without_vmx(t))
        return;
    size_t file_servers = FileServer::live_count();
    vm_manager::StartResult started = start(SPIN_GUEST, SMALL_VM_MIB);
    if (!started.ok()) {
        t.fail("%s", started.error);
        return;
    }
    Waiter first{started.id}, second{started.id};
    Thread* threads[] = {Scheduler::instance().spawn(wait_for_vm, &first, "waiter 1"),
                         Scheduler::instance().spawn(wait_for_vm, &second, "waiter 2")};
    Scheduler::instance().sleep_ns(20 * clock::NS_PER_MS);
    EXPECT(!first.returned && !second.returned);
    VmInfo info;
    EXPECT(listed(started.id, info) && info.state == VM_RUNNING);
    vm_manager::stop(started.id);
    for (Thread* thread : threads) {
        if (thread)
            Scheduler::instance().join(thread);
    }
    EXPECT(first.returned && second.returned);
    EXPECT_EQ(size_t(first.file_servers_seen), file_servers);
    EXPECT_EQ(size_t(second.file_servers_seen), file_servers);
    EXPECT(listed(started.id, info) && info.state == VM_STOPPED);
    vm_manager::wait(started.id); /* a third wait, after the join: returns at once */
}
