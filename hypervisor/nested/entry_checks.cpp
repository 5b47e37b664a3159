/* VMLAUNCH/VMRESUME's checks on VMCS12; see entry_checks.h. Each helper follows
 * one subsection of the SDM and returns the first rule that fails. */
#include "hypervisor/nested/entry_checks.h"

#include "hypervisor/nested/shadow_ept.h"

namespace nested {

using vmx::ControlWord;
using vmx::EntryControl;
using vmx::ExitControl;
using vmx::PinBasedControl;
using vmx::PrimaryProcessorControl;
using vmx::SecondaryProcessorControl;
using E = vmx::VmcsEncoding;

namespace {

constexpr uint64_t CR4_PCIDE = 1ull << 17;
/* IA32_EFER bits that exist on Intel: SCE, LME, LMA, NXE; the rest are reserved. */
constexpr uint64_t EFER_DEFINED = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
/* RFLAGS bits 63:22, 15, 5 and 3 are reserved (0), bit 1 is reserved (1). */
constexpr uint64_t RFLAGS_RESERVED_0 = ~((1ull << 22) - 1) | (1ull << 15) | (1ull << 5) | (1ull << 3);
/* Pending debug exceptions: bits 11:4, 13, 15 and 63:17 are reserved. */
constexpr uint64_t PENDING_DEBUG_RESERVED = 0xFF0ull | (1ull << 13) | (1ull << 15) | ~((1ull << 17) - 1);

/* The interruption-information format (VM-entry, VM-exit, IDT-vectoring). */
constexpr uint32_t EVENT_VALID = 1u << 31;
constexpr uint32_t EVENT_DELIVER_ERROR_CODE = 1u << 11;
constexpr uint32_t EVENT_RESERVED = 0x7FFFF000;
enum EventType : uint32_t {
    external_interrupt = 0,
    reserved_type = 1,
    nmi = 2,
    hardware_exception = 3,
    software_interrupt = 4,
    privileged_software_exception = 5,
    software_exception = 6,
    other_event = 7,
};

/* Guest interruptibility state. */
constexpr uint64_t BLOCKING_BY_STI = 1u << 0;
constexpr uint64_t BLOCKING_BY_MOV_SS = 1u << 1;
constexpr uint64_t BLOCKING_BY_SMI = 1u << 2;
constexpr uint64_t BLOCKING_BY_NMI = 1u << 3;
constexpr uint64_t INTERRUPTIBILITY_RESERVED = ~0x1Full;

/* Segment access rights as the VMCS holds them ("Guest Register State"). */
namespace ar {
constexpr uint32_t TYPE = 0xF;
constexpr uint32_t ACCESSED = 1u << 0;
constexpr uint32_t READABLE = 1u << 1; /* a code segment */
constexpr uint32_t CODE = 1u << 3;
constexpr uint32_t S = 1u << 4; /* code or data, not system */
constexpr unsigned DPL_SHIFT = 5;
constexpr uint32_t P = 1u << 7;
constexpr uint32_t RESERVED = 0xF00u | 0xFFFE0000u;
constexpr uint32_t L = 1u << 13;
constexpr uint32_t DB = 1u << 14;
constexpr uint32_t G = 1u << 15;
constexpr uint32_t UNUSABLE = 1u << 16;
constexpr uint32_t dpl(uint32_t rights) { return (rights >> DPL_SHIFT) & 3; }
} // namespace ar

constexpr EntryCheck fail(EntryFailure failure, const char* rule, uint64_t qualification = 0)
{
    return EntryCheck{failure, qualification, rule};
}
constexpr EntryCheck control(const char* rule) { return fail(EntryFailure::control, rule); }
constexpr EntryCheck host(const char* rule) { return fail(EntryFailure::host_state, rule); }
constexpr EntryCheck guest(const char* rule) { return fail(EntryFailure::guest_state, rule); }

bool control_word_ok(uint64_t value, uint64_t capability_msr)
{
    auto allowed0 = uint32_t(capability_msr), allowed1 = uint32_t(capability_msr >> 32);
    return (value >> 32) == 0 && (uint32_t(value) & allowed0) == allowed0 && !(uint32_t(value) & ~allowed1);
}

bool beyond(uint64_t address, uint8_t physical_address_bits) { return address >> physical_address_bits; }

/* [address, +length) aligned and below MAXPHYADDR, without wrapping. */
bool region_ok(uint64_t address, uint64_t alignment, uint64_t length, uint8_t physical_address_bits)
{
    if (address & (alignment - 1))
        return false;
    uint64_t last = address + length - 1;
    return last >= address && !beyond(last, physical_address_bits);
}

/* Each byte of IA32_PAT is a memory type 0, 1, 4, 5, 6 or 7. */
bool pat_valid(uint64_t pat)
{
    for (unsigned i = 0; i < 8; ++i) {
        uint64_t type = (pat >> (8 * i)) & 0xFF;
        if (type == 2 || type == 3 || type > 7)
            return false;
    }
    return true;
}

struct Controls {
    uint64_t pin, primary, secondary, exit, entry;
    bool has(PinBasedControl bit) const { return pin & uint32_t(bit); }
    bool has(PrimaryProcessorControl bit) const { return primary & uint32_t(bit); }
    bool has(SecondaryProcessorControl bit) const { return secondary & uint32_t(bit); }
    bool has(ExitControl bit) const { return exit & uint32_t(bit); }
    bool has(EntryControl bit) const { return entry & uint32_t(bit); }
};

Controls controls_of(const Vmcs12& vmcs12)
{
    Controls c{vmcs12.get(E::pin_based_controls), vmcs12.get(E::primary_processor_controls), 0,
               vmcs12.get(E::exit_controls), vmcs12.get(E::entry_controls)};
    /* Without "activate secondary controls" the secondary controls act as 0. */
    if (c.has(PrimaryProcessorControl::secondary_controls))
        c.secondary = vmcs12.get(E::secondary_processor_controls);
    return c;
}

EptCapabilities12 ept_capabilities(const EntryContext& context)
{
    EptCapabilities12 capabilities;
    capabilities.execute_only = context.offered.ept_vpid_cap & (1ull << 0);
    capabilities.page_1g = context.offered.ept_vpid_cap & (1ull << 17);
    capabilities.accessed_dirty = context.offered.ept_vpid_cap & (1ull << 21);
    capabilities.physical_address_bits = context.physical_address_bits;
    return capabilities;
}

/* "Checks on VM-Entry Control Fields": the event to inject. */
EntryCheck check_event_injection_with(const Vmcs12& vmcs12, const Controls& c, const EntryContext& context)
{
    auto info = uint32_t(vmcs12.get(E::entry_interruption_information));
    if (!(info & EVENT_VALID))
        return {};
    uint32_t type = (info >> 8) & 7, vector = info & 0xFF;
    if (type == reserved_type)
        return control("VM-entry interruption type 1 is reserved");
    if (type == other_event &&
        (!(uint32_t(context.offered.primary_processor >> 32) & uint32_t(PrimaryProcessorControl::monitor_trap_flag)) ||
         vector != 0))
        return control("VM-entry interruption type 7 needs the monitor trap flag and vector 0");
    if (type == nmi && vector != 2)
        return control("an injected NMI has vector 2");
    if (type == hardware_exception && vector > 31)
        return control("an injected hardware exception has a vector up to 31");
    if (info & EVENT_RESERVED)
        return control("VM-entry interruption-information bits 30:12 are reserved");
    bool real_mode = c.has(SecondaryProcessorControl::unrestricted_guest) && !(vmcs12.get(E::guest_cr0) & CR0_PE);
    bool with_code_vector = vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
    bool error_code_expected = !real_mode && type == hardware_exception && with_code_vector;
    if (bool(info & EVENT_DELIVER_ERROR_CODE) != error_code_expected)
        return control("deliver-error-code is set exactly for the exceptions that push one (not in real mode)");
    if ((info & EVENT_DELIVER_ERROR_CODE) && (vmcs12.get(E::entry_exception_error_code) >> 16))
        return control("VM-entry exception error code bits 31:16 are 0");
    if (type == software_interrupt || type == privileged_software_exception || type == software_exception) {
        uint64_t length = vmcs12.get(E::entry_instruction_length);
        bool zero_allowed = context.offered.misc & (1ull << 30);
        if (length > 15 || (length == 0 && !zero_allowed))
            return control("VM-entry instruction length is 1 to 15 for a software event");
    }
    return {};
}

/* "Checks on VM-Exit Control Fields" and "... VM-Entry Control Fields": the MSR areas. */
EntryCheck check_msr_areas(const Vmcs12& vmcs12, const EntryContext& context)
{
    struct Area {
        E address, count;
        const char* rule;
    };
    const Area areas[] = {
        {E::exit_msr_store_address, E::exit_msr_store_count, "VM-exit MSR-store area 16-byte aligned below MAXPHYADDR"},
        {E::exit_msr_load_address, E::exit_msr_load_count, "VM-exit MSR-load area 16-byte aligned below MAXPHYADDR"},
        {E::entry_msr_load_address, E::entry_msr_load_count, "VM-entry MSR-load area 16-byte aligned below MAXPHYADDR"},
    };
    for (const Area& area : areas) {
        uint64_t count = vmcs12.get(area.count);
        if (count && !region_ok(vmcs12.get(area.address), 16, count * 16, context.physical_address_bits))
            return control(area.rule);
    }
    return {};
}

} // namespace

EntryCheck check_controls(const Vmcs12& vmcs12, const EntryContext& context)
{
    if (EntryCheck check = check_control_fields(vmcs12, context); !check.ok())
        return check;
    return check_event_injection(vmcs12, context);
}

EntryCheck check_event_injection(const Vmcs12& vmcs12, const EntryContext& context)
{
    return check_event_injection_with(vmcs12, controls_of(vmcs12), context);
}

EntryCheck check_control_fields(const Vmcs12& vmcs12, const EntryContext& context)
{
    const vmx::VmxCapabilities& offered = context.offered;
    Controls c = controls_of(vmcs12);
    if (!control_word_ok(c.pin, offered.control_msr(ControlWord::pin_based)))
        return control("pin-based controls within IA32_VMX_TRUE_PINBASED_CTLS");
    if (!control_word_ok(c.primary, offered.control_msr(ControlWord::primary_processor)))
        return control("primary processor-based controls within IA32_VMX_TRUE_PROCBASED_CTLS");
    if (!control_word_ok(c.secondary, offered.control_msr(ControlWord::secondary_processor)))
        return control("secondary processor-based controls within IA32_VMX_PROCBASED_CTLS2");
    if (!control_word_ok(c.exit, offered.control_msr(ControlWord::exit)))
        return control("VM-exit controls within IA32_VMX_TRUE_EXIT_CTLS");
    if (!control_word_ok(c.entry, offered.control_msr(ControlWord::entry)))
        return control("VM-entry controls within IA32_VMX_TRUE_ENTRY_CTLS");
    if (vmcs12.get(E::cr3_target_count) > ((offered.misc >> 16) & 0x1FF))
        return control("CR3-target count at most IA32_VMX_MISC bits 24:16");
    uint8_t bits = context.physical_address_bits;
    if (c.has(PrimaryProcessorControl::io_bitmaps) &&
        (!region_ok(vmcs12.get(E::io_bitmap_a), 4096, 4096, bits) ||
         !region_ok(vmcs12.get(E::io_bitmap_b), 4096, 4096, bits)))
        return control("I/O bitmap addresses 4-KByte aligned below MAXPHYADDR");
    if (c.has(PrimaryProcessorControl::msr_bitmaps) && !region_ok(vmcs12.get(E::msr_bitmap), 4096, 4096, bits))
        return control("MSR-bitmap address 4-KByte aligned below MAXPHYADDR");
    if (!c.has(PinBasedControl::nmi_exiting) && c.has(PinBasedControl::virtual_nmis))
        return control("virtual NMIs need NMI exiting");
    if (!c.has(PinBasedControl::virtual_nmis) && c.has(PrimaryProcessorControl::nmi_window_exiting))
        return control("NMI-window exiting needs virtual NMIs");
    if (c.has(SecondaryProcessorControl::vpid) && vmcs12.get(E::vpid) == 0)
        return control("enable VPID needs a VPID other than 0");
    if (c.has(SecondaryProcessorControl::ept)) {
        uint64_t eptp = vmcs12.get(E::ept_pointer);
        bool type_offered = (eptp & 7) == 6 ? offered.ept_vpid_cap & (1ull << 14) : offered.ept_vpid_cap & (1ull << 8);
        if (!eptp12_valid(eptp, ept_capabilities(context)) || !type_offered || !(offered.ept_vpid_cap & (1ull << 6)))
            return control("EPT pointer: an offered memory type, a 4-level walk, reserved bits 0");
    }
    if (c.has(SecondaryProcessorControl::unrestricted_guest) && !c.has(SecondaryProcessorControl::ept))
        return control("unrestricted guest needs enable EPT");
    if (!c.has(PinBasedControl::preemption_timer) && c.has(ExitControl::save_preemption_timer))
        return control("save VMX-preemption timer value needs activate VMX-preemption timer");
    if (EntryCheck areas = check_msr_areas(vmcs12, context); !areas.ok())
        return areas;
    if (c.has(EntryControl::entry_to_smm) || c.has(EntryControl::deactivate_dual_monitor))
        return control("entry to SMM and deactivate dual-monitor treatment are 0 outside SMM");
    return {};
}

EntryCheck check_host_state(const Vmcs12& vmcs12, const EntryContext& context)
{
    Controls c = controls_of(vmcs12);
    uint64_t cr0 = vmcs12.get(E::host_cr0), cr4 = vmcs12.get(E::host_cr4);
    if (vmx::fixed_bits_violated(cr0, vmx::cr0_fixed_bits(context.offered)))
        return host("host CR0 within IA32_VMX_CR0_FIXED0/FIXED1");
    if (vmx::fixed_bits_violated(cr4, vmx::cr4_fixed_bits(context.offered)))
        return host("host CR4 within IA32_VMX_CR4_FIXED0/FIXED1");
    if (beyond(vmcs12.get(E::host_cr3), context.physical_address_bits))
        return host("host CR3 bits beyond MAXPHYADDR are 0");
    if (!is_canonical(vmcs12.get(E::host_sysenter_esp)) || !is_canonical(vmcs12.get(E::host_sysenter_eip)))
        return host("host IA32_SYSENTER_ESP and _EIP canonical");
    if (c.has(ExitControl::load_pat) && !pat_valid(vmcs12.get(E::host_pat)))
        return host("host IA32_PAT holds valid memory types");
    bool host_64 = c.has(ExitControl::host_address_space_size);
    if (c.has(ExitControl::load_efer)) {
        uint64_t efer = vmcs12.get(E::host_efer);
        if (efer & ~EFER_DEFINED)
            return host("host IA32_EFER reserved bits are 0");
        if (bool(efer & EFER_LMA) != host_64 || bool(efer & EFER_LME) != host_64)
            return host("host IA32_EFER.LMA and LME equal the host address-space size");
    }
    const E selectors[] = {E::host_es_selector, E::host_cs_selector, E::host_ss_selector, E::host_ds_selector,
                           E::host_fs_selector, E::host_gs_selector, E::host_tr_selector};
    for (E selector : selectors) {
        if (vmcs12.get(selector) & 7)
            return host("host selectors have RPL 0 and TI 0");
    }
    if (vmcs12.get(E::host_cs_selector) == 0 || vmcs12.get(E::host_tr_selector) == 0)
        return host("host CS and TR selectors are not 0");
    if (!host_64 && vmcs12.get(E::host_ss_selector) == 0)
        return host("host SS selector is not 0 without host address-space size");
    const E bases[] = {E::host_fs_base, E::host_gs_base, E::host_gdtr_base, E::host_idtr_base, E::host_tr_base};
    for (E base : bases) {
        if (!is_canonical(vmcs12.get(base)))
            return host("host FS, GS, GDTR, IDTR and TR bases canonical");
    }
    /* "Checks Related to Address-Space Size". */
    if (context.l1_in_ia32e_mode != host_64)
        return host("host address-space size matches IA32_EFER.LMA of the VMX root");
    if (host_64) {
        if (!(cr4 & CR4_PAE))
            return host("host CR4.PAE is 1 with host address-space size");
        if (!is_canonical(vmcs12.get(E::host_rip)))
            return host("host RIP canonical with host address-space size");
    } else {
        if (c.has(EntryControl::ia32e_mode_guest))
            return host("IA-32e mode guest needs host address-space size");
        if ((cr4 & CR4_PCIDE) || (vmcs12.get(E::host_rip) >> 32))
            return host("host CR4.PCIDE 0 and RIP bits 63:32 0 without host address-space size");
    }
    return {};
}

namespace {

struct Segment {
    uint64_t selector, base, limit;
    uint32_t rights;
    bool usable() const { return !(rights & ar::UNUSABLE); }
};

Segment segment(const Vmcs12& vmcs12, E selector, E base, E limit, E rights)
{
    return {vmcs12.get(selector), vmcs12.get(base), vmcs12.get(limit), uint32_t(vmcs12.get(rights))};
}

/* The granularity rule: a limit with bits 11:0 not all 1 needs G = 0, a limit
 * above 0xFFFFF needs G = 1. */
bool limit_matches_granularity(const Segment& s)
{
    if ((s.limit & 0xFFF) != 0xFFF && (s.rights & ar::G))
        return false;
    return !((s.limit >> 20) && !(s.rights & ar::G));
}

/* "Checks on Guest Segment Registers", outside virtual-8086 mode. */
EntryCheck check_guest_segments(const Vmcs12& vmcs12, bool ia32e, bool unrestricted)
{
    Segment cs = segment(vmcs12, E::guest_cs_selector, E::guest_cs_base, E::guest_cs_limit, E::guest_cs_access_rights);
    Segment ss = segment(vmcs12, E::guest_ss_selector, E::guest_ss_base, E::guest_ss_limit, E::guest_ss_access_rights);
    Segment tr = segment(vmcs12, E::guest_tr_selector, E::guest_tr_base, E::guest_tr_limit, E::guest_tr_access_rights);
    Segment ldtr = segment(vmcs12, E::guest_ldtr_selector, E::guest_ldtr_base, E::guest_ldtr_limit,
                           E::guest_ldtr_access_rights);
    const Segment data[] = {
        segment(vmcs12, E::guest_ds_selector, E::guest_ds_base, E::guest_ds_limit, E::guest_ds_access_rights),
        segment(vmcs12, E::guest_es_selector, E::guest_es_base, E::guest_es_limit, E::guest_es_access_rights),
        segment(vmcs12, E::guest_fs_selector, E::guest_fs_base, E::guest_fs_limit, E::guest_fs_access_rights),
        segment(vmcs12, E::guest_gs_selector, E::guest_gs_base, E::guest_gs_limit, E::guest_gs_access_rights),
    };
    bool real_mode = unrestricted && !(vmcs12.get(E::guest_cr0) & CR0_PE);

    if (tr.selector & 4)
        return guest("guest TR selector TI 0");
    if (ldtr.usable() && (ldtr.selector & 4))
        return guest("guest LDTR selector TI 0 when usable");
    if (!unrestricted && (ss.selector & 3) != (cs.selector & 3))
        return guest("guest SS RPL equals CS RPL");
    if (!is_canonical(tr.base) || !is_canonical(data[2].base) || !is_canonical(data[3].base) ||
        (ldtr.usable() && !is_canonical(ldtr.base)))
        return guest("guest TR, FS, GS and usable LDTR bases canonical");
    if ((cs.base >> 32) || (ss.usable() && (ss.base >> 32)) || (data[0].usable() && (data[0].base >> 32)) ||
        (data[1].usable() && (data[1].base >> 32)))
        return guest("guest CS, SS, DS, ES base bits 63:32 are 0");

    uint32_t cs_type = cs.rights & ar::TYPE;
    if (!(cs_type == 9 || cs_type == 11 || cs_type == 13 || cs_type == 15 || (unrestricted && cs_type == 3)))
        return guest("guest CS type is an accessed code segment (or 3 for an unrestricted guest)");
    if (!(cs.rights & ar::S) || !(cs.rights & ar::P) || (cs.rights & ar::RESERVED) || (cs.rights & ar::UNUSABLE))
        return guest("guest CS is a usable, present code/data descriptor without reserved bits");
    if (cs_type == 3 && ar::dpl(cs.rights) != 0)
        return guest("guest CS DPL 0 for type 3");
    if ((cs_type == 9 || cs_type == 11) && ar::dpl(cs.rights) != ar::dpl(ss.rights))
        return guest("guest CS DPL equals SS DPL for a non-conforming code segment");
    if ((cs_type == 13 || cs_type == 15) && ar::dpl(cs.rights) > ar::dpl(ss.rights))
        return guest("guest CS DPL at most SS DPL for a conforming code segment");
    if (ia32e && (cs.rights & ar::L) && (cs.rights & ar::DB))
        return guest("guest CS.L and CS.D not both 1 in IA-32e mode");
    if (!limit_matches_granularity(cs))
        return guest("guest CS limit matches its granularity");

    if (ss.usable()) {
        uint32_t ss_type = ss.rights & ar::TYPE;
        if ((ss_type != 3 && ss_type != 7) || !(ss.rights & ar::S) || !(ss.rights & ar::P) ||
            (ss.rights & ar::RESERVED) || !limit_matches_granularity(ss))
            return guest("guest SS is a present read/write data segment without reserved bits");
    }
    if (!unrestricted && ar::dpl(ss.rights) != (ss.selector & 3))
        return guest("guest SS DPL equals its RPL");
    if (real_mode && ar::dpl(ss.rights) != 0)
        return guest("guest SS DPL 0 with CR0.PE 0");
    for (const Segment& s : data) {
        if (!s.usable())
            continue;
        if (!(s.rights & ar::ACCESSED) || ((s.rights & ar::CODE) && !(s.rights & ar::READABLE)) ||
            !(s.rights & ar::S) || !(s.rights & ar::P) || (s.rights & ar::RESERVED) || !limit_matches_granularity(s))
            return guest("guest DS, ES, FS, GS: accessed, readable, present, without reserved bits");
    }

    uint32_t tr_type = tr.rights & ar::TYPE;
    if (!(tr_type == 11 || (!ia32e && tr_type == 3)) || (tr.rights & ar::S) || !(tr.rights & ar::P) ||
        (tr.rights & ar::RESERVED) || (tr.rights & ar::UNUSABLE) || !limit_matches_granularity(tr))
        return guest("guest TR is a present, usable, busy TSS without reserved bits");
    if (ldtr.usable() && ((ldtr.rights & ar::TYPE) != 2 || (ldtr.rights & ar::S) || !(ldtr.rights & ar::P) ||
                          (ldtr.rights & ar::RESERVED) || !limit_matches_granularity(ldtr)))
        return guest("guest LDTR, when usable, is a present LDT without reserved bits");
    return {};
}

/* "Checks on Guest Control Registers, Debug Registers, and MSRs". */
EntryCheck check_guest_registers(const Vmcs12& vmcs12, const Controls& c, const EntryContext& context)
{
    bool unrestricted = c.has(SecondaryProcessorControl::unrestricted_guest);
    bool ia32e = c.has(EntryControl::ia32e_mode_guest);
    uint64_t cr0 = vmcs12.get(E::guest_cr0), cr4 = vmcs12.get(E::guest_cr4);
    if (vmx::fixed_bits_violated(cr0, vmx::cr0_fixed_bits(context.offered, unrestricted)))
        return guest("guest CR0 within IA32_VMX_CR0_FIXED0/FIXED1 (PE and PG free for an unrestricted guest)");
    if ((cr0 & CR0_PG) && !(cr0 & CR0_PE))
        return guest("guest CR0.PG needs CR0.PE");
    if (vmx::fixed_bits_violated(cr4, vmx::cr4_fixed_bits(context.offered)))
        return guest("guest CR4 within IA32_VMX_CR4_FIXED0/FIXED1");
    if (c.has(EntryControl::load_debug_controls) && (vmcs12.get(E::guest_dr7) >> 32))
        return guest("guest DR7 bits 63:32 are 0 with load debug controls");
    if (ia32e && (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE)))
        return guest("IA-32e mode guest needs CR0.PG and CR4.PAE");
    if (!ia32e && (cr4 & CR4_PCIDE))
        return guest("guest CR4.PCIDE needs IA-32e mode guest");
    if (beyond(vmcs12.get(E::guest_cr3), context.physical_address_bits))
        return guest("guest CR3 bits beyond MAXPHYADDR are 0");
    if (!is_canonical(vmcs12.get(E::guest_sysenter_esp)) || !is_canonical(vmcs12.get(E::guest_sysenter_eip)))
        return guest("guest IA32_SYSENTER_ESP and _EIP canonical");
    if (c.has(EntryControl::load_pat) && !pat_valid(vmcs12.get(E::guest_pat)))
        return guest("guest IA32_PAT holds valid memory types");
    if (c.has(EntryControl::load_efer)) {
        uint64_t efer = vmcs12.get(E::guest_efer);
        if (efer & ~EFER_DEFINED)
            return guest("guest IA32_EFER reserved bits are 0");
        if (bool(efer & EFER_LMA) != ia32e)
            return guest("guest IA32_EFER.LMA equals IA-32e mode guest");
        if ((cr0 & CR0_PG) && bool(efer & EFER_LME) != bool(efer & EFER_LMA))
            return guest("guest IA32_EFER.LME equals LMA with CR0.PG");
    }
    return {};
}

/* "Checks on Guest Descriptor-Table Registers" and "... RIP, RFLAGS, and SSP". */
EntryCheck check_guest_rip_and_tables(const Vmcs12& vmcs12, const Controls& c)
{
    if (!is_canonical(vmcs12.get(E::guest_gdtr_base)) || !is_canonical(vmcs12.get(E::guest_idtr_base)))
        return guest("guest GDTR and IDTR bases canonical");
    if ((vmcs12.get(E::guest_gdtr_limit) >> 16) || (vmcs12.get(E::guest_idtr_limit) >> 16))
        return guest("guest GDTR and IDTR limit bits 31:16 are 0");
    bool ia32e = c.has(EntryControl::ia32e_mode_guest);
    bool long_mode_cs = ia32e && (vmcs12.get(E::guest_cs_access_rights) & ar::L);
    uint64_t rip = vmcs12.get(E::guest_rip);
    if (long_mode_cs ? !is_canonical(rip) : bool(rip >> 32))
        return guest("guest RIP canonical in 64-bit mode, bits 63:32 0 otherwise");
    uint64_t rflags = vmcs12.get(E::guest_rflags);
    if ((rflags & RFLAGS_RESERVED_0) || !(rflags & RFLAGS_RESERVED_1))
        return guest("guest RFLAGS reserved bits as defined (bit 1 set, 63:22, 15, 5, 3 clear)");
    if ((rflags & RFLAGS_VM) && (ia32e || !(vmcs12.get(E::guest_cr0) & CR0_PE)))
        return guest("guest RFLAGS.VM 0 in IA-32e mode or with CR0.PE 0");
    auto info = uint32_t(vmcs12.get(E::entry_interruption_information));
    if ((info & EVENT_VALID) && ((info >> 8) & 7) == external_interrupt && !(rflags & RFLAGS_IF))
        return guest("guest RFLAGS.IF 1 when an external interrupt is injected");
    return {};
}

/* "Checks on Guest Non-Register State". */
EntryCheck check_guest_non_register_state(const Vmcs12& vmcs12, const Controls& c, const EntryContext& context)
{
    uint64_t activity = vmcs12.get(E::guest_activity_state);
    /* IA32_VMX_MISC bits 8:6 say which of HLT (1), shutdown (2), wait-for-SIPI (3) exist. */
    if (activity > 3 || (activity != 0 && !(context.offered.misc & (1ull << (5 + activity)))))
        return guest("guest activity state one IA32_VMX_MISC offers");
    if (activity == 1 && ar::dpl(uint32_t(vmcs12.get(E::guest_ss_access_rights))) != 0)
        return guest("guest activity state HLT needs SS DPL 0");
    uint64_t blocking = vmcs12.get(E::guest_interruptibility_state);
    if (blocking & INTERRUPTIBILITY_RESERVED)
        return guest("guest interruptibility bits 31:5 are 0");
    if ((blocking & BLOCKING_BY_STI) && (blocking & BLOCKING_BY_MOV_SS))
        return guest("guest blocking by STI and by MOV SS not both");
    if ((blocking & BLOCKING_BY_STI) && !(vmcs12.get(E::guest_rflags) & RFLAGS_IF))
        return guest("guest blocking by STI needs RFLAGS.IF");
    if (blocking & BLOCKING_BY_SMI)
        return guest("guest blocking by SMI 0 outside SMM");
    auto info = uint32_t(vmcs12.get(E::entry_interruption_information));
    uint32_t type = (info >> 8) & 7;
    if ((info & EVENT_VALID) && type == external_interrupt && (blocking & (BLOCKING_BY_STI | BLOCKING_BY_MOV_SS)))
        return guest("no blocking by STI or MOV SS when an external interrupt is injected");
    if ((info & EVENT_VALID) && type == nmi && (blocking & BLOCKING_BY_MOV_SS))
        return guest("no blocking by MOV SS when an NMI is injected");
    if ((info & EVENT_VALID) && type == nmi && c.has(PinBasedControl::virtual_nmis) && (blocking & BLOCKING_BY_NMI))
        return guest("no blocking by NMI when a virtual NMI is injected");
    if (vmcs12.get(E::guest_pending_debug_exceptions) & PENDING_DEBUG_RESERVED)
        return guest("guest pending debug exceptions reserved bits are 0");

    uint64_t link = vmcs12.get(E::vmcs_link_pointer);
    if (link != NO_CURRENT_VMCS) {
        /* VMCS shadowing is not offered, so a linked VMCS must be an ordinary one. */
        uint32_t revision = 0;
        if ((link & 0xFFF) || beyond(link, context.physical_address_bits) ||
            !context.l1_memory.read(link, &revision, sizeof revision) || revision != VMCS12_REVISION_ID)
            return fail(EntryFailure::guest_state, "VMCS link pointer all ones or a VMCS with our revision",
                        ENTRY_QUALIFICATION_LINK_POINTER);
    }
    return {};
}

/* PAE paging with EPT takes its PDPTEs from the VMCS ("Checks on Guest
 * Page-Directory-Pointer-Table Entries"): a present one with reserved bits fails. */
EntryCheck check_guest_pdptes(const Vmcs12& vmcs12, const Controls& c, const EntryContext& context)
{
    bool pae_paging = (vmcs12.get(E::guest_cr0) & CR0_PG) && (vmcs12.get(E::guest_cr4) & CR4_PAE) &&
                      !c.has(EntryControl::ia32e_mode_guest);
    if (!pae_paging || !c.has(SecondaryProcessorControl::ept))
        return {};
    const E pdptes[] = {E::guest_pdpte0, E::guest_pdpte1, E::guest_pdpte2, E::guest_pdpte3};
    uint64_t reserved = 0x1E6ull | (~0ull << context.physical_address_bits);
    for (E pdpte : pdptes) {
        uint64_t value = vmcs12.get(pdpte);
        if ((value & 1) && (value & reserved))
            return guest("present guest PDPTEs have reserved bits 0");
    }
    return {};
}

} // namespace

EntryCheck check_guest_state(const Vmcs12& vmcs12, const EntryContext& context, GuestChecksPassed passed)
{
    Controls c = controls_of(vmcs12);
    if (!passed.registers) {
        if (EntryCheck check = check_guest_registers(vmcs12, c, context); !check.ok())
            return check;
    }
    bool virtual_8086 = vmcs12.get(E::guest_rflags) & RFLAGS_VM;
    if (virtual_8086) {
        /* FIXME: the virtual-8086 segment rules (base = selector * 16, limit 0xFFFF,
         * rights 0xF3) are not checked; our L1 never enters L2 in virtual-8086
         * mode, so we refuse it rather than run it unchecked. */
        return guest("guest RFLAGS.VM: virtual-8086 mode is not supported for L2");
    }
    if (!passed.segments) {
        if (EntryCheck check = check_guest_segments(vmcs12, c.has(EntryControl::ia32e_mode_guest),
                                                    c.has(SecondaryProcessorControl::unrestricted_guest));
            !check.ok())
            return check;
    }
    if (EntryCheck check = check_guest_rip_and_tables(vmcs12, c); !check.ok())
        return check;
    if (EntryCheck check = check_guest_non_register_state(vmcs12, c, context); !check.ok())
        return check;
    return passed.pdptes ? EntryCheck{} : check_guest_pdptes(vmcs12, c, context);
}

EntryCheck check_entry(const Vmcs12& vmcs12, const EntryContext& context)
{
    if (EntryCheck check = check_controls(vmcs12, context); !check.ok())
        return check;
    if (EntryCheck check = check_host_state(vmcs12, context); !check.ok())
        return check;
    return check_guest_state(vmcs12, context);
}

} // namespace nested
