/* Hostile guest "hostile_vmx" (docs/hostile-guests.md, docs/nested.md): an L1
 * hypervisor that fuzzes the host's VMX emulation with a seed. It turns VMX on and
 * then, case by case, runs VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD,
 * VMWRITE, INVEPT, INVVPID, VMLAUNCH and VMRESUME with seeded pointers (aligned
 * or not, in its RAM or far beyond), field encodings (supported, reserved bits,
 * random), values and types, and scribbles over its VMCS regions' memory while
 * one is current (undefined by the SDM). Every instruction must end in one of
 * the SDM's outcomes (VMsucceed, VMfailInvalid, VMfailValid with a listed error
 * number, #UD or #GP where the SDM raises them); VMPTRST must always name what
 * the SDM says is current; nothing may stop the VM. Where VMX is not offered
 * (SVM hosts, vm_nested=off) the same cases must each raise #UD. Follows the Intel SDM
 * (revision 084), Vol. 3C, chapter "VMX Instruction Reference". */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/vmx.h"

namespace guest {

const char GUEST_NAME[] = "hostile_vmx";

namespace {

constexpr uint32_t CASES = 600;
constexpr uint32_t REGIONS = 4;
constexpr uint64_t NO_VMCS = ~0ull;
constexpr uint32_t VM_INSTRUCTION_ERROR = 0x4400, PIN_BASED_CONTROLS = 0x4000;
/* Encodings a VMCS has (Appendix B), to mix with random ones. */
constexpr uint32_t FIELDS[] = {0x0000, 0x0802, 0x0C00, 0x2000, 0x2001, 0x2010, 0x201A, 0x2400, 0x2800, 0x2806,
                               0x4000, 0x4002, 0x400C, 0x4012, 0x401E, 0x4400, 0x4402, 0x4824, 0x482E, 0x6000,
                               0x6400, 0x6800, 0x681E, 0x6820, 0x6C00, 0x6C16, 0x200E, 0x2026, 0x0004};
/* Errors a VMfailValid may carry here ("VM Instruction Error Numbers"). */
constexpr uint32_t LISTED_ERRORS[] = {2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 15, 26, 28};

alignas(4096) uint32_t page_directory[1024];
alignas(4096) uint8_t vmxon_region[4096];
alignas(4096) uint8_t regions[REGIONS][4096];

struct Tally {
    uint32_t succeed, fail_invalid, fail_valid, undefined_opcode, general_protection, other_fault, unlisted_error,
        both_flags, vmptrst_wrong;
};

struct State {
    Random& random;
    Tally& tally;
    uint32_t revision;
    bool vmx_on = false;
    uint64_t current = NO_VMCS; /* what the SDM says VMPTRST must store */
};

uint64_t address_of(const void* p) { return uint32_t(uintptr_t(p)); }

/* A pointer for VMXON, VMCLEAR or VMPTRLD: mostly our regions, else an aligned
 * page of RAM, a misaligned one, or anything at all. */
uint64_t random_pointer(State& s)
{
    switch (s.random.below(8)) {
    case 0: return address_of(vmxon_region);
    case 1: return (uint64_t(s.random.below(2048)) << 12);                         /* a page of the first 8 MiB */
    case 2: return address_of(regions[s.random.below(REGIONS)]) + s.random.below(4096);
    case 3: return (uint64_t(s.random.next()) << 32) | (s.random.next() & ~0xFFFu); /* far beyond */
    default: return address_of(regions[s.random.below(REGIONS)]);
    }
}

uint32_t random_field(State& s)
{
    switch (s.random.below(4)) {
    case 0: return s.random.next();
    case 1: return FIELDS[s.random.below(sizeof(FIELDS) / sizeof(FIELDS[0]))] | (s.random.next() & 0x7000);
    default: return FIELDS[s.random.below(sizeof(FIELDS) / sizeof(FIELDS[0]))];
    }
}

/* Counts one instruction's outcome, checking it is one the SDM allows. */
Outcome count(State& s, uint32_t flags)
{
    Outcome outcome = outcome_of(flags);
    FaultLog log = fault_log();
    reset_fault_log();
    if ((flags & RFLAGS_CF) && (flags & (1u << 6)))
        ++s.tally.both_flags;
    switch (outcome) {
    case Outcome::succeed: ++s.tally.succeed; break;
    case Outcome::fail_invalid: ++s.tally.fail_invalid; break;
    case Outcome::fail_valid: {
        ++s.tally.fail_valid;
        uint32_t error = 0;
        (void)vmread(VM_INSTRUCTION_ERROR, error);
        reset_fault_log();
        bool listed = false;
        for (uint32_t known : LISTED_ERRORS)
            listed = listed || error == known;
        s.tally.unlisted_error += listed ? 0 : 1;
        break;
    }
    case Outcome::fault:
        if (log.vector == VECTOR_INVALID_OPCODE)
            ++s.tally.undefined_opcode;
        else if (log.vector == VECTOR_GENERAL_PROTECTION)
            ++s.tally.general_protection;
        else
            ++s.tally.other_fault;
        break;
    }
    return outcome;
}

void one_case(State& s)
{
    uint32_t value = 0;
    switch (s.random.below(12)) {
    case 0: {
        uint64_t pointer = random_pointer(s);
        if (count(s, vmptrld(pointer)) == Outcome::succeed)
            s.current = pointer;
        break;
    }
    case 1: {
        uint64_t pointer = random_pointer(s);
        if (count(s, vmclear(pointer)) == Outcome::succeed && pointer == s.current)
            s.current = NO_VMCS;
        break;
    }
    case 2:
    case 3: (void)count(s, vmwrite(random_field(s), s.random.next())); break;
    case 4: (void)count(s, vmread(random_field(s), value)); break;
    case 5: (void)count(s, vmread_to_memory(random_field(s), value)); break;
    case 6: {
        /* Pin-based controls without their reserved 1 bits: whatever else the
         * fields hold, the entry fails its control checks (error 7). */
        (void)vmwrite(PIN_BASED_CONTROLS, s.random.next() & ~0x16u);
        reset_fault_log();
        (void)count(s, s.random.chance(2) ? vmlaunch() : vmresume());
        break;
    }
    case 7: {
        uint64_t descriptor[2] = {(uint64_t(s.random.next()) << 32) | s.random.next(),
                                  (uint64_t(s.random.next()) << 32) | s.random.next()};
        if (s.random.chance(2))
            descriptor[0] &= 0xFFFF;
        uint32_t type = s.random.below(6);
        (void)count(s, s.random.chance(2) ? invept(type, descriptor) : invvpid(type, descriptor));
        break;
    }
    case 8: {
        /* Scribbles over a region's memory, the current VMCS12's too. */
        uint8_t* region = regions[s.random.below(REGIONS)];
        for (uint32_t i = 0; i < 16; ++i)
            region[s.random.below(4096)] = uint8_t(s.random.next());
        *reinterpret_cast<volatile uint32_t*>(region) = s.revision;
        break;
    }
    case 9: {
        uint64_t stored = 0;
        if (count(s, vmptrst(&stored)) == Outcome::succeed && stored != s.current)
            ++s.tally.vmptrst_wrong;
        break;
    }
    case 10:
        if (s.random.chance(4) && count(s, vmxoff()) == Outcome::succeed) {
            s.vmx_on = false;
            s.current = NO_VMCS;
        }
        break;
    default: {
        uint64_t pointer = s.random.chance(2) ? address_of(vmxon_region) : random_pointer(s);
        if (count(s, vmxon(pointer)) == Outcome::succeed) {
            s.vmx_on = true;
            s.current = NO_VMCS;
        }
        break;
    }
    }
}

/* Paging on (VMXON needs CR0.PG), and with VMX offered CR4.VMXE and VMXON. */
bool enter_vmx(uint32_t revision, bool offered)
{
    for (uint32_t i = 0; i < 1024; ++i)
        page_directory[i] = (i << 22) | 0x83; /* 4 MiB pages, one to one */
    asm volatile("mov %0, %%cr3" : : "r"(uint32_t(uintptr_t(page_directory))) : "memory");
    write_cr4(read_cr4() | uint32_t(CR4_PSE) | (offered ? uint32_t(CR4_VMXE) : 0));
    write_cr0(read_cr0() | uint32_t(CR0_PG | CR0_NE));
    *reinterpret_cast<volatile uint32_t*>(vmxon_region) = revision;
    for (auto& region : regions)
        *reinterpret_cast<volatile uint32_t*>(region) = revision;
    bool ok = fault_log().count == 0;
    reset_fault_log();
    return offered && ok && outcome_of(vmxon(address_of(vmxon_region))) == Outcome::succeed;
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    Tally tally = {};
    reset_fault_log();
    /* Without VMX (an SVM host, vm_nested=off) the same cases run, and each
     * instruction must raise #UD. */
    bool offered = cpuid(1).ecx & CPUID_1_ECX_VMX;
    uint32_t revision = offered ? uint32_t(read_msr(0x480)) & 0x7FFFFFFF : 0;
    State state{random, tally, revision, enter_vmx(revision, offered)};
    if (offered)
        check("vmxon_succeeds", state.vmx_on, "could not enter VMX operation");
    for (uint32_t i = 0; i < CASES; ++i)
        one_case(state);
    HostileSummary(seed, CASES)
        .add_text("vmx", offered ? "offered" : "hidden")
        .add("succeed", tally.succeed).add("fail_invalid", tally.fail_invalid).add("fail_valid", tally.fail_valid)
        .add("ud", tally.undefined_opcode).add("gp", tally.general_protection).add("other_fault", tally.other_fault)
        .send();
    if (!offered) {
        uint32_t others = tally.succeed + tally.fail_invalid + tally.fail_valid + tally.general_protection +
                          tally.other_fault;
        check("every_instruction_raises_ud_without_vmx", others == 0 && tally.undefined_opcode > 0,
              "a VMX instruction did something else than #UD");
        return;
    }
    check("every_outcome_is_one_the_sdm_allows", tally.other_fault == 0 && tally.both_flags == 0,
          "a VMX instruction raised an unexpected exception or set CF and ZF together");
    check("every_vmfailvalid_names_a_listed_error", tally.unlisted_error == 0, "an unlisted VM-instruction error");
    check("vmptrst_always_names_the_current_vmcs", tally.vmptrst_wrong == 0, "VMPTRST stored another pointer");
    check("some_cases_succeed_and_some_fail", tally.succeed > 0 && tally.fail_valid + tally.fail_invalid > 0,
          "the cases did not reach both sides");
}

} // namespace guest
