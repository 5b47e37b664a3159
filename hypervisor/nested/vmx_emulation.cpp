/* L1's VMX instructions (vmx_emulation.h). Each function follows the
 * "Operation" pseudocode of its instruction in the Intel SDM (revision 084),
 * Vol. 3C, chapter "VMX Instruction Reference", in the same order of checks:
 * #UD (outside VMX operation, CR4.VMXE clear, real or virtual-8086 mode,
 * compatibility mode), #GP(0) at CPL > 0, then the instruction's own checks
 * ending in VMfailInvalid or VMfailValid with the error numbers of "VM
 * Instruction Error Numbers". L1 is in VMX root operation here: its non-root
 * side (L2 executing a VMX instruction) is reflected to L1 by part 2. */
#include "hypervisor/nested/vmx_emulation.h"

#include "arch/x86_64/control_registers.h"
#include "hypervisor/nested/capabilities.h"
#include "hypervisor/nested/l2_entry.h"
#include "hypervisor/nested/shadow_vmcs.h"
#include "hypervisor/nested/vmx_operand.h"
#include "hypervisor/vm/vm.h"

namespace nested {

namespace {

using vmx::ExitAction;
using vmx::ExitReason;
using vmx::VmcsField;
using vmx::VmxVcpu;
using vmx::vmcs_read;
using vmx::vmcs_write;

constexpr uint8_t VECTOR_UD = 6, VECTOR_SS = 12, VECTOR_GP = 13, VECTOR_PF = 14;
/* The arithmetic flags VMsucceed clears and VMfail sets one of (SDM "Conventions"). */
constexpr uint64_t ARITHMETIC_FLAGS = RFLAGS_CF | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 7) | (1u << 11);
constexpr uint64_t RFLAGS_ZF = 1u << 6;
/* CS access rights: L (64-bit code). */
constexpr uint32_t ACCESS_LONG_MODE = 1u << 13;
/* Guest interruptibility state: blocking by MOV SS. */
constexpr uint32_t BLOCKING_BY_MOV_SS = 1u << 1;
/* VM-instruction error numbers ("VM Instruction Error Numbers"). */
enum Error : uint32_t {
    VMCLEAR_INVALID_ADDRESS = 2,
    VMCLEAR_VMXON_POINTER = 3,
    VMLAUNCH_NON_CLEAR = 4,
    VMRESUME_NON_LAUNCHED = 5,
    VMPTRLD_INVALID_ADDRESS = 9,
    VMPTRLD_VMXON_POINTER = 10,
    VMPTRLD_WRONG_REVISION = 11,
    UNSUPPORTED_COMPONENT = 12,
    VMWRITE_READ_ONLY = 13,
    VMXON_IN_ROOT = 15,
    ENTRY_BLOCKED_BY_MOV_SS = 26,
    INVALID_INVEPT_INVVPID_OPERAND = 28,
};

/* The guest's view of a control register: its own bits where the host owns
 * none, the read shadow where the guest/host mask gives the bit to the host. */
uint64_t guest_view(uint64_t actual, uint64_t shadow, uint64_t mask) { return (actual & ~mask) | (shadow & mask); }

/* One emulated instruction: the exit's information, read once, and the ways
 * it can end. */
class Emulation {
public:
    Emulation(VmxVcpu& vcpu, ExitReason reason)
        : vcpu_(vcpu), state_(vcpu.nested_state()), reason_(reason),
          information_{uint32_t(vmcs_read(VmcsField::exit_instruction_information))},
          displacement_(vmcs_read(VmcsField::exit_qualification))
    {
        uint64_t efer = vmcs_read(VmcsField::guest_efer);
        uint32_t cs_rights = vmcs_read(VmcsField::guest_cs_access_rights);
        long_mode_ = efer & EFER_LMA;
        mode_64bit_ = long_mode_ && (cs_rights & ACCESS_LONG_MODE);
        cr0_ = guest_view(vmcs_read(VmcsField::guest_cr0), vmcs_read(VmcsField::cr0_read_shadow),
                          vmcs_read(VmcsField::cr0_guest_host_mask));
        cr4_ = guest_view(vmcs_read(VmcsField::guest_cr4), vmcs_read(VmcsField::cr4_read_shadow),
                          vmcs_read(VmcsField::cr4_guest_host_mask));
        rflags_ = vmcs_read(VmcsField::guest_rflags);
    }

    ExitAction run();

private:
    /* The checks every VMX instruction makes first, VMXON's own #UD rules
     * included; false when a fault was injected. */
    bool common_checks();
    InstructionResult vmxon();
    InstructionResult vmxoff();
    InstructionResult vmclear();
    InstructionResult vmptrld();
    InstructionResult vmptrst();
    InstructionResult vmread();
    InstructionResult vmwrite();
    InstructionResult invept();
    InstructionResult invvpid();
    InstructionResult vmlaunch_or_vmresume(bool launch);

    /* VMfail(error): VMfailValid with a current VMCS, VMfailInvalid without. */
    InstructionResult fail(uint32_t error) const
    {
        return state_.has_current_vmcs12() ? InstructionResult{Outcome::fail_valid, error}
                                           : InstructionResult{Outcome::fail_invalid, 0};
    }
    void complete(const InstructionResult& result);
    InstructionResult fault(uint8_t vector, uint32_t error_code = 0)
    {
        vcpu_.inject_exception(vector, true, error_code);
        return {Outcome::not_completed, 0};
    }
    InstructionResult end_vm(const char* format, uint64_t a = 0, uint64_t b = 0)
    {
        vcpu_.vm().end(VmRunState::failed, -1, format, a, b);
        ended_ = true;
        return {Outcome::not_completed, 0};
    }

    /* The memory operand: false when it faulted (the fault is injected, or the
     * VM ended); `result` then says so. */
    bool access_memory(void* buffer, unsigned size, bool write, InstructionResult& result);
    bool read_memory(void* out, unsigned size, InstructionResult& result)
    {
        return access_memory(out, size, false, result);
    }
    /* A 64-bit physical-address operand (VMXON, VMCLEAR, VMPTRLD). */
    bool read_pointer(uint64_t& address, InstructionResult& result) { return read_memory(&address, 8, result); }
    /* A register operand at the operand size (64 bits in 64-bit mode, else 32). */
    uint64_t read_register(unsigned number) { return operand_mask() & vcpu_.read_gpr(number); }
    uint64_t operand_mask() const { return mode_64bit_ ? ~0ull : 0xFFFFFFFFull; }
    /* A physical address the VMXON, VMCLEAR and VMPTRLD checks accept: 4 KiB
     * aligned, within L1's MAXPHYADDR and naming a page of its RAM. */
    bool valid_region(uint64_t address);
    /* Writes the current VMCS12 back to L1's memory (before another is loaded,
     * on VMCLEAR of it, on VMXOFF); false when its page is no longer RAM. */
    bool flush_current();

    VmxVcpu& vcpu_;
    NestedState& state_;
    ExitReason reason_;
    InstructionInformation information_;
    uint64_t displacement_;
    bool long_mode_ = false, mode_64bit_ = false, ended_ = false;
    uint64_t cr0_ = 0, cr4_ = 0, rflags_ = 0;
};

bool Emulation::common_checks()
{
    /* "IF (register operand) or (CR0.PE = 0) or (CR4.VMXE = 0) or (RFLAGS.VM = 1)
     * or (IA32_EFER.LMA = 1 and CS.L = 0) THEN #UD" for VMXON; "IF (not in VMX
     * operation) or ..." for the others. CR4.VMXE is 1 in VMX operation. */
    /* VMXON's "register operand" cannot exit: its register form is another
     * instruction (0F C7 /6 with mod = 11 is RDRAND). */
    bool undefined = !(cr0_ & CR0_PE) || !(cr4_ & CR4_VMXE) || (rflags_ & RFLAGS_VM) || (long_mode_ && !mode_64bit_);
    if (reason_ != ExitReason::vmxon && !state_.vmx_operation)
        undefined = true;
    if (undefined) {
        vcpu_.inject_exception(VECTOR_UD);
        return false;
    }
    /* "ELSIF in VMX non-root operation THEN VM exit": L2's, reflected by part 2
     * before it gets here. "ELSIF CPL > 0 THEN #GP(0)". */
    if (vcpu_.guest_privilege_level() > 0) {
        vcpu_.inject_exception(VECTOR_GP, true, 0);
        return false;
    }
    return true;
}

bool Emulation::access_memory(void* buffer, unsigned size, bool write, InstructionResult& result)
{
    constexpr vmx::VmcsFieldNatural BASES[] = {VmcsField::guest_es_base, VmcsField::guest_cs_base,
                                               VmcsField::guest_ss_base, VmcsField::guest_ds_base,
                                               VmcsField::guest_fs_base, VmcsField::guest_gs_base};
    constexpr vmx::VmcsField32 LIMITS[] = {VmcsField::guest_es_limit, VmcsField::guest_cs_limit,
                                           VmcsField::guest_ss_limit, VmcsField::guest_ds_limit,
                                           VmcsField::guest_fs_limit, VmcsField::guest_gs_limit};
    constexpr vmx::VmcsField32 RIGHTS[] = {VmcsField::guest_es_access_rights, VmcsField::guest_cs_access_rights,
                                           VmcsField::guest_ss_access_rights, VmcsField::guest_ds_access_rights,
                                           VmcsField::guest_fs_access_rights, VmcsField::guest_gs_access_rights};
    /* Only what the operand uses: its segment, its base and index registers
     * (memory_operand() reads no other; reading all 6 segments and 16
     * registers was ~900 of VMPTRST's ~2.3k cycles in Bochs). */
    Segment segments[6] = {};
    if (unsigned used = information_.segment(); used < 6)
        segments[used] = {vmcs_read(BASES[used]), vmcs_read(LIMITS[used]), vmcs_read(RIGHTS[used])};
    uint64_t registers[16] = {};
    if (information_.base_valid())
        registers[information_.base_register()] = vcpu_.read_gpr(information_.base_register());
    if (information_.index_valid())
        registers[information_.index_register()] = vcpu_.read_gpr(information_.index_register());
    MemoryOperand operand = memory_operand({mode_64bit_, registers, segments}, information_, displacement_, size, write);
    switch (operand.fault) {
    case OperandFault::none: break;
    case OperandFault::general_protection: result = fault(VECTOR_GP); return false;
    case OperandFault::stack_fault: result = fault(VECTOR_SS); return false;
    case OperandFault::bad_information:
        result = end_vm("VMX instruction exit with undecodable instruction information 0x%lx", uint64_t(information_.raw));
        return false;
    }
    guest_paging::PagedGuestMemory memory = vcpu_.guest_address_space();
    bool done = write ? memory.write(operand.linear, buffer, size) : memory.read(operand.linear, buffer, size);
    if (done)
        return true;
    /* The first byte that cannot be accessed: the operand's, or the next page's. */
    uint8_t byte;
    uint64_t faulting = memory.read(operand.linear, &byte, 1) ? (operand.linear | 0xFFF) + 1 : operand.linear;
    (void)(write ? memory.write(operand.linear, buffer, size) : memory.read(operand.linear, buffer, size));
    using guest_paging::PageWalkFault;
    PageWalkFault why = memory.last_fault();
    switch (why) {
    case PageWalkFault::not_present:
    case PageWalkFault::reserved_bit:
    case PageWalkFault::write_to_read_only:
    case PageWalkFault::user_to_supervisor: {
        /* #PF error code: P (a protection fault), W/R, U/S (CPL is 0 here), RSVD. */
        uint32_t code = (why != PageWalkFault::not_present ? 1u : 0u) | (write ? 2u : 0u) |
                        (why == PageWalkFault::reserved_bit ? 8u : 0u);
        vcpu_.registers().cr2 = faulting;
        result = fault(VECTOR_PF, code);
        return false;
    }
    case PageWalkFault::non_canonical:
    case PageWalkFault::buffer_wraps: result = fault(VECTOR_GP); return false;
    default:
        vcpu_.vm().end(VmRunState::failed, -1, "the memory operand of a VMX instruction at linear 0x%lx: %s", faulting,
                       guest_paging::page_walk_fault_text(why));
        ended_ = true;
        result = {Outcome::not_completed, 0};
        return false;
    }
}

bool Emulation::valid_region(uint64_t address)
{
    uint32_t width = vcpu_.vm().cpu().config().physical_address_bits;
    return (address & 0xFFF) == 0 && (address >> width) == 0 &&
           vcpu_.vm().memory().is_ram(address, VMCS12_REGION_SIZE);
}

bool Emulation::flush_current()
{
    if (!state_.has_current_vmcs12())
        return true;
    bool stored = state_.vmcs12.store(vcpu_.vm().memory(), state_.current_vmcs12);
    state_.vmcs12_dirty = false;
    return stored;
}

InstructionResult Emulation::vmxon()
{
    const cpu_model::VmxCapabilityMsrs& offered = vcpu_.vm().cpu().config().vmx_capabilities;
    if (state_.vmx_operation)
        return fail(VMXON_IN_ROOT);
    /* "IF (CPL > 0) or (in A20M mode) or (the values of CR0 and CR4 are not
     * supported in VMX operation) or (IA32_FEATURE_CONTROL bit 0 = 0) or ...
     * THEN #GP(0)": CPL is checked already; the feature control MSR is locked
     * with VMX enabled for every VM offered VMX. */
    vmx::FixedBits cr0{offered.value(uint32_t(vmx::CapabilityMsr::cr0_fixed0)),
                       offered.value(uint32_t(vmx::CapabilityMsr::cr0_fixed1))};
    vmx::FixedBits cr4{offered.value(uint32_t(vmx::CapabilityMsr::cr4_fixed0)),
                       offered.value(uint32_t(vmx::CapabilityMsr::cr4_fixed1))};
    if (vmx::fixed_bits_violated(cr0_, cr0) || vmx::fixed_bits_violated(cr4_, cr4))
        return fault(VECTOR_GP);
    InstructionResult result;
    uint64_t address;
    if (!read_pointer(address, result))
        return result;
    /* "IF addr is not 4KB-aligned or addr sets any bits beyond the
     * physical-address width THEN VMfailInvalid"; a page outside L1's RAM
     * holds no revision identifier, so it fails the same way. */
    uint32_t revision = 0;
    if (!valid_region(address) || !read_revision(vcpu_.vm().memory(), address, revision) ||
        revision != VMCS12_REVISION_ID)
        return {Outcome::fail_invalid, 0};
    state_.vmx_operation = true;
    state_.vmxon_region = address;
    state_.current_vmcs12 = NO_CURRENT_VMCS;
    state_.in_l2 = false;
    forget_vmcs02(state_);
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmxoff()
{
    if (!flush_current())
        return end_vm("VMXOFF: the current VMCS12 at 0x%lx is no longer in the guest's RAM", state_.current_vmcs12);
    state_.vmx_operation = false;
    state_.vmxon_region = NO_CURRENT_VMCS;
    state_.current_vmcs12 = NO_CURRENT_VMCS;
    state_.in_l2 = false;
    forget_vmcs02(state_);
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmclear()
{
    InstructionResult result;
    uint64_t address;
    if (!read_pointer(address, result))
        return result;
    if (!valid_region(address))
        return fail(VMCLEAR_INVALID_ADDRESS);
    if (address == state_.vmxon_region)
        return fail(VMCLEAR_VMXON_POINTER);
    /* "ensure that data for VMCS referenced by the operand is in memory;
     * initialize implementation-specific data in VMCS region; launch state of
     * VMCS referenced by the operand <- clear; IF operand addr = current-VMCS
     * pointer THEN current-VMCS pointer <- FFFFFFFF_FFFFFFFFH". VMCS02 is no
     * longer kept for it (nor for any other: VMCLEAR is rare). */
    forget_vmcs02(state_);
    if (address == state_.current_vmcs12) {
        state_.vmcs12.set_launched(false);
        if (!flush_current())
            return end_vm("VMCLEAR: the VMCS12 at 0x%lx is no longer in the guest's RAM", address);
        state_.current_vmcs12 = NO_CURRENT_VMCS;
        return {Outcome::succeed, 0};
    }
    if (!clear_launch_state(vcpu_.vm().memory(), address))
        return fail(VMCLEAR_INVALID_ADDRESS);
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmptrld()
{
    InstructionResult result;
    uint64_t address;
    if (!read_pointer(address, result))
        return result;
    if (!valid_region(address))
        return fail(VMPTRLD_INVALID_ADDRESS);
    if (address == state_.vmxon_region)
        return fail(VMPTRLD_VMXON_POINTER);
    /* "rev <- 32 bits located at physical address addr; IF rev[30:0] != VMCS
     * revision identifier supported by processor OR rev[31] = 1 AND processor
     * does not support 1-setting of 'VMCS shadowing' THEN VMfail(11)". */
    uint32_t revision = 0;
    if (!read_revision(vcpu_.vm().memory(), address, revision) || revision != VMCS12_REVISION_ID)
        return fail(VMPTRLD_WRONG_REVISION);
    if (address == state_.current_vmcs12)
        return {Outcome::succeed, 0};
    if (!flush_current())
        return end_vm("VMPTRLD: the current VMCS12 at 0x%lx is no longer in the guest's RAM", state_.current_vmcs12);
    forget_vmcs02(state_);
    if (!state_.vmcs12.load(vcpu_.vm().memory(), address)) {
        state_.current_vmcs12 = NO_CURRENT_VMCS;
        return fail(VMPTRLD_INVALID_ADDRESS);
    }
    state_.current_vmcs12 = address;
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmptrst()
{
    InstructionResult result;
    uint64_t pointer = state_.current_vmcs12;
    if (!access_memory(&pointer, 8, true, result))
        return result;
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmread()
{
    ++vcpu_.vm().statistics().nested.vmreads;
    /* "IF current-VMCS pointer is not valid THEN VMfailInvalid; ELSIF VMCS
     * field not supported THEN VMfailValid(12); ELSE DEST <- contents of VMCS
     * field": a field shorter than the operand size is zero-extended, a
     * longer one cut. */
    if (!state_.has_current_vmcs12())
        return {Outcome::fail_invalid, 0};
    uint64_t value = 0;
    if (state_.vmcs12.read(read_register(information_.register2()), value) != FieldStatus::ok)
        return fail(UNSUPPORTED_COMPONENT);
    value &= operand_mask();
    if (information_.register_operand()) {
        vcpu_.write_gpr(information_.register1(), value);
        return {Outcome::succeed, 0};
    }
    InstructionResult result;
    if (!access_memory(&value, mode_64bit_ ? 8 : 4, true, result))
        return result;
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmwrite()
{
    ++vcpu_.vm().statistics().nested.vmwrites;
    if (!state_.has_current_vmcs12())
        return {Outcome::fail_invalid, 0};
    uint64_t value = 0;
    if (information_.register_operand()) {
        value = read_register(information_.register1());
    } else {
        InstructionResult result;
        if (!read_memory(&value, mode_64bit_ ? 8 : 4, result))
            return result;
    }
    bool writable_read_only =
        vcpu_.vm().cpu().config().vmx_capabilities.value(uint32_t(vmx::CapabilityMsr::misc)) & MISC_VMWRITE_ANY_FIELD;
    switch (state_.vmcs12.write(read_register(information_.register2()), value, writable_read_only)) {
    case FieldStatus::ok: break;
    case FieldStatus::unsupported_component: return fail(UNSUPPORTED_COMPONENT);
    case FieldStatus::read_only_component: return fail(VMWRITE_READ_ONLY);
    }
    state_.vmcs12_dirty = true;
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::invept()
{
    /* "IF (INVEPT_TYPE is not supported) THEN VMfail(28)"; a single-context
     * EPTP must be one VM entry would accept (memory type UC or WB, 4-level
     * walk, no accessed/dirty flags as they are not offered, reserved bits 0). */
    uint64_t type = read_register(information_.register2());
    uint64_t capabilities =
        vcpu_.vm().cpu().config().vmx_capabilities.value(uint32_t(vmx::CapabilityMsr::ept_vpid_cap));
    bool supported = (type == 1 && (capabilities & EPT_INVEPT_SINGLE_CONTEXT)) ||
                     (type == 2 && (capabilities & EPT_INVEPT_ALL_CONTEXT));
    if (!supported)
        return fail(INVALID_INVEPT_INVVPID_OPERAND);
    uint64_t descriptor[2];
    InstructionResult result;
    if (!read_memory(descriptor, sizeof(descriptor), result))
        return result;
    if (type == 1) {
        uint64_t eptp = descriptor[0];
        uint64_t memory_type = eptp & 7;
        uint32_t width = vcpu_.vm().cpu().config().physical_address_bits;
        bool valid = ((memory_type == 0 && (capabilities & EPT_MEMORY_TYPE_UC)) ||
                      (memory_type == 6 && (capabilities & EPT_MEMORY_TYPE_WB))) &&
                     ((eptp >> 3) & 7) == 3 && !(eptp & (0x1Full << 6)) && (eptp >> width) == 0;
        if (!valid)
            return fail(INVALID_INVEPT_INVVPID_OPERAND);
    }
    invalidate_l2_ept(vcpu_, state_, type, descriptor[0]);
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::invvpid()
{
    /* "IF (INVVPID_TYPE is not supported) or (INVVPID_DESC[63:16] != 0) THEN
     * VMfail(28)"; then per type: an individual address needs VPID != 0 and a
     * canonical address, the single-context types VPID != 0. */
    uint64_t type = read_register(information_.register2());
    uint64_t capabilities =
        vcpu_.vm().cpu().config().vmx_capabilities.value(uint32_t(vmx::CapabilityMsr::ept_vpid_cap));
    bool supported = type <= 3 && (capabilities & VPID_INVVPID) && (capabilities & (VPID_INVVPID_INDIVIDUAL_ADDRESS << type));
    if (!supported)
        return fail(INVALID_INVEPT_INVVPID_OPERAND);
    uint64_t descriptor[2];
    InstructionResult result;
    if (!read_memory(descriptor, sizeof(descriptor), result))
        return result;
    if ((descriptor[0] >> 16) != 0)
        return fail(INVALID_INVEPT_INVVPID_OPERAND);
    auto vpid = uint16_t(descriptor[0]);
    uint64_t top = descriptor[1] >> 47;
    if ((type != 2 && vpid == 0) || (type == 0 && top != 0 && top != 0x1FFFF))
        return fail(INVALID_INVEPT_INVVPID_OPERAND);
    invalidate_l2_vpid(vcpu_, state_, type, vpid, descriptor[1]);
    return {Outcome::succeed, 0};
}

InstructionResult Emulation::vmlaunch_or_vmresume(bool launch)
{
    /* "IF current-VMCS pointer is not valid THEN VMfailInvalid; ELSIF events
     * are being blocked by MOV SS THEN VMfailValid(26); ELSIF (VMLAUNCH and
     * launch state of current VMCS is not 'clear') THEN VMfailValid(4); ELSIF
     * (VMRESUME and launch state is not 'launched') THEN VMfailValid(5)". */
    if (!state_.has_current_vmcs12())
        return {Outcome::fail_invalid, 0};
    if (vmcs_read(VmcsField::guest_interruptibility_state) & BLOCKING_BY_MOV_SS)
        return fail(ENTRY_BLOCKED_BY_MOV_SS);
    if (launch && state_.vmcs12.launched())
        return fail(VMLAUNCH_NON_CLEAR);
    if (!launch && !state_.vmcs12.launched())
        return fail(VMRESUME_NON_LAUNCHED);
    return enter_l2(vcpu_, state_, launch);
}

void Emulation::complete(const InstructionResult& result)
{
    uint64_t flags = rflags_ & ~ARITHMETIC_FLAGS;
    switch (result.outcome) {
    case Outcome::not_completed:
    case Outcome::entered_l2: return;
    case Outcome::succeed: break;
    case Outcome::fail_invalid: flags |= RFLAGS_CF; break;
    case Outcome::fail_valid:
        flags |= RFLAGS_ZF;
        state_.vmcs12.set(VmcsEncoding::vm_instruction_error, result.error);
        state_.vmcs12_dirty = true;
        break;
    }
    vmcs_write(VmcsField::guest_rflags, flags);
    vcpu_.advance_rip();
}

ExitAction Emulation::run()
{
    ++vcpu_.vm().statistics().nested.vmx_instructions;
    if (!common_checks())
        return ExitAction::resume;
    /* L1's VMWRITEs that the shadow VMCS took without an exit come into the cache
     * first: every instruction below reads or writes back the cache, but
     * VMPTRST, which neither reads a field nor changes the current VMCS (our
     * kernel as L1 executes one per exit of its guest: two copies of every field
     * saved per round trip). */
    bool syncs = reason_ != ExitReason::vmptrst;
    if (syncs)
        pull(vcpu_, state_);
    InstructionResult result;
    switch (reason_) {
    case ExitReason::vmxon: result = vmxon(); break;
    case ExitReason::vmxoff: result = vmxoff(); break;
    case ExitReason::vmclear: result = vmclear(); break;
    case ExitReason::vmptrld: result = vmptrld(); break;
    case ExitReason::vmptrst: result = vmptrst(); break;
    case ExitReason::vmread: result = vmread(); break;
    case ExitReason::vmwrite: result = vmwrite(); break;
    case ExitReason::invept: result = invept(); break;
    case ExitReason::invvpid: result = invvpid(); break;
    case ExitReason::vmlaunch: result = vmlaunch_or_vmresume(true); break;
    case ExitReason::vmresume: result = vmlaunch_or_vmresume(false); break;
    default: vcpu_.inject_exception(VECTOR_UD); return ExitAction::resume;
    }
    if (ended_)
        return ExitAction::stop;
    complete(result);
    if (syncs)
        push(vcpu_, state_);
    return ExitAction::resume;
}

} // namespace

ExitAction emulate_vmx_instruction(VmxVcpu& vcpu, ExitReason reason)
{
    if (!vcpu.vm().cpu().config().nested_vmx) {
        /* VMX is not offered to this VM: the instruction is undefined for it. */
        vcpu.inject_exception(VECTOR_UD);
        return ExitAction::resume;
    }
    return Emulation(vcpu, reason).run();
}

bool cr4_write_allowed(VmxVcpu& vcpu, uint64_t value)
{
    if (!vcpu.vm().cpu().config().nested_vmx)
        return !(value & CR4_VMXE);
    return (value & CR4_VMXE) || !vcpu.nested_state().vmx_operation;
}

} // namespace nested
