/* In-kernel tests of the exit statistics as programs get them (vm_stats) and as
 * the kernel records them (set "hypervisor"); the ones that run a VM skip where
 * the CPU has no VMX. */
#include "abi/errno.h"
#include "abi/vm.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/syscall/vm_stats_syscall.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vmx/vmx_support.h"
#include "lib/string.h"
#include "test/kernel_test.h"

namespace {

/* The backend's number of the exit reason it calls `name`. */
size_t reason_named(const char* name)
{
    for (size_t reason = 0; reason < VM_STATS_REASONS; ++reason) {
        const char* known = exit_reason_short_name(uint16_t(reason));
        if (known && strcmp(known, name) == 0)
            return reason;
    }
    return 0;
}

/* A program's address space of two writable pages at USER_BASE over a kernel buffer. */
constexpr uint64_t USER_BASE = 0x10000;
constexpr size_t USER_PAGES = 2;
alignas(4096) uint8_t user_pages[USER_PAGES * 4096];

uint8_t* user_page(void*, uint64_t page_address, user_access::Access)
{
    if (page_address < USER_BASE || page_address >= USER_BASE + sizeof(user_pages))
        return nullptr;
    return user_pages + (page_address - USER_BASE);
}

const user_access::UserMemory user_memory{user_page, nullptr};

int run_cpuid_guest(TestContext& t)
{
    vm_manager::StartRequest request;
    request.path = "/guests/cpuid";
    request.memory_mib = 4;
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok()) {
        t.fail("vm start: %s", started.error);
        return -1;
    }
    vm_manager::wait(started.id);
    return started.id;
}

} // namespace

KERNEL_TEST(hypervisor, vm_stats_of_an_unknown_vm_is_esrch)
{
    EXPECT_EQ(copy_vm_stats_to_user(999, USER_BASE, sizeof(VmStats), user_memory), int64_t(-ESRCH));
}

KERNEL_TEST(hypervisor, vm_stats_into_a_short_buffer_is_einval)
{
    EXPECT_EQ(copy_vm_stats_to_user(1, USER_BASE, sizeof(VmStats) - 1, user_memory), int64_t(-EINVAL));
}

KERNEL_TEST(hypervisor, vm_stats_copies_what_the_vm_recorded)
{
    static_assert(sizeof(VmStats) <= sizeof(user_pages));
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    int id = run_cpuid_guest(t);
    Vm* vm = vm_manager::find(id);
    if (!vm)
        return;
    memset(user_pages, 0xAA, sizeof(user_pages));
    EXPECT_EQ(copy_vm_stats_to_user(id, USER_BASE, sizeof(VmStats), user_memory), int64_t(sizeof(VmStats)));
    const auto* record = reinterpret_cast<const VmStats*>(user_pages);
    const ExitStatistics& s = vm->statistics();
    EXPECT_EQ(record->id, id);
    EXPECT_EQ(record->state, uint32_t(VM_STOPPED));
    EXPECT_EQ(record->exits, s.total);
    /* The cpuid guest asks CPUID and reports through VMCALL, nothing else; host
     * interrupts may end its runs too. The reason numbers are the backend's:
     * VMCALL exits on VMX, and raises #UD on SVM, which emulates it. */
    bool svm = virtualization_backend() == VirtualizationBackend::svm;
    uint64_t cpuid = record->reasons[reason_named("cpuid")].count;
    uint64_t vmcall = record->reasons[reason_named(svm ? "exception_ud" : "vmcall")].count;
    uint64_t interrupts = record->reasons[reason_named(svm ? "intr" : "external_interrupt")].count;
    /* Shown VMX (docs/nested.md), it also reads IA32_FEATURE_CONTROL once. */
    uint64_t rdmsr = vm->cpu().config().nested_vmx ? record->reasons[reason_named("rdmsr")].count : 0;
    EXPECT(cpuid >= 4);
    EXPECT_EQ(cpuid + vmcall + interrupts + rdmsr, record->exits);
    EXPECT_EQ(record->hypercalls[2].count, uint64_t(1)); /* power off */
    EXPECT(record->guest_cycles > 0 && record->handler_cycles > 0);
    EXPECT_EQ(vm->trace().size(), size_t(record->exits));
    /* The nested VMX counters (docs/nested.md) travel as recorded. */
    vm->statistics().nested = NestedCounters{11, 3, 4, 5, 6, 7};
    EXPECT_EQ(copy_vm_stats_to_user(id, USER_BASE, sizeof(VmStats), user_memory), int64_t(sizeof(VmStats)));
    EXPECT_EQ(record->nested_vmx, uint32_t(vm->cpu().config().nested_vmx));
    EXPECT_EQ(record->nested_vmx_instructions, uint64_t(11));
    EXPECT_EQ(record->nested_vmreads, uint64_t(3));
    EXPECT_EQ(record->nested_vmwrites, uint64_t(4));
    EXPECT_EQ(record->nested_shadow_syncs, uint64_t(5));
    EXPECT_EQ(record->nested_l2_exits_reflected, uint64_t(6));
    EXPECT_EQ(record->nested_l2_exits_handled, uint64_t(7));
}

KERNEL_TEST(hypervisor, vm_stats_into_an_unmapped_buffer_is_efault)
{
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    int id = run_cpuid_guest(t);
    /* The record would run past the second page. */
    uint64_t tail = USER_BASE + sizeof(user_pages) - sizeof(VmStats) / 2;
    EXPECT_EQ(copy_vm_stats_to_user(id, tail, sizeof(VmStats), user_memory), int64_t(-EFAULT));
}
