/* One handler per #VMEXIT code, and the dispatcher that picks it. Read next to
 * the AMD64 APM Vol. 2 (revision 3.42), chapter "Secure Virtual Machine",
 * "Intercept Operation" (EXITCODE, EXITINFO1, EXITINFO2 of each intercept) and
 * Appendix C "SVM Intercept Exit Codes". Every handler completes the guest's
 * instruction (QEMU saves no next RIP: each knows its instruction's length),
 * injects the fault real hardware would raise, or ends the VM with a reason a
 * person can act on. */
#include "abi/hypercall.h"
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "hypervisor/svm/svm_constants.h"
#include "hypervisor/hypercall/hypercall.h"
#include "hypervisor/memory/mmio_instruction.h"
#include "hypervisor/svm/cr_write.h"
#include "hypervisor/svm/string_io_decode.h"
#include "hypervisor/svm/svm_support.h"
#include "hypervisor/svm/svm_vcpu.h"
#include "hypervisor/vm/halted_guest.h"
#include "hypervisor/vm/string_io.h"
#include "hypervisor/vm/vm.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace svm {

namespace {

constexpr uint64_t RFLAGS_IF = 1ull << 9;
constexpr uint64_t RFLAGS_DF = 1ull << 10;
constexpr uint8_t VECTOR_UD = 6;
/* VMCB segment attributes bits 9 (L) and 10 (D/B). */
constexpr uint16_t CS_L = 1u << 9, CS_DB = 1u << 10;
constexpr uint8_t VECTOR_GP = 13;
/* Instruction lengths without prefixes: CPUID 0F A2, RDMSR 0F 32, WRMSR 0F 30,
 * HLT F4, INVD 0F 08, VMMCALL 0F 01 D9, VMCALL 0F 01 C1. */
constexpr unsigned CPUID_LENGTH = 2, MSR_LENGTH = 2, HLT_LENGTH = 1, INVD_LENGTH = 2, HYPERCALL_LENGTH = 3;

ExitAction stop(SvmVcpu& vcpu, const char* format, uint64_t a = 0, uint64_t b = 0)
{
    vcpu.vm().end(VmRunState::failed, -1, format, a, b);
    return ExitAction::stop;
}

/* What the guest's CPUID returns: the hypervisor's own leaves, else the CPU
 * model's answer (hypervisor/cpu_model, the same table as on VMX: what it does
 * not show, SVM and VMX among it, is hidden), and the SVM feature leaf of a CPU
 * without SVM. */
CpuidLeaf guest_cpuid(Vm& vm, uint32_t leaf, uint32_t subleaf)
{
    CpuidLeaf result;
    if ((leaf >> 28) == (HYPERVISOR_CPUID_BASE >> 28) && hypervisor_cpuid_leaf(leaf, result))
        return result;
    if (leaf == CPUID_SVM_FEATURES)
        return {0, 0, 0, 0};
    cpu_model::CpuidRegisters model = vm.cpu().cpuid(leaf, subleaf);
    result = {model.eax, model.ebx, model.ecx, model.edx};
    if (leaf == 0x80000001)
        result.ecx &= ~CPUID_80000001_ECX_SVM;
    if (leaf == 0 && vm.sweb_vendor) /* the slides' demo: "SWEBSWEBSWEB" */
        result.ebx = result.ecx = result.edx = HYPERVISOR_SIGNATURE_EBX;
    return result;
}

/* Named apart from VMX's handle_cpuid, so that `break handle_cpuid` in GDB stops
 * at the one the Bochs debugging test expects. */
ExitAction answer_cpuid(SvmVcpu& vcpu)
{
    GuestRegisters& r = vcpu.registers();
    uint64_t& rax = vcpu.vmcb().save.rax;
    CpuidLeaf result = guest_cpuid(vcpu.vm(), uint32_t(rax), uint32_t(r.rcx));
    rax = result.eax;
    r.rbx = result.ebx;
    r.rcx = result.ecx;
    r.rdx = result.edx;
    vcpu.advance_rip(CPUID_LENGTH);
    return ExitAction::resume;
}

ExitAction handle_hlt(SvmVcpu& vcpu)
{
    if (!(vcpu.vmcb().save.rflags & RFLAGS_IF))
    {
        /* As on VMX: nothing can wake it (no device raises an NMI), so the guest
         * is done (a kernel's last `cli; hlt`): an end, not a failure. */
        vcpu.vm().end(VmRunState::halted, 0, "HLT with interrupts disabled: the guest halted for good");
        return ExitAction::stop;
    }
    vcpu.advance_rip(HLT_LENGTH);
    /* Sleep until an interrupt waits for the guest: the CPU is the host's meanwhile. */
    vcpu.vm().statistics().halted_cycles += halted_guest::sleep_until_interrupt(vcpu.vm());
    vcpu.devices_touched();
    return ExitAction::resume;
}

/* One guest port write, and whether it turned the VM off (the same power-off
 * writes as on VMX, docs/hostile-guests.md "Power-off writes"). */
bool port_write_powers_off(SvmVcpu& vcpu, uint16_t port, unsigned size, uint32_t value, uint64_t now)
{
    bool off = vcpu.vm().write_port_powers_off(port, size, value, now);
    vcpu.devices_touched();
    return off;
}

/* INS and OUTS, with or without REP: the operands from EXITINFO1 (or the
 * instruction's prefixes), the elements moved by run_string_io
 * (hypervisor/vm/string_io.h). */
ExitAction handle_string_io(SvmVcpu& vcpu, uint64_t info, unsigned size, bool in, uint16_t port)
{
    VmcbStateSave& s = vcpu.vmcb().save;
    const VmcbSegment* segments[] = {&s.es, &s.cs, &s.ss, &s.ds, &s.fs, &s.gs};
    /* With decode assists EXITINFO1 names the segment and the address size;
     * without them (QEMU) the instruction's prefixes are read. */
    unsigned address_bits = unsigned(info >> ioio_bits::ADDRESS_SHIFT) & 7; /* one hot: A16, A32, A64 */
    unsigned segment = unsigned(info >> ioio_bits::SEGMENT_SHIFT) & 7;
    if (!host_svm_capabilities().has(feature::DECODE_ASSISTS)) {
        bool long_mode = (s.efer & EFER_LMA) && (s.cs.attributes & CS_L);
        CodeSize code = long_mode ? CodeSize::bits64 : (s.cs.attributes & CS_DB) ? CodeSize::bits32 : CodeSize::bits16;
        uint8_t bytes[15] = {};
        uint64_t rip = long_mode ? s.rip : (s.cs.base + s.rip) & 0xFFFFFFFF;
        /* EXITINFO2 is the next RIP: the instruction's bytes lie in between. */
        size_t length = vcpu.vmcb().control.exit_info2 - s.rip;
        StringIoOperands operands = {false, SegmentRegister::ds, 0};
        if (length <= sizeof(bytes) && vcpu.read_guest_virtual(rip, bytes, length))
            operands = decode_string_io(bytes, length, code);
        if (!operands.ok)
            return stop(vcpu, "string port I/O at guest RIP 0x%lx that does not decode as INS or OUTS", s.rip);
        address_bits = operands.address_bits == 16 ? 1 : operands.address_bits == 32 ? 2 : 4;
        segment = unsigned(operands.segment);
    }
    if (in)
        segment = unsigned(SegmentRegister::es); /* INS always writes through ES */
    if ((address_bits != 1 && address_bits != 2 && address_bits != 4) || segment > 5)
        return stop(vcpu, "string port I/O with an undecodable operand (EXITINFO1 0x%lx)", info);
    StringIo io{port, size, in, bool(info & ioio_bits::REP), bool(s.rflags & RFLAGS_DF),
                address_bits == 1 ? 0xFFFFull : address_bits == 2 ? 0xFFFFFFFFull : ~0ull, segments[segment]->base};
    guest_paging::PagedGuestMemory memory = vcpu.guest_address_space();
    StringIoEnd end = run_string_io(vcpu.vm(), vcpu.registers(), memory, io);
    if (!in)
        vcpu.devices_touched();
    if (end == StringIoEnd::vm_ended)
        return ExitAction::stop;
    if (end == StringIoEnd::complete)
        vcpu.set_rip(vcpu.vmcb().control.exit_info2);
    return ExitAction::resume;
}

/* EXITINFO1 describes the access, EXITINFO2 is the next instruction's RIP
 * ("IOIO Intercepts"): IN and OUT need no decoding of their own. */
ExitAction handle_io(SvmVcpu& vcpu)
{
    uint64_t info = vcpu.vmcb().control.exit_info1;
    unsigned size_bits = unsigned(info >> ioio_bits::SIZE_SHIFT) & 7; /* one hot: SZ8, SZ16, SZ32 */
    unsigned size = size_bits == 4 ? 4 : size_bits == 2 ? 2 : 1;
    bool in = info & ioio_bits::TYPE_IN;
    auto port = uint16_t(info >> ioio_bits::PORT_SHIFT);
    if (info & ioio_bits::STRING)
        return handle_string_io(vcpu, info, size, in, port);
    Vm& vm = vcpu.vm();
    uint64_t& rax = vcpu.vmcb().save.rax;
    uint64_t now = clock::nanoseconds();
    uint64_t mask = size == 4 ? 0xFFFFFFFFull : (1ull << (size * 8)) - 1;
    if (in) {
        ++vm.statistics().port_reads;
        uint64_t value = vm.platform().io_bus().read(port, size, now) & mask;
        /* IN EAX zero-extends into RAX; IN AL and IN AX keep the upper bits. */
        rax = size == 4 ? value : (rax & ~mask) | value;
    } else {
        ++vm.statistics().port_writes;
        if (port_write_powers_off(vcpu, port, size, uint32_t(rax & mask), now))
            return ExitAction::stop;
    }
    vcpu.set_rip(vcpu.vmcb().control.exit_info2);
    return ExitAction::resume;
}

/* Where the SVM backend keeps the guest MSRs the CPU model does not store itself:
 * the VMCB's state-save area (EFER, G_PAT, SYSENTER, the syscall MSRs,
 * KernelGsBase, FS and GS base) and its TSC offset. The model (the same table as
 * on VMX) has already checked reserved bits and canonical addresses. EFER.SVME
 * must stay 1 in the guest's EFER for VMRUN, and the guest never sees it. */
class SvmMsrBackend final : public cpu_model::MsrBackend {
public:
    explicit SvmMsrBackend(SvmVcpu& vcpu) : vcpu_(vcpu) {}

    uint64_t read_backend_msr(Msr msr) override
    {
        VmcbStateSave& s = vcpu_.vmcb().save;
        switch (msr) {
        case Msr::efer: return s.efer & ~EFER_SVME;
        case Msr::time_stamp_counter: return cpu::rdtsc() + vcpu_.vmcb().control.tsc_offset;
        case Msr::pat: return s.g_pat;
        case Msr::sysenter_cs: return s.sysenter_cs;
        case Msr::sysenter_esp: return s.sysenter_esp;
        case Msr::sysenter_eip: return s.sysenter_eip;
        case Msr::star: return s.star;
        case Msr::lstar: return s.lstar;
        case Msr::cstar: return s.cstar;
        case Msr::fmask: return s.sfmask;
        case Msr::kernel_gs_base: return s.kernel_gs_base;
        case Msr::fs_base: return s.fs.base;
        case Msr::gs_base: return s.gs.base;
        default: return 0;
        }
    }

    void write_backend_msr(Msr msr, uint64_t value) override
    {
        VmcbStateSave& s = vcpu_.vmcb().save;
        switch (msr) {
        case Msr::efer:
            /* LMA is the CPU's to set: keep it; SVME stays on (see above). */
            s.efer = (value & ~EFER_LMA) | (s.efer & EFER_LMA) | EFER_SVME;
            vcpu_.vmcb().control.clean_bits = 0;
            return;
        case Msr::time_stamp_counter: vcpu_.vmcb().control.tsc_offset = value - cpu::rdtsc(); return;
        case Msr::pat: s.g_pat = value; return;
        case Msr::sysenter_cs: s.sysenter_cs = value; return;
        case Msr::sysenter_esp: s.sysenter_esp = value; return;
        case Msr::sysenter_eip: s.sysenter_eip = value; return;
        case Msr::star: s.star = value; return;
        case Msr::lstar: s.lstar = value; return;
        case Msr::cstar: s.cstar = value; return;
        case Msr::fmask: s.sfmask = value; return;
        case Msr::kernel_gs_base: s.kernel_gs_base = value; return;
        case Msr::fs_base: s.fs.base = value; return;
        case Msr::gs_base: s.gs.base = value; return;
        default: return;
        }
    }

private:
    SvmVcpu& vcpu_;
};

/* RDMSR and WRMSR go to the CPU model; AMD's SVM MSRs read as on a machine whose
 * firmware disabled and locked SVM (VM_CR), or do not exist (VM_HSAVE_PA). */
bool read_msr(SvmVcpu& vcpu, uint32_t msr, uint64_t& value)
{
    if (Msr(msr) == Msr::vm_cr) {
        value = VM_CR_LOCK | VM_CR_SVMDIS;
        return true;
    }
    SvmMsrBackend backend(vcpu);
    return vcpu.vm().cpu().read_msr(msr, value, backend);
}

bool write_msr(SvmVcpu& vcpu, uint32_t msr, uint64_t value)
{
    if (Msr(msr) == Msr::vm_cr)
        return false; /* with LOCK set, hardware refuses every write */
    SvmMsrBackend backend(vcpu);
    return vcpu.vm().cpu().write_msr(msr, value, backend);
}

ExitAction handle_msr(SvmVcpu& vcpu)
{
    GuestRegisters& r = vcpu.registers();
    uint64_t& rax = vcpu.vmcb().save.rax;
    auto msr = uint32_t(r.rcx);
    bool write = vcpu.vmcb().control.exit_info1 & 1;
    bool ok;
    if (write) {
        ok = write_msr(vcpu, msr, (r.rdx << 32) | uint32_t(rax));
    } else {
        /* A faulting RDMSR changes no register. */
        uint64_t value = 0;
        ok = read_msr(vcpu, msr, value);
        if (ok) {
            rax = uint32_t(value);
            r.rdx = value >> 32;
        }
    }
    if (!ok) {
        vcpu.inject_exception(VECTOR_GP, true, 0);
        return ExitAction::resume;
    }
    /* IA32_APIC_BASE bit 11 switches the local APIC on or off as a whole. */
    if (write && msr == uint32_t(Msr::apic_base))
        vcpu.vm().platform().local_apic().set_globally_enabled(
            vcpu.vm().cpu().apic_base() & cpu_model::APIC_BASE_ENABLE, clock::nanoseconds());
    vcpu.advance_rip(MSR_LENGTH);
    return ExitAction::resume;
}

/* A hypercall, by VMMCALL (intercepted) or by VMCALL (emulated after its #UD):
 * both instructions are three bytes long. */
ExitAction handle_hypercall_instruction(SvmVcpu& vcpu)
{
    GuestRegisters& r = vcpu.registers();
    uint64_t& rax = vcpu.vmcb().save.rax;
    vcpu.note_hypercall(rax);
    if (rax == HYPERCALL_PING) {
        rax = HYPERCALL_ABI_VERSION;
        r.rbx = r.rbx + 1;
        vcpu.advance_rip(HYPERCALL_LENGTH);
        return ExitAction::resume;
    }
    HypercallRegisters h{rax, r.rbx, r.rcx, r.rdx, r.rsi};
    guest_paging::PagedGuestMemory memory = vcpu.guest_address_space();
    unsigned privilege_level = vcpu.guest_privilege_level();
    vcpu.advance_rip(HYPERCALL_LENGTH);
    /* A file hypercall may wait for the host's file system lock. */
    cpu::sti();
    HypercallOutcome outcome = handle_hypercall(vcpu.vm(), h, memory, privilege_level);
    cpu::cli();
    if (outcome != HypercallOutcome::resume)
        return ExitAction::stop;
    rax = h.rax;
    r.rbx = h.rbx;
    return ExitAction::resume;
}

/* #UD: Intel's VMCALL (0F 01 C1) is undefined on AMD; it is the same hypercall
 * as VMMCALL, so that no guest depends on the vendor string (as KVM does). Any
 * other #UD is the guest's own and goes back to it. */
ExitAction handle_invalid_opcode(SvmVcpu& vcpu)
{
    const VmcbStateSave& s = vcpu.vmcb().save;
    uint8_t bytes[3] = {};
    bool long_mode = (s.efer & EFER_LMA) && (s.cs.attributes & CS_L);
    uint64_t rip = long_mode ? s.rip : (s.cs.base + s.rip) & 0xFFFFFFFF;
    if (vcpu.read_guest_virtual(rip, bytes, sizeof(bytes)) && bytes[0] == 0x0F && bytes[1] == 0x01 &&
        bytes[2] == 0xC1) {
        vcpu.vmcb().control.next_rip = 0; /* the #UD saved none */
        return handle_hypercall_instruction(vcpu);
    }
    vcpu.inject_exception(VECTOR_UD);
    return ExitAction::resume;
}

/* The CR4 bits the guest's CPU offers: the always-present ones, and those of
 * CPUID leaf 7 the host has (FSGSBASE, SMEP, SMAP, UMIP), which the guest's
 * CPUID passes on. */
uint64_t guest_cr4_allowed()
{
    static uint64_t allowed = [] {
        uint64_t bits = CR4_ALWAYS_ALLOWED;
        if (cpu::cpuid(0).eax >= 7) {
            cpu::CpuidResult leaf7 = cpu::cpuid(7, 0);
            bits |= (leaf7.ebx & 1u) ? 1ull << 16 : 0;         /* FSGSBASE */
            bits |= (leaf7.ebx & (1u << 7)) ? 1ull << 20 : 0;  /* SMEP */
            bits |= (leaf7.ebx & (1u << 20)) ? 1ull << 21 : 0; /* SMAP */
            bits |= (leaf7.ecx & (1u << 2)) ? 1ull << 11 : 0;  /* UMIP */
        }
        return bits;
    }();
    return allowed;
}

/* A write to CR0 (MOV, CLTS, LMSW), CR4 or CR8 (MOV): decoded, checked as
 * hardware checks it, then applied; for CR0 with the IA-32e mode switch the CPU
 * would make (EFER.LMA follows LME when paging turns on or off, "Enabling and
 * Activating Long Mode"). CR8 is intercepted only while an interrupt window is
 * asked for (SvmVcpu::request_interrupt_window says why). */
ExitAction handle_cr_write(SvmVcpu& vcpu, unsigned control_register)
{
    VmcbStateSave& s = vcpu.vmcb().save;
    bool long_mode = (s.efer & EFER_LMA) && (s.cs.attributes & CS_L);
    uint64_t rip = long_mode ? s.rip : (s.cs.base + s.rip) & 0xFFFFFFFF;
    uint8_t bytes[15] = {};
    size_t length = sizeof(bytes);
    /* The instruction may end near a page whose successor is not mapped. */
    while (length > 0 && !vcpu.read_guest_virtual(rip, bytes, length))
        --length;
    Cr0Write write = decode_cr0_write(bytes, length, long_mode);
    if (write.kind == Cr0WriteKind::none || write.control_register != control_register)
        return stop(vcpu, "CR%lu write at guest RIP 0x%lx by an instruction this hypervisor cannot decode",
                    control_register, s.rip);
    uint64_t source = vcpu.read_gpr(write.source);
    if (!long_mode)
        source &= 0xFFFFFFFF;
    if (control_register == 8) {
        if (cr8_write_faults(source)) {
            vcpu.inject_exception(VECTOR_GP, true, 0);
            return ExitAction::resume;
        }
        vcpu.write_task_priority(uint8_t(source));
        vcpu.vmcb().control.next_rip = 0;
        vcpu.advance_rip(write.length);
        return ExitAction::resume;
    }
    if (control_register == 4) {
        if (cr4_write_faults(source, guest_cr4_allowed(), s.efer & EFER_LMA)) {
            vcpu.inject_exception(VECTOR_GP, true, 0);
            return ExitAction::resume;
        }
        s.cr4 = source;
        vcpu.flush_guest_tlb();
        vcpu.vmcb().control.next_rip = 0;
        vcpu.advance_rip(write.length);
        return ExitAction::resume;
    }
    uint64_t value = cr0_after(write.kind, s.cr0, source);
    if (cr0_write_faults(value, s.cr4, s.efer)) {
        vcpu.inject_exception(VECTOR_GP, true, 0);
        return ExitAction::resume;
    }
    if (!(s.cr0 & CR0_PG) && (value & CR0_PG) && (s.efer & EFER_LME))
        s.efer |= EFER_LMA;
    else if ((s.cr0 & CR0_PG) && !(value & CR0_PG))
        s.efer &= ~EFER_LMA;
    s.cr0 = value;
    vcpu.flush_guest_tlb();
    vcpu.vmcb().control.next_rip = 0; /* the length is the decoder's */
    vcpu.advance_rip(write.length);
    return ExitAction::resume;
}

/* A guest access to the local APIC's page, which the nested page tables leave
 * unmapped (it lies outside guest RAM) so that every access exits: the MOV at
 * RIP is decoded (hypervisor/memory/mmio_instruction.h; QEMU gives no decode
 * assists, and the decoder's length moves RIP), done on the APIC model, as on
 * VMX (hypervisor/vmx/exit_handlers.cpp, handle_local_apic_access). */
ExitAction handle_local_apic_access(SvmVcpu& vcpu, uint64_t offset)
{
    const VmcbStateSave& s = vcpu.vmcb().save;
    bool long_mode = (s.efer & EFER_LMA) && (s.cs.attributes & CS_L);
    if (!long_mode && !(s.cs.attributes & CS_DB))
        return stop(vcpu, "16-bit code accessed the local APIC at offset 0x%lx (not decoded)", offset);
    uint64_t rip = long_mode ? s.rip : (s.cs.base + s.rip) & 0xFFFFFFFF;
    mmio::Access access;
    guest_paging::PagedGuestMemory memory = vcpu.guest_address_space();
    mmio::DecodeError error =
        mmio::fetch_and_decode(memory, rip, long_mode ? mmio::CodeSize::bits64 : mmio::CodeSize::bits32, access);
    if (error != mmio::DecodeError::none) {
        vcpu.vm().end(VmRunState::failed, -1, "local APIC access at offset 0x%lx by the instruction at RIP 0x%lx: %s",
                      offset, s.rip, mmio::decode_error_text(error));
        return ExitAction::stop;
    }
    devices::LocalApic& apic = vcpu.vm().platform().local_apic();
    uint64_t now = clock::nanoseconds();
    if (access.write) {
        uint32_t value = access.immediate ? access.value : uint32_t(vcpu.read_gpr(access.reg));
        apic.write(uint32_t(offset), value, now);
        vcpu.devices_touched(); /* the timer may have been programmed, an IPI sent */
    } else {
        /* A 32-bit load zero-extends into the 64-bit register. */
        vcpu.write_gpr(access.reg, apic.read(uint32_t(offset), now));
    }
    vcpu.vmcb().control.next_rip = 0; /* the length is the decoder's */
    vcpu.advance_rip(access.length);
    return ExitAction::resume;
}

/* EXITINFO1 holds a page-fault error code (bit 1 write, bit 4 instruction
 * fetch), EXITINFO2 the guest-physical address ("Nested versus Guest Page
 * Faults, Fault Ordering"). All guest RAM is mapped: outside it the guest
 * reached the local APIC's page (while the APIC is enabled; fetches from it are
 * not register accesses) or nothing. */
ExitAction handle_nested_page_fault(SvmVcpu& vcpu)
{
    const VmcbControl& c = vcpu.vmcb().control;
    uint64_t apic_base = vcpu.vm().cpu().apic_base();
    bool apic_enabled = vcpu.vm().cpu().config().local_apic && (apic_base & cpu_model::APIC_BASE_ENABLE);
    uint64_t apic_page = apic_base & ~0xFFFull & ((1ull << 52) - 1);
    if (apic_enabled && (c.exit_info2 & ~0xFFFull) == apic_page && !(c.exit_info1 & (1u << 4)))
        return handle_local_apic_access(vcpu, c.exit_info2 & 0xFFF);
    const char* access = c.exit_info1 & (1u << 4) ? "instruction fetch" : c.exit_info1 & 2 ? "write" : "read";
    vcpu.vm().end(VmRunState::failed, -1, "nested page fault: guest %s at guest-physical 0x%lx, outside its %lu MiB of RAM",
                  access, c.exit_info2, vcpu.vm().memory_bytes() >> 20);
    return ExitAction::stop;
}

} // namespace

ExitAction SvmVcpu::handle_exit(uint64_t code)
{
    /* Exit codes 0x10-0x1F are writes of CR0-CR15: CR0 and CR4 are intercepted,
     * CR8 while an interrupt window is asked for. */
    if (code == uint64_t(ExitCode::cr_write) + 4 || code == uint64_t(ExitCode::cr_write) + 8)
        return handle_cr_write(*this, unsigned(code - uint64_t(ExitCode::cr_write)));
    switch (ExitCode(code)) {
    case ExitCode::intr:
    case ExitCode::vintr:
    case ExitCode::smi:
    case ExitCode::init:
        return ExitAction::resume; /* the host takes it at the STI; before_entry does the rest */
    case ExitCode::nmi: {
        /* The NMI is still pending, blocked by GIF = 0: vm_run.S's STGI hands it
         * to the host's own handler, and the guest carries on. */
        ++vm_.statistics().host_nmis;
        return ExitAction::resume;
    }
    case ExitCode::iret:
        /* Intercepted only while an NMI handler runs: the IRET still executes. */
        iret_intercepted();
        return ExitAction::resume;
    case ExitCode::cpuid: return answer_cpuid(*this);
    case ExitCode::hlt: return handle_hlt(*this);
    case ExitCode::ioio: return handle_io(*this);
    case ExitCode::msr: return handle_msr(*this);
    case ExitCode::vmmcall: return handle_hypercall_instruction(*this);
    case ExitCode::exception_ud: return handle_invalid_opcode(*this);
    case ExitCode::npf: return handle_nested_page_fault(*this);
    case ExitCode::cr_write: return handle_cr_write(*this, 0); /* 0x10: CR0 */
    case ExitCode::shutdown:
        return stop(*this, "triple fault (shutdown) at guest RIP 0x%lx", vmcb_->save.rip);
    case ExitCode::invd:
        /* Caches are coherent with everything the guest can observe. */
        advance_rip(INVD_LENGTH);
        return ExitAction::resume;
    case ExitCode::xsetbv:
        /* XSAVE is hidden: XCR0 cannot be changed here. */
        inject_exception(VECTOR_GP, true, 0);
        return ExitAction::resume;
    case ExitCode::vmrun:
    case ExitCode::vmload:
    case ExitCode::vmsave:
    case ExitCode::stgi:
    case ExitCode::clgi:
    case ExitCode::skinit:
    case ExitCode::invlpga:
    case ExitCode::monitor:
    case ExitCode::mwait:
    case ExitCode::mwait_conditional:
    case ExitCode::rsm:
        /* SVM (until nested guests exist) and MONITOR/MWAIT are not offered:
         * the instruction is undefined for this guest. */
        inject_exception(VECTOR_UD);
        return ExitAction::resume;
    case ExitCode::invalid:
        vm_.end(VmRunState::failed, -1, "VM entry failed: VMRUN found invalid guest state in the VMCB (EXITCODE -1)");
        return ExitAction::stop;
    default: {
        uint16_t slot = exit_code_slot(code);
        vm_.end(VmRunState::failed, -1, "unhandled #VMEXIT 0x%lx (%s) at guest RIP 0x%lx", code,
                exit_slot_identifier(slot), vmcb_->save.rip);
        return ExitAction::stop;
    }
    }
}

} // namespace svm

