/* In-kernel tests of VMX operation (set "vmx"). They skip where the CPU has no VMX
 * (QEMU without KVM) and run in Bochs. Each checks one SDM rule about the VMX
 * instructions, with the VM-instruction error numbers of the SDM's table "VM
 * Instruction Error Numbers". */
#include "arch/x86_64/boot/layout.h"
#include "hypervisor/vmx/vmx_instructions.h"
#include "hypervisor/vmx/vmx_support.h"
#include "test/kernel_test.h"

namespace {

constexpr uint64_t VM_INSTRUCTION_ERROR = 0x4400; /* 32-bit read-only data field */
constexpr uint64_t ERROR_VMCLEAR_VMXON_POINTER = 3;
constexpr uint64_t ERROR_VMPTRLD_BAD_REVISION = 11;
constexpr uint64_t ERROR_VMXON_IN_ROOT = 15;

alignas(4096) uint8_t good_vmcs[4096];
alignas(4096) uint8_t bad_vmcs[4096];

uint64_t physical(const void* pointer) { return reinterpret_cast<uint64_t>(pointer) - KERNEL_VMA; }

/* Makes `good_vmcs` current: clear it (launch state "clear"), then load it. */
bool load_good_vmcs()
{
    uint32_t revision = read_vmx_basic().revision_id();
    __builtin_memcpy(good_vmcs, &revision, sizeof(revision));
    return vmx::vmclear(physical(good_vmcs)) == VmxStatus::succeeded &&
           vmx::vmptrld(physical(good_vmcs)) == VmxStatus::succeeded;
}

bool skip_without_vmx(TestContext& t)
{
    if (cpu_has_vmx())
        return false;
    t.skip("this CPU has no VMX");
    return true;
}

} // namespace

KERNEL_TEST(vmx, vmxon_enters_vmx_operation)
{
    if (skip_without_vmx(t))
        return;
    VmxSupportError error = enter_vmx_operation();
    if (error != VmxSupportError::none)
        t.fail("%s", vmx_support_error_text(error));
    EXPECT(in_vmx_operation());
}

KERNEL_TEST(vmx, vmx_basic_reports_a_usable_region)
{
    if (skip_without_vmx(t))
        return;
    vmx::VmxBasic basic = read_vmx_basic();
    EXPECT(basic.region_size() > 0 && basic.region_size() <= 4096);
    EXPECT_EQ(basic.revision_id() >> 31, 0u);
    EXPECT_EQ(basic.vmcs_memory_type(), 6); /* write-back */
}

KERNEL_TEST(vmx, vmptrld_with_wrong_revision_fails_with_error_11)
{
    if (skip_without_vmx(t) || enter_vmx_operation() != VmxSupportError::none)
        return;
    EXPECT(load_good_vmcs());
    uint32_t wrong = read_vmx_basic().revision_id() ^ 1;
    __builtin_memcpy(bad_vmcs, &wrong, sizeof(wrong));
    EXPECT(vmx::vmptrld(physical(bad_vmcs)) == VmxStatus::fail_valid);
    EXPECT_EQ(vmx::vmread(VM_INSTRUCTION_ERROR), ERROR_VMPTRLD_BAD_REVISION);
}

KERNEL_TEST(vmx, vmxon_in_root_operation_fails_with_error_15)
{
    if (skip_without_vmx(t) || enter_vmx_operation() != VmxSupportError::none)
        return;
    EXPECT(load_good_vmcs());
    alignas(4096) static uint8_t unused_region[4096];
    EXPECT(vmx::vmxon(physical(unused_region)) == VmxStatus::fail_valid);
    EXPECT_EQ(vmx::vmread(VM_INSTRUCTION_ERROR), ERROR_VMXON_IN_ROOT);
}

KERNEL_TEST(vmx, vmclear_of_the_vmxon_region_fails_with_error_3)
{
    if (skip_without_vmx(t) || enter_vmx_operation() != VmxSupportError::none)
        return;
    EXPECT(load_good_vmcs());
    EXPECT(vmx::vmptrst() == physical(good_vmcs));
    EXPECT(vmx::vmclear(vmxon_region_physical()) == VmxStatus::fail_valid);
    EXPECT_EQ(vmx::vmread(VM_INSTRUCTION_ERROR), ERROR_VMCLEAR_VMXON_POINTER);
}

KERNEL_TEST(vmx, vmxoff_and_on_again)
{
    if (skip_without_vmx(t) || enter_vmx_operation() != VmxSupportError::none)
        return;
    leave_vmx_operation();
    EXPECT(!in_vmx_operation());
    EXPECT(enter_vmx_operation() == VmxSupportError::none);
    EXPECT(in_vmx_operation());
}

/* The run loop knows the current VMCS without VMPTRST (vmx_instructions.h,
 * tracked_current_vmcs): the tracked pointer must be what VMPTRST says after
 * each instruction that changes it, failed ones included. */
KERNEL_TEST(vmx, tracked_current_vmcs_follows_vmptrst)
{
    if (skip_without_vmx(t) || enter_vmx_operation() != VmxSupportError::none)
        return;
    EXPECT(load_good_vmcs());
    EXPECT_EQ(vmx::tracked_current_vmcs, physical(good_vmcs));
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::vmptrst());
    /* A failed VMPTRLD (wrong revision) keeps the current VMCS. */
    __builtin_memset(bad_vmcs, 0xFF, 4);
    EXPECT(vmx::vmptrld(physical(bad_vmcs)) != VmxStatus::succeeded);
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::vmptrst());
    /* VMCLEAR of another region keeps it; of the current one, none is current. */
    EXPECT(vmx::vmclear(physical(bad_vmcs)) == VmxStatus::succeeded);
    EXPECT_EQ(vmx::tracked_current_vmcs, physical(good_vmcs));
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::vmptrst());
    EXPECT(vmx::vmclear(physical(good_vmcs)) == VmxStatus::succeeded);
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::NO_CURRENT_VMCS);
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::vmptrst());
    /* VMXOFF and VMXON leave none current. */
    EXPECT(load_good_vmcs());
    leave_vmx_operation();
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::NO_CURRENT_VMCS);
    EXPECT(enter_vmx_operation() == VmxSupportError::none);
    EXPECT_EQ(vmx::tracked_current_vmcs, vmx::vmptrst());
}
