/* Filling in a fresh VMCS, one function per area of the Intel SDM (revision 084),
 * Vol. 3C, chapter "Virtual Machine Control Structures": "VM-Execution Control
 * Fields", "VM-Exit Control Fields", "VM-Entry Control Fields", "Host-State
 * Area" and "Guest-State Area", checked against chapter "VM Entries", "Checks on
 * VMX Controls and Host-State Area" and "Checks on the Guest State Area". */
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "console/log.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/platform.h"
#include "hypervisor/vmx/io_bitmap.h"
#include "hypervisor/vmx/msr_bitmap.h"
#include "hypervisor/vmx/vmx_support.h"
#include "hypervisor/vmx/vmx_tlb.h"
#include "hypervisor/vmx/vmx_vcpu.h"
#include "hypervisor/vmx/vpid_pool.h"
#include "lib/format.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"

#include <initializer_list>

namespace vmx {

namespace {


/* Access rights (SDM "Guest Segment Registers"): bit 16 marks a register unusable. */
constexpr uint32_t ACCESS_UNUSABLE = 1u << 16;
constexpr uint32_t ACCESS_TSS32_BUSY = 0x8B;

/* Settles one control word and writes it; on a missing required bit, `why` names
 * what the CPU lacks (ENOSYS: this CPU cannot run our VMs). */
Result<void> write_controls(VmcsField32 field, ControlWord word, uint32_t required, uint32_t optional,
                            uint32_t& value_out, Failure& why)
{
    ControlSetting setting = settle_controls(host_vmx_capabilities(), word, required, optional);
    if (!setting.ok()) {
        char names[120];
        describe_control_bits(word, setting.missing, names, sizeof(names));
        return why.set(ENOSYS, "this CPU lacks the %s control(s): %s", control_word_name(word), names);
    }
    vmcs_write(field, setting.value);
    value_out = setting.value;
    return {};
}

} // namespace

Result<void> VmxVcpu::setup_controls(Failure& why)
{
    uint32_t value;
    /* Pin-based: external interrupts and NMIs belong to the host; the preemption
     * timer bounds every guest time slice, because in Bochs an external
     * interrupt does not cause an exit while the guest runs with IF=0. Virtual
     * NMIs where the CPU has them: with NMI exiting, IRET no longer unblocks
     * NMIs, so without them the first NMI injected into the guest would block
     * every later one; with them the CPU blocks from an injected NMI to the
     * guest's IRET (SDM "Changes to Instruction Behavior in VMX Non-Root
     * Operation", IRET; "Virtual-NMI Blocking"). */
    TRY(write_controls(VmcsField::pin_based_controls, ControlWord::pin_based,
                       control_mask(PinBasedControl::external_interrupt_exiting, PinBasedControl::nmi_exiting,
                                    PinBasedControl::preemption_timer),
                       control_mask(PinBasedControl::virtual_nmis), value, why));
    virtual_nmis_ = value & uint32_t(PinBasedControl::virtual_nmis);
    /* Primary processor-based: HLT exits, port I/O and MSRs exit as their
     * bitmaps say (the devices are ours; see setup_io_bitmaps()), interrupt-window
     * exiting must be possible. MOV to and from CR8 exit: without a TPR shadow
     * they would reach the host's own local APIC, whose raised priority would
     * hold back host interrupts; they are the guest APIC's TPR instead. */
    uint32_t required = control_mask(PrimaryProcessorControl::hlt_exiting, PrimaryProcessorControl::io_bitmaps,
                                     PrimaryProcessorControl::msr_bitmaps, PrimaryProcessorControl::secondary_controls,
                                     PrimaryProcessorControl::cr8_load_exiting, PrimaryProcessorControl::cr8_store_exiting);
    TRY(write_controls(VmcsField::primary_processor_controls, ControlWord::primary_processor, required,
                       control_mask(PrimaryProcessorControl::mwait_exiting, PrimaryProcessorControl::monitor_exiting,
                                    PrimaryProcessorControl::tsc_offsetting),
                       primary_controls_, why));
    offsets_tsc_ = primary_controls_ & uint32_t(PrimaryProcessorControl::tsc_offsetting);
    ControlSetting window = settle_controls(host_vmx_capabilities(), ControlWord::primary_processor,
                                            required | uint32_t(PrimaryProcessorControl::interrupt_window_exiting));
    if (!window.ok())
        return why.set(ENOSYS, "this CPU lacks interrupt-window exiting");
    /* Secondary: EPT and unrestricted guest (a Multiboot kernel starts with paging
     * off, which VMX allows only to an unrestricted guest); VPID when there. */
    uint32_t secondary;
    TRY(write_controls(VmcsField::secondary_processor_controls, ControlWord::secondary_processor,
                       control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::unrestricted_guest),
                       control_mask(SecondaryProcessorControl::vpid, SecondaryProcessorControl::rdtscp,
                                    SecondaryProcessorControl::invpcid),
                       secondary, why));
    /* Exit: back to a 64-bit host; EFER saved for the guest and loaded for the
     * host; the preemption timer's remaining count saved where the CPU can; the
     * host's PAT loaded where the CPU can (then the guest's is loaded on entry). */
    TRY(write_controls(VmcsField::exit_controls, ControlWord::exit,
                       control_mask(ExitControl::host_address_space_size, ExitControl::save_efer, ExitControl::load_efer),
                       control_mask(ExitControl::save_preemption_timer, ExitControl::load_pat), value, why));
    saves_preemption_timer_ = value & uint32_t(ExitControl::save_preemption_timer);
    bool exit_loads_pat = value & uint32_t(ExitControl::load_pat);
    /* Entry: the guest's EFER (and PAT, kept per VM) come from the VMCS; it
     * starts outside IA-32e mode. The guest's PAT is loaded only if the host's
     * comes back on exit. */
    TRY(write_controls(VmcsField::entry_controls, ControlWord::entry, control_mask(EntryControl::load_efer),
                       exit_loads_pat ? control_mask(EntryControl::load_pat) : 0, value, why));
    loads_pat_ = value & uint32_t(EntryControl::load_pat);
    vmcs_write(VmcsField::tsc_offset, 0);

    /* A VPID from the pool, never 0 (the host's) and never a live VM's; release()
     * invalidates it and gives it back. prepare() runs this with interrupts off. */
    if (secondary & uint32_t(SecondaryProcessorControl::vpid)) {
        vpid_ = vpid_pool().allocate();
        if (vpid_ == VpidPool::NONE)
            return why.set(EAGAIN, "every VPID is in use by another VM");
        vmcs_write(VmcsField::vpid, vpid_);
    }
    /* #UD only: AMD's VMMCALL raises it here and is emulated as a hypercall. */
    vmcs_write(VmcsField::exception_bitmap, 1u << 6);
    vmcs_write(VmcsField::cr3_target_count, 0);
    vmcs_write(VmcsField::ept_pointer, ept_.pointer());
    vmcs_write(VmcsField::msr_bitmap, msr_bitmap_);
    setup_io_bitmaps();

    /* CR0.NE and CR4.VMXE must stay set under VMX; the guest sees its own values
     * through the read shadows, and a write to a masked bit exits. CR4.OSXSAVE is
     * masked too: XSAVE is hidden from guests, so setting it must fault. */
    cr0_mask_ = CR0_NE;
    cr4_mask_ = CR4_VMXE | CR4_OSXSAVE;
    vmcs_write(VmcsField::cr0_guest_host_mask, cr0_mask_);
    vmcs_write(VmcsField::cr4_guest_host_mask, cr4_mask_);

    /* No MSR areas: the syscall MSRs are switched lazily (load_swapped_msrs(),
     * arch/x86_64/syscall_msrs.h), which spares a hypervisor that runs this
     * kernel as its guest the emulation of three areas at every nested exit. */
    vmcs_write(VmcsField::entry_msr_load_count, 0);
    vmcs_write(VmcsField::exit_msr_store_count, 0);
    vmcs_write(VmcsField::exit_msr_load_count, 0);

    auto* bitmap = phys_to_virt<uint8_t>(msr_bitmap_);
    msr_bitmap::deny_all(bitmap);
    /* The swapped MSRs (the guest's values are in the CPU while it runs), and
     * FS and GS bases (part of the VMCS guest state), are safe to pass through;
     * all of them lie in the bitmap's ranges. */
    for (Msr msr : syscall_msrs::MSRS)
        KERNEL_ASSERT(msr_bitmap::allow(bitmap, uint32_t(msr)));
    KERNEL_ASSERT(msr_bitmap::allow(bitmap, uint32_t(Msr::fs_base)));
    KERNEL_ASSERT(msr_bitmap::allow(bitmap, uint32_t(Msr::gs_base)));

    /* IA32_VMX_MISC bits 4:0: the preemption timer counts once every 2^X TSC ticks. */
    preemption_timer_shift_ = host_vmx_capabilities().misc & 0x1F;
    return {};
}

void VmxVcpu::set_guest_tsc(uint64_t value)
{
    if (!offsets_tsc_)
        return;
    tsc_offset_ = value - cpu::rdtsc();
    vmcs_write(VmcsField::tsc_offset, tsc_offset_);
}

void VmxVcpu::set_guest_pat(uint64_t value)
{
    guest_pat_ = value;
    if (loads_pat_)
        vmcs_write(VmcsField::guest_pat, value);
}

bool VmxVcpu::read_swapped_msr(Msr msr, uint64_t& value)
{
    size_t index = syscall_msrs::index_of(msr);
    if (index == syscall_msrs::COUNT)
        return false;
    value = syscall_msrs::read(swapped_msrs_, index);
    return true;
}

bool VmxVcpu::write_swapped_msr(Msr msr, uint64_t value)
{
    size_t index = syscall_msrs::index_of(msr);
    if (index == syscall_msrs::COUNT)
        return false;
    syscall_msrs::write(swapped_msrs_, index, value);
    return true;
}

/* Every port exits to the device models or the empty bus's answer (a clear bit
 * would hand the guest the host's hardware), except the few host ports the
 * platform names as safe to pass through (VirtualPlatform::PASS_THROUGH_PORTS). */
void VmxVcpu::setup_io_bitmaps()
{
    io_bitmap::Bitmaps bitmaps{phys_to_virt<uint8_t>(io_bitmap_a_), phys_to_virt<uint8_t>(io_bitmap_b_)};
    io_bitmap::exit_on_every_port(bitmaps);
    if (!VirtualPlatform::exit_on_every_port())
        for (uint16_t port : VirtualPlatform::PASS_THROUGH_PORTS)
            io_bitmap::pass_through(bitmaps, port);
    vmcs_write(VmcsField::io_bitmap_a, io_bitmap_a_);
    vmcs_write(VmcsField::io_bitmap_b, io_bitmap_b_);
}

void VmxVcpu::setup_host_state()
{
    /* What the CPU loads on every VM exit (SDM "Loading Host State"): this
     * kernel's own control registers, segments and descriptor tables. HOST_RSP
     * and HOST_CR3 are rewritten before every entry (vm_entry.S, before_entry). */
    vmcs_write(VmcsField::host_cr0, cpu::read_cr0());
    host_cr3_ = cpu::read_cr3();
    vmcs_write(VmcsField::host_cr3, host_cr3_);
    vmcs_write(VmcsField::host_cr4, cpu::read_cr4());
    vmcs_write(VmcsField::host_cs_selector, gdt::KERNEL_CODE_SELECTOR);
    for (VmcsField16 field : {VmcsField::host_ss_selector, VmcsField::host_ds_selector, VmcsField::host_es_selector})
        vmcs_write(field, gdt::KERNEL_DATA_SELECTOR);
    vmcs_write(VmcsField::host_fs_selector, 0);
    vmcs_write(VmcsField::host_gs_selector, 0);
    vmcs_write(VmcsField::host_tr_selector, gdt::tss_selector());
    vmcs_write(VmcsField::host_fs_base, cpu::rdmsr(Msr::fs_base));
    vmcs_write(VmcsField::host_gs_base, cpu::rdmsr(Msr::gs_base));
    vmcs_write(VmcsField::host_tr_base, gdt::tss_base());
    vmcs_write(VmcsField::host_gdtr_base, gdt::base());
    vmcs_write(VmcsField::host_idtr_base, idt::base());
    vmcs_write(VmcsField::host_sysenter_cs, 0);
    vmcs_write(VmcsField::host_sysenter_esp, 0);
    vmcs_write(VmcsField::host_sysenter_eip, 0);
    vmcs_write(VmcsField::host_efer, cpu::rdmsr(Msr::efer));
    if (loads_pat_) /* the field exists only on CPUs with the control */
        vmcs_write(VmcsField::host_pat, cpu::rdmsr(Msr::pat));
    vmcs_write(VmcsField::host_rip, reinterpret_cast<uint64_t>(vmx_exit_entry));
}

void VmxVcpu::setup_guest_state(const guest_loader::MultibootEntryState& entry)
{
    /* The machine state of the Multiboot specification ("Machine state"): 32-bit
     * protected mode, flat segments, paging off, EAX = magic, EBX = information. */
    const struct {
        VmcsField16 selector;
        VmcsFieldNatural base;
        VmcsField32 limit, access;
        const guest_loader::SegmentState& state;
    } segments[] = {
        {VmcsField::guest_cs_selector, VmcsField::guest_cs_base, VmcsField::guest_cs_limit, VmcsField::guest_cs_access_rights, entry.cs},
        {VmcsField::guest_ds_selector, VmcsField::guest_ds_base, VmcsField::guest_ds_limit, VmcsField::guest_ds_access_rights, entry.ds},
        {VmcsField::guest_es_selector, VmcsField::guest_es_base, VmcsField::guest_es_limit, VmcsField::guest_es_access_rights, entry.es},
        {VmcsField::guest_fs_selector, VmcsField::guest_fs_base, VmcsField::guest_fs_limit, VmcsField::guest_fs_access_rights, entry.fs},
        {VmcsField::guest_gs_selector, VmcsField::guest_gs_base, VmcsField::guest_gs_limit, VmcsField::guest_gs_access_rights, entry.gs},
        {VmcsField::guest_ss_selector, VmcsField::guest_ss_base, VmcsField::guest_ss_limit, VmcsField::guest_ss_access_rights, entry.ss},
    };
    for (const auto& segment : segments) {
        vmcs_write(segment.selector, segment.state.selector);
        vmcs_write(segment.base, segment.state.base);
        vmcs_write(segment.limit, segment.state.limit);
        vmcs_write(segment.access, segment.state.attributes);
    }
    /* No LDT; TR must be a usable busy TSS even though the guest has none yet. */
    vmcs_write(VmcsField::guest_ldtr_selector, 0);
    vmcs_write(VmcsField::guest_ldtr_base, 0);
    vmcs_write(VmcsField::guest_ldtr_limit, 0);
    vmcs_write(VmcsField::guest_ldtr_access_rights, ACCESS_UNUSABLE);
    vmcs_write(VmcsField::guest_tr_selector, 0);
    vmcs_write(VmcsField::guest_tr_base, 0);
    vmcs_write(VmcsField::guest_tr_limit, 0xFFFF);
    vmcs_write(VmcsField::guest_tr_access_rights, ACCESS_TSS32_BUSY);
    /* GDTR names the loader's GDT in guest RAM, so a kernel that reloads the
     * entry selectors before its own LGDT still finds flat descriptors. */
    vmcs_write(VmcsField::guest_gdtr_base, entry.gdtr_base);
    vmcs_write(VmcsField::guest_gdtr_limit, entry.gdtr_limit);
    vmcs_write(VmcsField::guest_idtr_base, entry.idtr_base);
    vmcs_write(VmcsField::guest_idtr_limit, entry.idtr_limit);

    /* Control registers: what the guest sees is the shadow, what runs has the
     * VMX-fixed bits added (an unrestricted guest may keep PE and PG clear). */
    FixedBits cr0_fixed = cr0_fixed_bits(host_vmx_capabilities(), true);
    FixedBits cr4_fixed = cr4_fixed_bits(host_vmx_capabilities());
    vmcs_write(VmcsField::guest_cr0, apply_fixed_bits(entry.cr0, cr0_fixed));
    vmcs_write(VmcsField::cr0_read_shadow, entry.cr0);
    vmcs_write(VmcsField::guest_cr4, apply_fixed_bits(entry.cr4, cr4_fixed));
    vmcs_write(VmcsField::cr4_read_shadow, entry.cr4);
    vmcs_write(VmcsField::guest_cr3, 0);
    vmcs_write(VmcsField::guest_dr7, 0x400);
    vmcs_write(VmcsField::guest_efer, 0);
    set_guest_pat(cpu_model::PAT_POWER_ON);
    vmcs_write(VmcsField::guest_rip, entry.eip);
    vmcs_write(VmcsField::guest_rsp, entry.esp);
    vmcs_write(VmcsField::guest_rflags, entry.eflags | RFLAGS_RESERVED_1);
    vmcs_write(VmcsField::guest_sysenter_cs, 0);
    vmcs_write(VmcsField::guest_sysenter_esp, 0);
    vmcs_write(VmcsField::guest_sysenter_eip, 0);
    vmcs_write(VmcsField::guest_activity_state, 0);
    vmcs_write(VmcsField::guest_interruptibility_state, 0);
    vmcs_write(VmcsField::guest_pending_debug_exceptions, 0);
    /* SDM "Guest Non-Register State": all ones, or entry fails. */
    vmcs_write(VmcsField::vmcs_link_pointer, ~0ull);
    registers_ = {};
    registers_.rax = entry.eax;
    registers_.rbx = entry.ebx;
}

Result<void> VmxVcpu::setup_memory(Failure& why)
{
    if (ept_.create() != EptError::none)
        return why.set(ENOMEM, "out of host memory for the EPT");
    for (size_t i = 0; i < vm_.memory().run_count(); ++i) {
        const GuestMemory::Run& run = vm_.memory().runs()[i];
        EptError error = ept_.map(run.guest_physical, run.host_physical, run.length, EptAccess::all);
        if (error != EptError::none)
            return why.set(ENOMEM, "EPT mapping of guest RAM failed: %s", ept_error_text(error));
    }
    return {};
}

} // namespace vmx
