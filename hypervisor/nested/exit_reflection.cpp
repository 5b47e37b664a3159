/* Which exits of L2 go to L1; see exit_reflection.h. */
#include "hypervisor/nested/exit_reflection.h"

#include "arch/x86_64/control_registers.h"

namespace nested {

using vmx::ExitReason;
using vmx::PinBasedControl;
using vmx::PrimaryProcessorControl;
using vmx::SecondaryProcessorControl;
using E = vmx::VmcsEncoding;

namespace {

constexpr unsigned PAGE_FAULT = 14;
constexpr uint32_t EVENT_TYPE_NMI = 2;

bool has(const Vmcs12& vmcs12, PinBasedControl bit) { return vmcs12.get(E::pin_based_controls) & uint32_t(bit); }
bool has(const Vmcs12& vmcs12, PrimaryProcessorControl bit)
{
    return vmcs12.get(E::primary_processor_controls) & uint32_t(bit);
}
/* Without "activate secondary controls" every secondary control is 0. */
bool has(const Vmcs12& vmcs12, SecondaryProcessorControl bit)
{
    return has(vmcs12, PrimaryProcessorControl::secondary_controls) &&
           (vmcs12.get(E::secondary_processor_controls) & uint32_t(bit));
}

/* Bit `index` of the bitmap at L1 address `bitmap`; an unreadable byte counts as set. */
bool bitmap_bit(guest_paging::GuestPhysicalReader& l1_memory, uint64_t bitmap, uint32_t index)
{
    uint8_t byte = 0xFF;
    if (!l1_memory.read(bitmap + index / 8, &byte, 1))
        return true;
    return byte & (1u << (index % 8));
}

/* "Exit Qualification for Control-Register Accesses". */
namespace cr_access {
constexpr unsigned number(uint64_t qualification) { return qualification & 15; }
constexpr unsigned type(uint64_t qualification) { return (qualification >> 4) & 3; }
constexpr uint64_t lmsw_source(uint64_t qualification) { return (qualification >> 16) & 0xFFFF; }
constexpr unsigned MOV_TO_CR = 0, MOV_FROM_CR = 1, CLTS = 2, LMSW = 3;
} // namespace cr_access

/* MOV to CR0/CR4 exits when a bit L1 owns (set in the guest/host mask) would
 * differ from its read shadow. */
bool owned_bits_change(uint64_t value, uint64_t mask, uint64_t shadow) { return (value ^ shadow) & mask; }

bool cr3_load_exits(const Vmcs12& vmcs12, uint64_t value)
{
    if (!has(vmcs12, PrimaryProcessorControl::cr3_load_exiting))
        return false;
    const E targets[] = {E::cr3_target_value_0, E::cr3_target_value_1, E::cr3_target_value_2, E::cr3_target_value_3};
    uint64_t count = vmcs12.get(E::cr3_target_count);
    for (uint64_t i = 0; i < count && i < 4; ++i) {
        if (vmcs12.get(targets[i]) == value)
            return false;
    }
    return true;
}

bool cr_access_exits(const Vmcs12& vmcs12, const L2Exit& exit)
{
    uint64_t q = exit.qualification;
    uint64_t cr0_mask = vmcs12.get(E::cr0_guest_host_mask), cr0_shadow = vmcs12.get(E::cr0_read_shadow);
    switch (cr_access::type(q)) {
    case cr_access::MOV_TO_CR:
        switch (cr_access::number(q)) {
        case 0: return owned_bits_change(exit.source_value, cr0_mask, cr0_shadow);
        case 3: return cr3_load_exits(vmcs12, exit.source_value);
        case 4:
            return owned_bits_change(exit.source_value, vmcs12.get(E::cr4_guest_host_mask),
                                     vmcs12.get(E::cr4_read_shadow));
        case 8: return has(vmcs12, PrimaryProcessorControl::cr8_load_exiting);
        default: return true;
        }
    case cr_access::MOV_FROM_CR:
        switch (cr_access::number(q)) {
        case 3: return has(vmcs12, PrimaryProcessorControl::cr3_store_exiting);
        case 8: return has(vmcs12, PrimaryProcessorControl::cr8_store_exiting);
        default: return false; /* reads of CR0 and CR4 see the shadows without an exit */
        }
    case cr_access::CLTS: return (cr0_mask & CR0_TS) && (cr0_shadow & CR0_TS);
    default: {
        /* LMSW: PE may only be set by it (exits if L1 owns PE, the shadow has it
         * clear and the source sets it); MP, EM and TS exit when owned and changed. */
        uint64_t source = cr_access::lmsw_source(q);
        bool sets_owned_pe = (cr0_mask & CR0_PE) && !(cr0_shadow & CR0_PE) && (source & CR0_PE);
        uint64_t low = CR0_MP | CR0_EM | CR0_TS;
        return sets_owned_pe || owned_bits_change(source & low, cr0_mask & low, cr0_shadow & low);
    }
    }
}

} // namespace

bool io_exits(const Vmcs12& vmcs12, uint16_t port, unsigned size, guest_paging::GuestPhysicalReader& l1_memory)
{
    if (!has(vmcs12, PrimaryProcessorControl::io_bitmaps))
        return has(vmcs12, PrimaryProcessorControl::unconditional_io_exiting);
    for (uint32_t p = port; p < uint32_t(port) + size; ++p) {
        if (p > 0xFFFF)
            return true; /* an access that wraps past port FFFFH exits */
        uint64_t bitmap = vmcs12.get(p < 0x8000 ? E::io_bitmap_a : E::io_bitmap_b);
        if (bitmap_bit(l1_memory, bitmap, p & 0x7FFF))
            return true;
    }
    return false;
}

bool msr_exits(const Vmcs12& vmcs12, uint32_t msr, bool write, guest_paging::GuestPhysicalReader& l1_memory)
{
    if (!has(vmcs12, PrimaryProcessorControl::msr_bitmaps))
        return true;
    /* "MSR-Bitmap Address": read low, read high, write low, write high, 1 KiB each. */
    uint64_t offset;
    if (msr <= 0x1FFF)
        offset = 0;
    else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
        offset = 1024;
    else
        return true;
    if (write)
        offset += 2048;
    return bitmap_bit(l1_memory, vmcs12.get(E::msr_bitmap) + offset, msr & 0x1FFF);
}

bool exception_exits(const Vmcs12& vmcs12, unsigned vector, uint32_t error_code)
{
    bool in_bitmap = vector < 32 && (vmcs12.get(E::exception_bitmap) & (1u << vector));
    if (vector != PAGE_FAULT)
        return in_bitmap;
    /* "Exception Bitmap": with bit 14 set a #PF exits when its error code
     * matches (PFEC & MASK == MATCH), with bit 14 clear when it does not. */
    bool matches = (error_code & vmcs12.get(E::page_fault_error_code_mask)) ==
                   vmcs12.get(E::page_fault_error_code_match);
    return in_bitmap == matches;
}

ExitOwner exit_owner(const Vmcs12& vmcs12, const L2Exit& exit, guest_paging::GuestPhysicalReader& l1_memory)
{
    auto to_l1 = [](bool reflect) { return reflect ? ExitOwner::l1 : ExitOwner::l0; };
    switch (exit.reason) {
    case ExitReason::exception_or_nmi: {
        /* A real NMI is the host's: L1's NMIs are virtual and injected by L0. */
        if (((exit.interruption_information >> 8) & 7) == EVENT_TYPE_NMI)
            return ExitOwner::l0;
        return to_l1(exception_exits(vmcs12, exit.interruption_information & 0xFF, exit.interruption_error_code));
    }
    /* Host interrupts, INIT and SIPI come from the host's hardware: L1's own
     * interrupts are virtual, and L0 delivers them by its own exit to L1. */
    case ExitReason::external_interrupt:
    case ExitReason::init_signal:
    case ExitReason::startup_ipi: return ExitOwner::l0;
    case ExitReason::triple_fault:
    case ExitReason::task_switch:
    case ExitReason::cpuid:
    case ExitReason::getsec:
    case ExitReason::invd:
    case ExitReason::vmcall:
    case ExitReason::vmclear:
    case ExitReason::vmlaunch:
    case ExitReason::vmptrld:
    case ExitReason::vmptrst:
    case ExitReason::vmread:
    case ExitReason::vmresume:
    case ExitReason::vmwrite:
    case ExitReason::vmxoff:
    case ExitReason::vmxon:
    case ExitReason::invept:
    case ExitReason::invvpid:
    case ExitReason::xsetbv: return ExitOwner::l1; /* "Instructions That Cause VM Exits Unconditionally" */
    case ExitReason::interrupt_window: return to_l1(has(vmcs12, PrimaryProcessorControl::interrupt_window_exiting));
    case ExitReason::nmi_window: return to_l1(has(vmcs12, PrimaryProcessorControl::nmi_window_exiting));
    case ExitReason::hlt: return to_l1(has(vmcs12, PrimaryProcessorControl::hlt_exiting));
    case ExitReason::invlpg: return to_l1(has(vmcs12, PrimaryProcessorControl::invlpg_exiting));
    case ExitReason::invpcid: return to_l1(has(vmcs12, PrimaryProcessorControl::invlpg_exiting));
    case ExitReason::rdpmc: return to_l1(has(vmcs12, PrimaryProcessorControl::rdpmc_exiting));
    case ExitReason::rdtsc:
    case ExitReason::rdtscp: return to_l1(has(vmcs12, PrimaryProcessorControl::rdtsc_exiting));
    case ExitReason::control_register_access: return to_l1(cr_access_exits(vmcs12, exit));
    case ExitReason::mov_dr: return to_l1(has(vmcs12, PrimaryProcessorControl::mov_dr_exiting));
    case ExitReason::io_instruction:
        return to_l1(io_exits(vmcs12, uint16_t(exit.qualification >> 16), unsigned(exit.qualification & 7) + 1,
                              l1_memory));
    case ExitReason::rdmsr: return to_l1(msr_exits(vmcs12, exit.msr, false, l1_memory));
    case ExitReason::wrmsr: return to_l1(msr_exits(vmcs12, exit.msr, true, l1_memory));
    case ExitReason::mwait: return to_l1(has(vmcs12, PrimaryProcessorControl::mwait_exiting));
    case ExitReason::monitor: return to_l1(has(vmcs12, PrimaryProcessorControl::monitor_exiting));
    case ExitReason::pause: return to_l1(has(vmcs12, PrimaryProcessorControl::pause_exiting));
    case ExitReason::monitor_trap_flag: return to_l1(has(vmcs12, PrimaryProcessorControl::monitor_trap_flag));
    case ExitReason::gdtr_idtr_access:
    case ExitReason::ldtr_tr_access: return to_l1(has(vmcs12, SecondaryProcessorControl::descriptor_table_exiting));
    case ExitReason::wbinvd: return to_l1(has(vmcs12, SecondaryProcessorControl::wbinvd_exiting));
    case ExitReason::rdrand: return to_l1(has(vmcs12, SecondaryProcessorControl::rdrand_exiting));
    case ExitReason::rdseed: return to_l1(has(vmcs12, SecondaryProcessorControl::rdseed_exiting));
    case ExitReason::preemption_timer_expired:
        return to_l1(has(vmcs12, PinBasedControl::preemption_timer) && !exit.l0_preemption_timer);
    default:
        /* EPT violations and misconfigurations (the shadow EPT decides), and
         * what L1 was not offered (APIC virtualization, PML, XSAVES ...). */
        return ExitOwner::l0;
    }
}

} // namespace nested
