/* A VM exit from L2 to L1 on VMCS12; see vm_exit12.h. */
#include "hypervisor/nested/vm_exit12.h"

#include "arch/x86_64/control_registers.h"

namespace nested {

using vmx::EntryControl;
using vmx::ExitControl;
using E = vmx::VmcsEncoding;

namespace {

constexpr uint32_t EVENT_VALID = 1u << 31;
/* "Loading Host Control Registers ...": CR0.ET, CD, NW and the reserved bits
 * 63:32, 28:19, 17, 15:6 keep their values. */
constexpr uint64_t CR0_KEPT = CR0_ET | CR0_CD | CR0_NW | (~0ull << 32) | (0x3FFull << 19) | (1ull << 17) |
                              (0x3FFull << 6);
constexpr uint64_t CR4_PCIDE = 1ull << 17;
/* Segment access rights of the loaded host segments. */
constexpr uint64_t AR_CODE_64 = 0xA09B; /* execute/read accessed, S, P, L, G */
constexpr uint64_t AR_CODE_32 = 0xC09B; /* ... D instead of L */
constexpr uint64_t AR_DATA = 0xC093;    /* read/write accessed, S, P, D/B, G */
constexpr uint64_t AR_BUSY_TSS = 0x8B;
constexpr uint64_t AR_UNUSABLE = 0x10000;
constexpr uint64_t DR7_INIT = 0x400;

/* MSRs an MSR-load area may not name ("Loading MSRs"). */
constexpr uint32_t MSR_SMM_MONITOR_CTL = 0x9B;
constexpr uint32_t MSR_FS_BASE = 0xC0000100, MSR_GS_BASE = 0xC0000101;

struct MsrEntry {
    uint32_t index;
    uint32_t reserved;
    uint64_t value;
};
static_assert(sizeof(MsrEntry) == 16, "the SDM's MSR-area entry is 16 bytes");

bool refused_in_msr_area(uint32_t msr)
{
    return (msr >> 8) == 0x8 || msr == MSR_SMM_MONITOR_CTL || msr == MSR_FS_BASE || msr == MSR_GS_BASE;
}

} // namespace

void record_exit(Vmcs12& vmcs12, const ExitRecord& record)
{
    vmcs12.set(E::exit_reason, record.reason);
    vmcs12.set(E::exit_qualification, record.qualification);
    vmcs12.set(E::guest_linear_address, record.guest_linear_address);
    vmcs12.set(E::guest_physical_address, record.guest_physical_address);
    vmcs12.set(E::exit_interruption_information, record.interruption_information);
    vmcs12.set(E::exit_interruption_error_code, record.interruption_error_code);
    vmcs12.set(E::idt_vectoring_information, record.idt_vectoring_information);
    vmcs12.set(E::idt_vectoring_error_code, record.idt_vectoring_error_code);
    vmcs12.set(E::exit_instruction_length, record.instruction_length);
    vmcs12.set(E::exit_instruction_information, record.instruction_information);
    vmcs12.set(E::entry_interruption_information, vmcs12.get(E::entry_interruption_information) & ~uint64_t(EVENT_VALID));
}

void save_composed_state(Vmcs12& vmcs12, const L2ComposedState& state)
{
    auto exit = uint32_t(vmcs12.get(E::exit_controls));
    vmcs12.set(E::guest_cr0, state.cr0);
    vmcs12.set(E::guest_cr4, state.cr4);
    if (exit & uint32_t(ExitControl::save_efer))
        vmcs12.set(E::guest_efer, state.efer);
    if (exit & uint32_t(ExitControl::save_pat))
        vmcs12.set(E::guest_pat, state.pat);
    if (exit & uint32_t(ExitControl::save_preemption_timer))
        vmcs12.set(E::preemption_timer_value, state.preemption_timer);
    uint64_t entry = vmcs12.get(E::entry_controls) & ~uint64_t(EntryControl::ia32e_mode_guest);
    if (state.efer & EFER_LMA)
        entry |= uint32_t(EntryControl::ia32e_mode_guest);
    vmcs12.set(E::entry_controls, entry);
}

size_t l1_state_after_exit(const Vmcs12& vmcs12, const L1StateBefore& before, FieldValue* out, bool& l1_ia32e)
{
    auto exit = uint32_t(vmcs12.get(E::exit_controls));
    bool host_64 = exit & uint32_t(ExitControl::host_address_space_size);
    l1_ia32e = host_64;
    size_t n = 0;
    auto put = [&](E field, uint64_t value) { out[n++] = FieldValue{field, value}; };

    put(E::guest_cr0, (vmcs12.get(E::host_cr0) & ~CR0_KEPT) | (before.cr0 & CR0_KEPT));
    put(E::guest_cr3, vmcs12.get(E::host_cr3));
    uint64_t cr4 = vmcs12.get(E::host_cr4);
    put(E::guest_cr4, host_64 ? cr4 | CR4_PAE : cr4 & ~CR4_PCIDE);
    put(E::guest_dr7, DR7_INIT);
    put(E::guest_debugctl, 0);
    put(E::guest_sysenter_cs, vmcs12.get(E::host_sysenter_cs));
    put(E::guest_sysenter_esp, vmcs12.get(E::host_sysenter_esp));
    put(E::guest_sysenter_eip, vmcs12.get(E::host_sysenter_eip));
    uint64_t efer = before.efer;
    if (exit & uint32_t(ExitControl::load_efer))
        efer = vmcs12.get(E::host_efer);
    else
        efer = host_64 ? efer | EFER_LMA | EFER_LME : efer & ~(EFER_LMA | EFER_LME);
    put(E::guest_efer, efer);
    put(E::guest_pat, (exit & uint32_t(ExitControl::load_pat)) ? vmcs12.get(E::host_pat) : before.pat);

    /* "Loading Host Segment and Descriptor-Table Registers". */
    put(E::guest_cs_selector, vmcs12.get(E::host_cs_selector));
    put(E::guest_cs_base, 0);
    put(E::guest_cs_limit, 0xFFFFFFFF);
    put(E::guest_cs_access_rights, host_64 ? AR_CODE_64 : AR_CODE_32);
    struct Data {
        E selector, host_selector, base, limit, rights;
        uint64_t base_value;
    };
    const Data data[] = {
        {E::guest_ss_selector, E::host_ss_selector, E::guest_ss_base, E::guest_ss_limit, E::guest_ss_access_rights, 0},
        {E::guest_ds_selector, E::host_ds_selector, E::guest_ds_base, E::guest_ds_limit, E::guest_ds_access_rights, 0},
        {E::guest_es_selector, E::host_es_selector, E::guest_es_base, E::guest_es_limit, E::guest_es_access_rights, 0},
        {E::guest_fs_selector, E::host_fs_selector, E::guest_fs_base, E::guest_fs_limit, E::guest_fs_access_rights,
         vmcs12.get(E::host_fs_base)},
        {E::guest_gs_selector, E::host_gs_selector, E::guest_gs_base, E::guest_gs_limit, E::guest_gs_access_rights,
         vmcs12.get(E::host_gs_base)},
    };
    for (const Data& d : data) {
        uint64_t selector = vmcs12.get(d.host_selector);
        put(d.selector, selector);
        put(d.base, d.base_value);
        put(d.limit, 0xFFFFFFFF);
        /* A null selector leaves the register unusable (SS too, as 64-bit code runs with it). */
        put(d.rights, selector ? AR_DATA : AR_UNUSABLE);
    }
    put(E::guest_tr_selector, vmcs12.get(E::host_tr_selector));
    put(E::guest_tr_base, vmcs12.get(E::host_tr_base));
    put(E::guest_tr_limit, 0x67);
    put(E::guest_tr_access_rights, AR_BUSY_TSS);
    put(E::guest_ldtr_selector, 0);
    put(E::guest_ldtr_access_rights, AR_UNUSABLE);
    put(E::guest_gdtr_base, vmcs12.get(E::host_gdtr_base));
    put(E::guest_gdtr_limit, 0xFFFF);
    put(E::guest_idtr_base, vmcs12.get(E::host_idtr_base));
    put(E::guest_idtr_limit, 0xFFFF);

    /* "Loading Host RIP, RSP, RFLAGS, and SSP"; no blocking, active, nothing pending. */
    put(E::guest_rip, vmcs12.get(E::host_rip));
    put(E::guest_rsp, vmcs12.get(E::host_rsp));
    put(E::guest_rflags, RFLAGS_RESERVED_1);
    put(E::guest_interruptibility_state, 0);
    put(E::guest_activity_state, 0);
    put(E::guest_pending_debug_exceptions, 0);
    return n;
}

bool changes_l1_state_after_exit(const FieldSet& changed)
{
    static const int exit_controls = field_slot(uint64_t(E::exit_controls));
    return changed.has(size_t(exit_controls)) || changed.intersects(field_group(FieldGroup::host_state));
}

uint32_t load_msr_area(guest_paging::GuestPhysicalReader& l1_memory, uint64_t area, uint32_t count, MsrSink& sink)
{
    for (uint32_t i = 0; i < count; ++i) {
        if (i == MSR_AREA_LIMIT)
            return i + 1;
        MsrEntry entry{};
        if (!l1_memory.read(area + uint64_t(i) * sizeof entry, &entry, sizeof entry) || entry.reserved != 0 ||
            refused_in_msr_area(entry.index) || !sink.write(entry.index, entry.value))
            return i + 1;
    }
    return 0;
}

uint32_t store_msr_area(guest_paging::GuestPhysicalMemory& l1_memory, uint64_t area, uint32_t count,
                        MsrSource& source)
{
    for (uint32_t i = 0; i < count; ++i) {
        if (i == MSR_AREA_LIMIT)
            return i + 1;
        uint64_t address = area + uint64_t(i) * sizeof(MsrEntry);
        MsrEntry entry{};
        if (!l1_memory.read(address, &entry, sizeof entry) || entry.reserved != 0 || (entry.index >> 8) == 0x8 ||
            !source.read(entry.index, entry.value) || !l1_memory.write(address + 8, &entry.value, sizeof entry.value))
            return i + 1;
    }
    return 0;
}

} // namespace nested
