/* Settling VMX controls and fixed CR bits; see vmx_controls.h. */
#include "hypervisor/vmx/vmx_controls.h"

namespace vmx {

namespace {

constexpr uint32_t allowed0(uint64_t capability) { return uint32_t(capability); }
constexpr uint32_t allowed1(uint64_t capability) { return uint32_t(capability >> 32); }

/* Appends `text` at `length`, keeping one byte for the NUL. */
size_t append(char* buffer, size_t size, size_t length, const char* text)
{
    for (; *text && length + 1 < size; ++text)
        buffer[length++] = *text;
    return length;
}

size_t append_number(char* buffer, size_t size, size_t length, unsigned number)
{
    char digits[4] = {};
    int count = 0;
    do {
        digits[count++] = char('0' + number % 10);
        number /= 10;
    } while (number && count < 3);
    while (count > 0 && length + 1 < size)
        buffer[length++] = digits[--count];
    return length;
}

} // namespace

uint64_t VmxCapabilities::control_msr(ControlWord word) const
{
    switch (word) {
    case ControlWord::pin_based: return pin_based;
    case ControlWord::primary_processor: return primary_processor;
    case ControlWord::secondary_processor: return secondary_processor;
    case ControlWord::exit: return exit;
    case ControlWord::entry: return entry;
    }
    return 0;
}

VmxCapabilities read_capabilities(ReadMsr read_msr, void* context)
{
    VmxCapabilities caps;
    caps.basic = VmxBasic{read_msr(CapabilityMsr::basic, context)};
    bool true_msrs = caps.basic.has_true_controls();
    caps.pin_based = read_msr(true_msrs ? CapabilityMsr::true_pinbased_ctls : CapabilityMsr::pinbased_ctls, context);
    caps.primary_processor =
        read_msr(true_msrs ? CapabilityMsr::true_procbased_ctls : CapabilityMsr::procbased_ctls, context);
    caps.exit = read_msr(true_msrs ? CapabilityMsr::true_exit_ctls : CapabilityMsr::exit_ctls, context);
    caps.entry = read_msr(true_msrs ? CapabilityMsr::true_entry_ctls : CapabilityMsr::entry_ctls, context);
    caps.misc = read_msr(CapabilityMsr::misc, context);
    caps.cr0_fixed0 = read_msr(CapabilityMsr::cr0_fixed0, context);
    caps.cr0_fixed1 = read_msr(CapabilityMsr::cr0_fixed1, context);
    caps.cr4_fixed0 = read_msr(CapabilityMsr::cr4_fixed0, context);
    caps.cr4_fixed1 = read_msr(CapabilityMsr::cr4_fixed1, context);
    if (allowed1(caps.primary_processor) & uint32_t(PrimaryProcessorControl::secondary_controls))
        caps.secondary_processor = read_msr(CapabilityMsr::procbased_ctls2, context);
    uint32_t ept_or_vpid = control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::vpid);
    if (allowed1(caps.secondary_processor) & ept_or_vpid)
        caps.ept_vpid_cap = read_msr(CapabilityMsr::ept_vpid_cap, context);
    return caps;
}

ControlSetting settle_controls(ControlWord word, uint64_t capability_msr, uint32_t required, uint32_t optional)
{
    // SOLUTION BEGIN 2
    uint32_t wanted = required | optional;
    uint32_t value = (wanted | allowed0(capability_msr)) & allowed1(capability_msr);
    return ControlSetting{
        .word = word,
        .value = value,
        .missing = required & ~value,
        .unavailable = optional & ~value,
        .forced = value & ~wanted,
    };
    // SOLUTION STUB 2: /* milestone 2 is not done yet: settle the control word from its capability MSR,
    // SOLUTION STUB 2:  * bits allowed to be 0 and allowed to be 1 (SDM "VMX Capability Reporting Facility"). */
    // SOLUTION STUB 2: (void)capability_msr;
    // SOLUTION STUB 2: return ControlSetting{.word = word, .value = 0, .missing = required, .unavailable = optional, .forced = 0};
    // SOLUTION END 2
}

ControlSetting settle_controls(const VmxCapabilities& capabilities, ControlWord word, uint32_t required,
                               uint32_t optional)
{
    return settle_controls(word, capabilities.control_msr(word), required, optional);
}

size_t describe_control_bits(ControlWord word, uint32_t bits, char* buffer, size_t size)
{
    if (size == 0)
        return 0;
    size_t length = 0;
    for (unsigned bit = 0; bit < 32; ++bit) {
        if (!(bits & (1u << bit)))
            continue;
        if (length > 0)
            length = append(buffer, size, length, ", ");
        if (const char* name = control_bit_name(word, bit)) {
            length = append(buffer, size, length, name);
        } else {
            length = append(buffer, size, length, "bit ");
            length = append_number(buffer, size, length, bit);
        }
    }
    buffer[length] = '\0';
    return length;
}

FixedBits cr0_fixed_bits(const VmxCapabilities& capabilities, bool unrestricted_guest)
{
    FixedBits fixed{capabilities.cr0_fixed0, capabilities.cr0_fixed1};
    if (unrestricted_guest)
        fixed.must_be_one &= ~(CR0_PE | CR0_PG);
    return fixed;
}

FixedBits cr4_fixed_bits(const VmxCapabilities& capabilities)
{
    return FixedBits{capabilities.cr4_fixed0, capabilities.cr4_fixed1};
}

} // namespace vmx
