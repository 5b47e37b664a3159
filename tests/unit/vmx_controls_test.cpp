/* hypervisor/vmx/vmx_controls.cpp against the capability MSRs recorded on Bochs'
 * corei7_skylake_x (shared/reference/vmx-in-bochs.md) and made-up CPUs. */
#include "hypervisor/vmx/vmx_controls.h"
#include "unit_test.h"

#include <map>
#include <set>

using namespace vmx;

namespace {

/* A CPU's MSRs; reading one it does not have is a #GP, recorded as a failure. */
struct FakeCpu {
    std::map<uint32_t, uint64_t> msrs;
    std::set<uint32_t> read;

    static uint64_t read_msr(CapabilityMsr msr, void* context)
    {
        auto* cpu = static_cast<FakeCpu*>(context);
        cpu->read.insert(uint32_t(msr));
        auto found = cpu->msrs.find(uint32_t(msr));
        if (found == cpu->msrs.end()) {
            unit::record_failure("RDMSR of absent MSR " + std::to_string(uint32_t(msr)));
            return 0;
        }
        return found->second;
    }
};

FakeCpu skylake_x()
{
    return FakeCpu{{
        {0x480, 0x00d810000000002bull}, {0x481, 0x0000007f00000016ull}, {0x482, 0xf7f9fffe0401e172ull},
        {0x483, 0x007fffff00036dffull}, {0x484, 0x0000ffff000011ffull}, {0x485, 0x00000000600401e0ull},
        {0x486, 0x0000000080000021ull}, {0x487, 0x00000000ffffffffull}, {0x488, 0x0000000000002000ull},
        {0x489, 0x00000000003727ffull}, {0x48a, 0x0000000000000034ull}, {0x48b, 0x02177fff00000000ull},
        {0x48c, 0x00000f0106334141ull}, {0x48d, 0x0000007f00000016ull}, {0x48e, 0xf7f9fffe04006172ull},
        {0x48f, 0x007fffff00036dfbull}, {0x490, 0x0000ffff000011fbull}, {0x491, 0x0000000000000001ull},
    }, {}};
}

/* An old CPU: no TRUE_* MSRs (bit 55 clear), no secondary controls. */
FakeCpu core2_like()
{
    FakeCpu cpu = skylake_x();
    cpu.msrs[0x480] &= ~(1ull << 55);
    cpu.msrs[0x482] &= ~(1ull << 63); /* "activate secondary controls" may not be 1 */
    for (uint32_t msr : {0x48b, 0x48c, 0x48d, 0x48e, 0x48f, 0x490, 0x491})
        cpu.msrs.erase(msr);
    return cpu;
}

std::string describe(ControlWord word, uint32_t bits)
{
    char text[160];
    describe_control_bits(word, bits, text, sizeof(text));
    return text;
}

const uint32_t EPT_AND_UNRESTRICTED = control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::unrestricted_guest);

} // namespace

UNIT_TEST(vmx_controls_basic_msr_of_skylake_x)
{
    VmxBasic basic{0x00d810000000002bull};
    CHECK_EQ(basic.revision_id(), 0x2Bu);
    CHECK_EQ(basic.region_size(), 4096u);
    CHECK(basic.has_true_controls());
    CHECK_EQ(int(basic.vmcs_memory_type()), 6); /* write-back */
    CHECK(!basic.addresses_limited_to_32_bits());
}

UNIT_TEST(vmx_controls_reads_true_msrs_when_basic_bit_55_is_set)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    CHECK_EQ(caps.primary_processor, 0xf7f9fffe04006172ull);
    CHECK_EQ(caps.exit, 0x007fffff00036dfbull);
    CHECK_EQ(caps.entry, 0x0000ffff000011fbull);
    CHECK_EQ(caps.secondary_processor, 0x02177fff00000000ull);
    CHECK_EQ(caps.ept_vpid_cap, 0x00000f0106334141ull);
    CHECK(cpu.read.count(0x482) == 0); /* the non-TRUE MSR is not needed */
}

UNIT_TEST(vmx_controls_never_reads_msrs_an_old_cpu_lacks)
{
    FakeCpu cpu = core2_like();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    CHECK_EQ(caps.primary_processor, 0x77f9fffe0401e172ull);
    CHECK_EQ(caps.secondary_processor, 0ull);
    CHECK_EQ(caps.ept_vpid_cap, 0ull);
}

UNIT_TEST(vmx_controls_pin_based_on_skylake_x_keeps_default1_bits)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    ControlSetting pin = settle_controls(caps, ControlWord::pin_based,
                                         control_mask(PinBasedControl::external_interrupt_exiting, PinBasedControl::nmi_exiting),
                                         control_mask(PinBasedControl::preemption_timer));
    CHECK(pin.ok());
    CHECK_EQ(pin.value, 0x5Fu); /* 0x16 default1 | 0x01 | 0x08 | 0x40 */
    CHECK_EQ(pin.forced, 0x16u);
    CHECK_EQ(pin.unavailable, 0u);
}

UNIT_TEST(vmx_controls_primary_on_skylake_x_with_true_msr_drops_cr3_exiting)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    uint32_t wanted = control_mask(PrimaryProcessorControl::hlt_exiting, PrimaryProcessorControl::io_bitmaps,
                                   PrimaryProcessorControl::msr_bitmaps, PrimaryProcessorControl::secondary_controls);
    ControlSetting primary = settle_controls(caps, ControlWord::primary_processor, wanted);
    CHECK(primary.ok());
    CHECK_EQ(primary.value, 0x960061F2u);
    CHECK_EQ(primary.value & control_mask(PrimaryProcessorControl::cr3_load_exiting), 0u);
}

UNIT_TEST(vmx_controls_primary_without_true_msr_forces_cr3_exiting)
{
    ControlSetting primary = settle_controls(ControlWord::primary_processor, 0xf7f9fffe0401e172ull,
                                             control_mask(PrimaryProcessorControl::hlt_exiting));
    CHECK(primary.ok());
    uint32_t cr3_exiting = control_mask(PrimaryProcessorControl::cr3_load_exiting, PrimaryProcessorControl::cr3_store_exiting);
    CHECK_EQ(primary.forced & cr3_exiting, cr3_exiting);
}

UNIT_TEST(vmx_controls_secondary_on_skylake_x_has_ept_unrestricted_guest_and_vpid)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    ControlSetting secondary = settle_controls(caps, ControlWord::secondary_processor,
                                               EPT_AND_UNRESTRICTED | control_mask(SecondaryProcessorControl::vpid));
    CHECK(secondary.ok());
    CHECK_EQ(secondary.value, 0xA2u);
}

UNIT_TEST(vmx_controls_exit_and_entry_on_skylake_x)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    ControlSetting exit = settle_controls(caps, ControlWord::exit,
                                          control_mask(ExitControl::host_address_space_size, ExitControl::load_efer,
                                                       ExitControl::save_efer, ExitControl::acknowledge_interrupt));
    CHECK(exit.ok());
    CHECK_EQ(exit.value, 0x36dfbu | 0x200u | 0x300000u | 0x8000u);
    ControlSetting entry = settle_controls(caps, ControlWord::entry, control_mask(EntryControl::load_efer));
    CHECK(entry.ok());
    CHECK_EQ(entry.value, 0x11fbu | 0x8000u);
}

UNIT_TEST(vmx_controls_cpu_without_secondary_controls_lacks_ept_and_unrestricted_guest)
{
    FakeCpu cpu = core2_like();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    ControlSetting secondary = settle_controls(caps, ControlWord::secondary_processor, EPT_AND_UNRESTRICTED);
    CHECK(!secondary.ok());
    CHECK_EQ(secondary.missing, EPT_AND_UNRESTRICTED);
    CHECK_EQ(secondary.value, 0u);
    CHECK_EQ(describe(ControlWord::secondary_processor, secondary.missing), std::string("enable EPT, unrestricted guest"));
}

UNIT_TEST(vmx_controls_cpu_with_ept_but_without_unrestricted_guest_names_the_missing_bit)
{
    /* Like Bochs' corei5_lynnfield_750: EPT and VPID, no unrestricted guest. */
    ControlSetting secondary = settle_controls(ControlWord::secondary_processor, 0x0000006200000000ull,
                                               EPT_AND_UNRESTRICTED);
    CHECK(!secondary.ok());
    CHECK_EQ(secondary.missing, control_mask(SecondaryProcessorControl::unrestricted_guest));
    CHECK_EQ(describe(ControlWord::secondary_processor, secondary.missing), std::string("unrestricted guest"));
}

UNIT_TEST(vmx_controls_optional_bit_the_cpu_lacks_is_left_out_without_failing)
{
    ControlSetting pin = settle_controls(ControlWord::pin_based, 0x0000003f00000016ull,
                                         control_mask(PinBasedControl::external_interrupt_exiting),
                                         control_mask(PinBasedControl::preemption_timer));
    CHECK(pin.ok());
    CHECK_EQ(pin.unavailable, control_mask(PinBasedControl::preemption_timer));
    CHECK_EQ(pin.value & 0x40u, 0u);
}

UNIT_TEST(vmx_controls_describe_names_unlisted_bits_by_number_and_truncates)
{
    CHECK_EQ(describe(ControlWord::secondary_processor, (1u << 21) | 1u), std::string("virtualize APIC accesses, bit 21"));
    char small[8];
    size_t length = describe_control_bits(ControlWord::secondary_processor, EPT_AND_UNRESTRICTED, small, sizeof(small));
    CHECK_EQ(length, size_t(7));
    CHECK_EQ(std::string(small), std::string("enable "));
}

UNIT_TEST(vmx_controls_cr0_fixed_bits_of_skylake_x)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    FixedBits host = cr0_fixed_bits(caps);
    CHECK_EQ(apply_fixed_bits(0x11, host), 0x80000031ull); /* PE ET + NE PG */
    CHECK_EQ(fixed_bits_violated(0x11, host), 0x80000020ull);
    CHECK_EQ(fixed_bits_violated(0x80000031, host), 0ull);
    FixedBits unrestricted = cr0_fixed_bits(caps, true);
    CHECK_EQ(apply_fixed_bits(0x10, unrestricted), 0x30ull); /* real mode: only NE forced */
    CHECK_EQ(fixed_bits_violated(0x30, unrestricted), 0ull);
}

UNIT_TEST(vmx_controls_cr4_fixed_bits_of_skylake_x)
{
    FakeCpu cpu = skylake_x();
    VmxCapabilities caps = read_capabilities(FakeCpu::read_msr, &cpu);
    FixedBits cr4 = cr4_fixed_bits(caps);
    CHECK_EQ(apply_fixed_bits(0x20, cr4), 0x2020ull); /* PAE + VMXE */
    CHECK_EQ(apply_fixed_bits(0x1020, cr4), 0x2020ull); /* LA57 (bit 12) not allowed */
    CHECK_EQ(fixed_bits_violated(0x1020, cr4), 0x3000ull);
}
