/* The capability MSRs offered to L1 (capabilities.h). Intel SDM (revision 084),
 * Vol. 3D, Appendix A "VMX Capability Reporting Facility". The rule for each
 * control word: a bit may be 1 for L1 only if the host allows it AND it is in
 * offered_controls(); a bit must be 1 for L1 when the host requires it. */
#include "hypervisor/nested/capabilities.h"
#include "hypervisor/nested/vmcs12.h"

namespace nested {

namespace {

using vmx::CapabilityMsr;
using vmx::ControlWord;
using vmx::EntryControl;
using vmx::ExitControl;
using vmx::PinBasedControl;
using vmx::PrimaryProcessorControl;
using vmx::SecondaryProcessorControl;
using vmx::control_mask;

/* A capability MSR from its two halves. */
constexpr uint64_t control_msr(uint32_t must_be_one, uint32_t may_be_one)
{
    return uint64_t(must_be_one) | (uint64_t(may_be_one) << 32);
}

/* One control word for L1: TRUE_* form (the host's own requirements) and plain
 * form (with the default1 class forced to 1, as a CPU reports it). */
struct OfferedWord {
    uint64_t true_msr;
    uint64_t plain_msr;
};

OfferedWord offer(const vmx::VmxCapabilities& host, ControlWord word)
{
    uint64_t host_msr = host.control_msr(word);
    uint32_t must = uint32_t(host_msr);
    uint32_t may = uint32_t(host_msr >> 32) & (offered_controls(word) | default1_controls(word) | must);
    /* The default1 bits a host without TRUE_* controls reports as 1 stay 1. */
    uint32_t plain_must = must | (default1_controls(word) & may);
    return {control_msr(must, may | must), control_msr(plain_must, may | plain_must)};
}

} // namespace

uint32_t offered_controls(ControlWord word)
{
    switch (word) {
    case ControlWord::pin_based:
        return control_mask(PinBasedControl::external_interrupt_exiting, PinBasedControl::nmi_exiting,
                            PinBasedControl::preemption_timer);
    case ControlWord::primary_processor:
        return control_mask(PrimaryProcessorControl::interrupt_window_exiting, PrimaryProcessorControl::tsc_offsetting,
                            PrimaryProcessorControl::hlt_exiting, PrimaryProcessorControl::invlpg_exiting,
                            PrimaryProcessorControl::mwait_exiting, PrimaryProcessorControl::rdpmc_exiting,
                            PrimaryProcessorControl::rdtsc_exiting, PrimaryProcessorControl::cr3_load_exiting,
                            PrimaryProcessorControl::cr3_store_exiting, PrimaryProcessorControl::cr8_load_exiting,
                            PrimaryProcessorControl::cr8_store_exiting, PrimaryProcessorControl::mov_dr_exiting,
                            PrimaryProcessorControl::unconditional_io_exiting, PrimaryProcessorControl::io_bitmaps,
                            PrimaryProcessorControl::msr_bitmaps, PrimaryProcessorControl::monitor_exiting,
                            PrimaryProcessorControl::pause_exiting, PrimaryProcessorControl::secondary_controls);
    case ControlWord::secondary_processor:
        return control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::descriptor_table_exiting,
                            SecondaryProcessorControl::rdtscp, SecondaryProcessorControl::vpid,
                            SecondaryProcessorControl::wbinvd_exiting, SecondaryProcessorControl::unrestricted_guest,
                            SecondaryProcessorControl::invpcid);
    case ControlWord::exit:
        return control_mask(ExitControl::save_debug_controls, ExitControl::host_address_space_size,
                            ExitControl::acknowledge_interrupt, ExitControl::save_pat, ExitControl::load_pat,
                            ExitControl::save_efer, ExitControl::load_efer, ExitControl::save_preemption_timer);
    case ControlWord::entry:
        return control_mask(EntryControl::load_debug_controls, EntryControl::ia32e_mode_guest, EntryControl::load_pat,
                            EntryControl::load_efer);
    }
    return 0;
}

uint32_t default1_controls(ControlWord word)
{
    switch (word) {
    case ControlWord::pin_based: return 0x00000016;          /* bits 1, 2, 4 */
    case ControlWord::primary_processor: return 0x0401E172; /* bits 1, 4-6, 8, 13-16, 26 */
    case ControlWord::secondary_processor: return 0;
    case ControlWord::exit: return 0x00036DFF;               /* bits 0-8, 10, 11, 13, 14, 16, 17 */
    case ControlWord::entry: return 0x000011FF;              /* bits 0-8, 12 */
    }
    return 0;
}

bool host_supports_nested(const vmx::VmxCapabilities& host)
{
    uint32_t secondary = uint32_t(host.secondary_processor >> 32);
    uint32_t needed = control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::unrestricted_guest);
    return (secondary & needed) == needed && (host.ept_vpid_cap & EPT_WALK_LENGTH_4) &&
           (host.ept_vpid_cap & EPT_MEMORY_TYPE_WB);
}

cpu_model::VmxCapabilityMsrs offered_capabilities(const vmx::VmxCapabilities& host)
{
    cpu_model::VmxCapabilityMsrs msrs;
    auto set = [&msrs](CapabilityMsr msr, uint64_t value) { msrs.set(uint32_t(msr), value); };

    /* Basic: our revision, 4 KiB regions, physical addresses not limited to 32
     * bits, write-back, TRUE_* controls; INS/OUTS information as the host has it
     * (the backends decode it the same way). */
    set(CapabilityMsr::basic, VMCS12_REVISION_ID | (VMCS12_REGION_SIZE << 32) | BASIC_MEMORY_TYPE_WB |
                                  (host.basic.value & BASIC_INS_OUTS_INFORMATION) | BASIC_TRUE_CONTROLS);

    OfferedWord pin = offer(host, ControlWord::pin_based);
    OfferedWord primary = offer(host, ControlWord::primary_processor);
    OfferedWord exit = offer(host, ControlWord::exit);
    OfferedWord entry = offer(host, ControlWord::entry);
    set(CapabilityMsr::pinbased_ctls, pin.plain_msr);
    set(CapabilityMsr::true_pinbased_ctls, pin.true_msr);
    set(CapabilityMsr::procbased_ctls, primary.plain_msr);
    set(CapabilityMsr::true_procbased_ctls, primary.true_msr);
    set(CapabilityMsr::exit_ctls, exit.plain_msr);
    set(CapabilityMsr::true_exit_ctls, exit.true_msr);
    set(CapabilityMsr::entry_ctls, entry.plain_msr);
    set(CapabilityMsr::true_entry_ctls, entry.true_msr);
    /* The secondary controls have no default1 class and no TRUE_* form. */
    set(CapabilityMsr::procbased_ctls2, offer(host, ControlWord::secondary_processor).true_msr);

    /* Misc: the host's preemption-timer rate (bits 4:0) and "store EFER.LMA"
     * (bit 5); no activity states but active (bits 8:6), four CR3-target values
     * (bits 24:16), 512 MSRs per list (bits 27:25 = 0), no VMWRITE of read-only
     * fields (bit 29), MSEG revision 0. */
    set(CapabilityMsr::misc, (host.misc & 0x3F) | (4ull << 16));

    /* CR0/CR4 in VMX operation: as the host's. */
    set(CapabilityMsr::cr0_fixed0, host.cr0_fixed0);
    set(CapabilityMsr::cr0_fixed1, host.cr0_fixed1);
    set(CapabilityMsr::cr4_fixed0, host.cr4_fixed0);
    set(CapabilityMsr::cr4_fixed1, host.cr4_fixed1);
    set(CapabilityMsr::vmcs_enum, uint64_t(highest_field_index()) << 1);

    /* EPT and VPID: 4-level walks, UC and WB, execute-only and 2 MiB pages as
     * the host, INVEPT single and all-context, INVVPID of every type the host
     * has. Refused: 1 GiB pages, accessed/dirty flags, advanced exit info. */
    constexpr uint64_t OFFERED_EPT_VPID =
        EPT_EXECUTE_ONLY | EPT_WALK_LENGTH_4 | EPT_MEMORY_TYPE_UC | EPT_MEMORY_TYPE_WB | EPT_2MB_PAGES | EPT_INVEPT |
        EPT_INVEPT_SINGLE_CONTEXT | EPT_INVEPT_ALL_CONTEXT | VPID_INVVPID | VPID_INVVPID_INDIVIDUAL_ADDRESS |
        VPID_INVVPID_SINGLE_CONTEXT | VPID_INVVPID_ALL_CONTEXT | VPID_INVVPID_SINGLE_CONTEXT_RETAINING_GLOBALS;
    uint64_t ept_vpid = host.ept_vpid_cap & OFFERED_EPT_VPID;
    uint32_t secondary_may = uint32_t(msrs.value(uint32_t(CapabilityMsr::procbased_ctls2)) >> 32);
    if (!(secondary_may & uint32_t(SecondaryProcessorControl::vpid)))
        ept_vpid &= 0xFFFFFFFFull;
    if (!(secondary_may & uint32_t(SecondaryProcessorControl::ept)))
        ept_vpid &= ~0xFFFFFFFFull;
    set(CapabilityMsr::ept_vpid_cap, ept_vpid);
    return msrs;
}

} // namespace nested
