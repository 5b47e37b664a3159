/* hypervisor/nested/capabilities.cpp and the guest CPU's VMX view
 * (hypervisor/cpu_model) against the Intel SDM (revision 084), Vol. 3D, Appendix
 * A "VMX Capability Reporting Facility": the MSRs L1 reads are consistent (a bit
 * that must be 1 may be 1; the plain MSRs report the default1 class as 1; the
 * TRUE_* MSRs exist as IA32_VMX_BASIC bit 55 says), offer nothing the host lacks,
 * and refuse what docs/nested.md lists as refused. The host is a Bochs
 * corei7_skylake_x's capability MSRs. */
#include "hypervisor/nested/capabilities.h"
#include "hypervisor/nested/vmcs12.h"
#include "unit_test.h"

#include <map>

using namespace nested;
using vmx::CapabilityMsr;
using vmx::ControlWord;
using vmx::SecondaryProcessorControl;

namespace {

/* Bochs 2.7's corei7_skylake_x (TRUE_* values where they exist). */
vmx::VmxCapabilities skylake_host()
{
    vmx::VmxCapabilities host;
    host.basic = vmx::VmxBasic{0x00DA040000000001ull};
    host.pin_based = 0x0000007F00000016ull;
    host.primary_processor = 0xFFF9FFFE04006172ull;
    host.secondary_processor = 0x0055FCFE00000000ull;
    host.exit = 0x01FFFFFF00036DFBull;
    host.entry = 0x0003FFFF000011FBull;
    host.misc = 0x00000000000401E5ull | (1ull << 29);
    host.cr0_fixed0 = 0x80000021;
    host.cr0_fixed1 = 0xFFFFFFFF;
    host.cr4_fixed0 = 0x2000;
    host.cr4_fixed1 = 0x003727FF;
    host.ept_vpid_cap = 0x00000F0106F34141ull;
    return host;
}

uint64_t offered(const cpu_model::VmxCapabilityMsrs& msrs, CapabilityMsr which) { return msrs.value(uint32_t(which)); }

constexpr CapabilityMsr TRUE_MSRS[] = {CapabilityMsr::true_pinbased_ctls, CapabilityMsr::true_procbased_ctls,
                                       CapabilityMsr::true_exit_ctls, CapabilityMsr::true_entry_ctls};
constexpr CapabilityMsr PLAIN_MSRS[] = {CapabilityMsr::pinbased_ctls, CapabilityMsr::procbased_ctls,
                                        CapabilityMsr::exit_ctls, CapabilityMsr::entry_ctls};
constexpr ControlWord WORDS[] = {ControlWord::pin_based, ControlWord::primary_processor, ControlWord::exit,
                                 ControlWord::entry};

} // namespace

UNIT_TEST(nested_capabilities_basic_reports_our_vmcs12_revision_and_true_controls)
{
    cpu_model::VmxCapabilityMsrs msrs = offered_capabilities(skylake_host());
    uint64_t basic = offered(msrs, CapabilityMsr::basic);
    CHECK_EQ(basic & 0x7FFFFFFF, uint64_t(VMCS12_REVISION_ID));
    CHECK_EQ(basic & (1ull << 31), 0u);
    CHECK_EQ((basic >> 32) & 0x1FFF, VMCS12_REGION_SIZE);
    CHECK_EQ(basic & (1ull << 48), 0u);  /* addresses not limited to 32 bits */
    CHECK_EQ(basic & (1ull << 49), 0u);  /* no dual-monitor treatment */
    CHECK_EQ((basic >> 50) & 0xF, 6u);   /* write-back */
    CHECK(basic & BASIC_TRUE_CONTROLS);
}

UNIT_TEST(nested_capabilities_control_msrs_are_consistent_and_within_the_host)
{
    vmx::VmxCapabilities host = skylake_host();
    cpu_model::VmxCapabilityMsrs msrs = offered_capabilities(host);
    for (size_t i = 0; i < 4; ++i) {
        uint64_t true_value = offered(msrs, TRUE_MSRS[i]), plain = offered(msrs, PLAIN_MSRS[i]);
        uint32_t true_must = uint32_t(true_value), true_may = uint32_t(true_value >> 32);
        uint32_t plain_must = uint32_t(plain), plain_may = uint32_t(plain >> 32);
        uint32_t host_must = uint32_t(host.control_msr(WORDS[i])), host_may = uint32_t(host.control_msr(WORDS[i]) >> 32);
        CHECK_EQ(true_must & ~true_may, 0u);
        CHECK_EQ(plain_must & ~plain_may, 0u);
        CHECK_EQ(true_must & ~plain_must, 0u);                 /* TRUE_* relaxes, never adds */
        CHECK_EQ(plain_must & default1_controls(WORDS[i]), default1_controls(WORDS[i]));
        CHECK_EQ(true_may & ~host_may, 0u);                    /* nothing the host lacks */
        CHECK_EQ(host_must & ~true_must, 0u);                  /* what the host needs, L1 must set */
        CHECK_EQ(true_may & ~(offered_controls(WORDS[i]) | default1_controls(WORDS[i]) | host_must), 0u);
    }
}

UNIT_TEST(nested_capabilities_offer_what_our_kernel_needs_as_a_hypervisor)
{
    cpu_model::VmxCapabilityMsrs msrs = offered_capabilities(skylake_host());
    auto secondary_may = uint32_t(offered(msrs, CapabilityMsr::procbased_ctls2) >> 32);
    CHECK(secondary_may & uint32_t(SecondaryProcessorControl::ept));
    CHECK(secondary_may & uint32_t(SecondaryProcessorControl::unrestricted_guest));
    CHECK(secondary_may & uint32_t(SecondaryProcessorControl::vpid));
    auto pin_may = uint32_t(offered(msrs, CapabilityMsr::true_pinbased_ctls) >> 32);
    CHECK(pin_may & uint32_t(vmx::PinBasedControl::preemption_timer));
    auto primary_may = uint32_t(offered(msrs, CapabilityMsr::true_procbased_ctls) >> 32);
    CHECK(primary_may & uint32_t(vmx::PrimaryProcessorControl::io_bitmaps));
    CHECK(primary_may & uint32_t(vmx::PrimaryProcessorControl::msr_bitmaps));
    CHECK(primary_may & uint32_t(vmx::PrimaryProcessorControl::interrupt_window_exiting));
    CHECK(primary_may & uint32_t(vmx::PrimaryProcessorControl::secondary_controls));
    auto exit_may = uint32_t(offered(msrs, CapabilityMsr::true_exit_ctls) >> 32);
    CHECK(exit_may & uint32_t(vmx::ExitControl::save_efer));
    CHECK(exit_may & uint32_t(vmx::ExitControl::load_efer));
    CHECK(exit_may & uint32_t(vmx::ExitControl::host_address_space_size));
    auto entry_may = uint32_t(offered(msrs, CapabilityMsr::true_entry_ctls) >> 32);
    CHECK(entry_may & uint32_t(vmx::EntryControl::load_efer));
    uint64_t ept = offered(msrs, CapabilityMsr::ept_vpid_cap);
    for (uint64_t bit : {EPT_WALK_LENGTH_4, EPT_MEMORY_TYPE_WB, EPT_INVEPT, EPT_INVEPT_SINGLE_CONTEXT,
                         EPT_INVEPT_ALL_CONTEXT, VPID_INVVPID, VPID_INVVPID_SINGLE_CONTEXT, VPID_INVVPID_ALL_CONTEXT})
        CHECK(ept & bit);
}

UNIT_TEST(nested_capabilities_refuse_what_docs_nested_lists_as_refused)
{
    cpu_model::VmxCapabilityMsrs msrs = offered_capabilities(skylake_host());
    auto secondary_may = uint32_t(offered(msrs, CapabilityMsr::procbased_ctls2) >> 32);
    using S = SecondaryProcessorControl;
    for (S refused : {S::virtualize_apic_accesses, S::virtualize_x2apic, S::apic_register_virtualization,
                      S::virtual_interrupt_delivery, S::vm_functions, S::vmcs_shadowing, S::pml, S::ept_violation_ve,
                      S::xsaves, S::tsc_scaling})
        CHECK_EQ(secondary_may & uint32_t(refused), 0u);
    auto pin_may = uint32_t(offered(msrs, CapabilityMsr::true_pinbased_ctls) >> 32);
    CHECK_EQ(pin_may & uint32_t(vmx::PinBasedControl::posted_interrupts), 0u);
    auto primary_may = uint32_t(offered(msrs, CapabilityMsr::true_procbased_ctls) >> 32);
    CHECK_EQ(primary_may & uint32_t(vmx::PrimaryProcessorControl::tpr_shadow), 0u);
    CHECK_EQ(primary_may & uint32_t(vmx::PrimaryProcessorControl::tertiary_controls), 0u);
    uint64_t ept = offered(msrs, CapabilityMsr::ept_vpid_cap);
    CHECK_EQ(ept & (EPT_ACCESSED_DIRTY | EPT_1GB_PAGES), 0u);
    CHECK_EQ(offered(msrs, CapabilityMsr::misc) & MISC_VMWRITE_ANY_FIELD, 0u);
}

UNIT_TEST(nested_capabilities_misc_fixed_bits_and_vmcs_enum)
{
    vmx::VmxCapabilities host = skylake_host();
    cpu_model::VmxCapabilityMsrs msrs = offered_capabilities(host);
    uint64_t misc = offered(msrs, CapabilityMsr::misc);
    CHECK_EQ(misc & 0x1F, host.misc & 0x1F);  /* the preemption timer's rate */
    CHECK_EQ((misc >> 16) & 0x1FF, 4u);       /* CR3-target values */
    CHECK_EQ(offered(msrs, CapabilityMsr::cr0_fixed0), host.cr0_fixed0);
    CHECK_EQ(offered(msrs, CapabilityMsr::cr4_fixed0), host.cr4_fixed0);
    CHECK_EQ(offered(msrs, CapabilityMsr::cr4_fixed1), host.cr4_fixed1);
    CHECK_EQ(offered(msrs, CapabilityMsr::vmcs_enum), uint64_t(highest_field_index()) << 1);
}

UNIT_TEST(nested_capabilities_need_ept_and_unrestricted_guest_on_the_host)
{
    vmx::VmxCapabilities host = skylake_host();
    CHECK(host_supports_nested(host));
    host.secondary_processor &= ~(uint64_t(uint32_t(SecondaryProcessorControl::unrestricted_guest)) << 32);
    CHECK(!host_supports_nested(host));
}

UNIT_TEST(nested_capabilities_without_vpid_on_the_host_offer_no_invvpid)
{
    vmx::VmxCapabilities host = skylake_host();
    host.secondary_processor &= ~(uint64_t(uint32_t(SecondaryProcessorControl::vpid)) << 32);
    cpu_model::VmxCapabilityMsrs msrs = offered_capabilities(host);
    CHECK_EQ(offered(msrs, CapabilityMsr::ept_vpid_cap) >> 32, 0u);
    CHECK_EQ((offered(msrs, CapabilityMsr::procbased_ctls2) >> 32) & uint32_t(SecondaryProcessorControl::vpid), 0u);
}

namespace {

cpu_model::CpuidRegisters vmx_host(uint32_t leaf, uint32_t)
{
    if (leaf == 0)
        return {0xD, 0, 0, 0};
    if (leaf == 0x80000000)
        return {0x80000008, 0, 0, 0};
    if (leaf == 1)
        return {0, 0, 1u << 5, 0};
    return {0, 0, 0, 0};
}

struct NoBackend final : cpu_model::MsrBackend {
    uint64_t read_backend_msr(Msr) override { return 0; }
    void write_backend_msr(Msr, uint64_t) override {}
};

} // namespace

UNIT_TEST(nested_guest_cpu_shows_vmx_and_its_msrs_only_when_offered)
{
    NoBackend backend;
    uint64_t value = 0;
    cpu_model::GuestCpu plain(cpu_model::GuestCpuConfig{}, vmx_host);
    CHECK_EQ(plain.cpuid(1, 0).ecx & (1u << 5), 0u);
    CHECK(!plain.read_msr(0x480, value, backend));
    CHECK(plain.read_msr(uint32_t(Msr::feature_control), value, backend));
    CHECK_EQ(value, 1u); /* locked, VMX off */

    cpu_model::GuestCpuConfig config;
    config.nested_vmx = true;
    config.vmx_capabilities = offered_capabilities(skylake_host());
    cpu_model::GuestCpu nested_cpu(config, vmx_host);
    CHECK(nested_cpu.cpuid(1, 0).ecx & (1u << 5));
    CHECK(nested_cpu.read_msr(uint32_t(Msr::feature_control), value, backend));
    CHECK_EQ(value, 5u); /* locked, VMX outside SMX */
    for (uint32_t index = 0x480; index <= 0x490; ++index) {
        CHECK(nested_cpu.read_msr(index, value, backend));
        CHECK_EQ(value, config.vmx_capabilities.value(index));
        CHECK(!nested_cpu.write_msr(index, value, backend)); /* read-only: #GP */
    }
    CHECK(!nested_cpu.read_msr(0x491, value, backend)); /* no VM functions */
    CHECK(!nested_cpu.read_msr(0x492, value, backend));
}
