/* Test guest "cpuid": the hypervisor's CPUID leaves as abi/hypercall.h defines
 * them, and VMX shown only with IA32_FEATURE_CONTROL letting VMXON through (a VM
 * is offered VMX unless vm_nested=off, docs/nested.md). Follows the Intel SDM (revision 084), Vol.
 * 2, "CPUID" (leaf 1 ECX; leaves 40000000h-4FFFFFFFh are not used by Intel CPUs
 * and are left to hypervisors). */
#include "abi/hypercall.h"
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "cpuid";

namespace {

void check_signature(const CpuidResult& base)
{
    char signature[13];
    const uint32_t words[3] = {base.ebx, base.ecx, base.edx};
    for (int i = 0; i < 12; ++i)
        signature[i] = char(words[i / 4] >> (8 * (i % 4)));
    signature[12] = '\0';
    Text reason;
    reason.add("EBX, ECX, EDX spell \"").add(signature).add("\"");
    check("signature_is_swebswebsweb", strings_equal(signature, HYPERVISOR_SIGNATURE), reason.c_str());
}

} // namespace

void guest_main()
{
    CpuidResult leaf1 = cpuid(1);
    check("hypervisor_bit_set", leaf1.ecx & CPUID_1_ECX_HYPERVISOR, "CPUID.1:ECX[31] is clear");
    if (leaf1.ecx & CPUID_1_ECX_VMX) {
        /* IA32_FEATURE_CONTROL (3AH): locked (bit 0), VMX outside SMX (bit 2). */
        uint32_t low = 0, high = 0;
        reset_fault_log();
        asm volatile(EXPECT_FAULT("rdmsr") : "+a"(low), "+d"(high) : "c"(0x3Au) : "memory");
        Text reason;
        reason.add(fault_log().count ? "RDMSR 3AH faulted" : "IA32_FEATURE_CONTROL = ").add_hex(low);
        check("vmx_shown_with_feature_control_enabling_it", fault_log().count == 0 && (low & 5) == 5, reason.c_str());
    } else {
        check("vmx_hidden", true);
    }

    CpuidResult base = cpuid(HYPERVISOR_CPUID_BASE);
    check_signature(base);
    Text max_leaf;
    max_leaf.add("EAX = ").add_hex(base.eax);
    check("max_leaf_covers_features", base.eax >= HYPERVISOR_CPUID_FEATURES && base.eax <= 0x4FFFFFFF,
          max_leaf.c_str());

    CpuidResult features = cpuid(HYPERVISOR_CPUID_FEATURES);
    Text version;
    version.add("EAX = ").add_decimal(int32_t(features.eax)).add(", expected ").add_decimal(HYPERCALL_ABI_VERSION);
    check("abi_version", features.eax == HYPERCALL_ABI_VERSION, version.c_str());
    constexpr uint32_t needed = HYPERCALL_FEATURE_CONSOLE | HYPERCALL_FEATURE_TEST;
    Text bits;
    bits.add("EBX = ").add_hex(features.ebx);
    check("features_console_and_test", (features.ebx & needed) == needed, bits.c_str());
}

} // namespace guest
