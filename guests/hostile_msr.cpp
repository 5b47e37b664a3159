/* Hostile guest "hostile_msr" (docs/hostile-guests.md, class c): RDMSR over the
 * architectural and common model-specific ranges and seeded random addresses,
 * each MSR that reads written back with what it read (so the guest's own state
 * stays sane) and each MSR that faults written with a random value. Most must
 * raise #GP(0), which the guest's IDT counts; nothing may stop the VM. A faulting
 * RDMSR must leave EAX and EDX as they were (a fault changes no register but the
 * stack): each read starts with seeded values there, which the #GP handler checks.
 * Follows
 * the Intel SDM (revision 084), Vol. 2, "RDMSR" and "WRMSR", and Vol. 4. */
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "kernel/arch/x86_64/msr.h"

namespace guest {

const char GUEST_NAME[] = "hostile_msr";

namespace {

struct Range {
    uint32_t first, count;
};
/* Architectural MSRs, the hypervisor range, the AMD64/x86-64 extended range. */
constexpr Range RANGES[] = {{0x0, 0x2000}, {0x40000000, 0x100}, {0xC0000000, 0x100}, {0xC0010000, 0x100}};
constexpr uint32_t RANDOM_MSRS = 512;
/* Writing these back changes the guest's running state even with the value just
 * read (the TSC moves on), or selects modes a protected-mode guest cannot hold. */
constexpr uint32_t IA32_TIME_STAMP_COUNTER = uint32_t(Msr::time_stamp_counter);
constexpr uint32_t IA32_EFER = uint32_t(Msr::efer);

struct Tally {
    uint32_t tried, read_ok, read_gp, write_ok, write_gp, other_fault, read_gp_clobbered;
};

/* One access, resumed after a fault; true when no exception came. EAX and EDX
 * hold `before` when RDMSR starts; `clobbered` says whether a fault found them
 * changed. */
bool read_msr(uint32_t msr, uint64_t& value, uint64_t before, bool& clobbered)
{
    reset_fault_log();
    uint32_t low = uint32_t(before), high = uint32_t(before >> 32);
    asm volatile(EXPECT_FAULT("rdmsr") : "+a"(low), "+d"(high) : "c"(msr) : "memory");
    value = uint64_t(high) << 32 | low;
    FaultLog log = fault_log();
    clobbered = log.count != 0 && (log.eax != uint32_t(before) || log.edx != uint32_t(before >> 32) ||
                                   low != uint32_t(before) || high != uint32_t(before >> 32));
    return log.count == 0;
}

bool write_msr(uint32_t msr, uint64_t value)
{
    reset_fault_log();
    asm volatile(EXPECT_FAULT("wrmsr") : : "c"(msr), "a"(uint32_t(value)), "d"(uint32_t(value >> 32)) : "memory");
    return fault_log().count == 0;
}

bool last_fault_is_gp0()
{
    FaultLog log = fault_log();
    return log.count == 1 && log.vector == VECTOR_GENERAL_PROTECTION && log.error_code == 0;
}

void try_msr(uint32_t msr, Random& random, Tally& tally)
{
    ++tally.tried;
    uint64_t value = 0;
    bool clobbered = false;
    bool readable = read_msr(msr, value, uint64_t(random.next()) << 32 | random.next(), clobbered);
    if (readable)
        ++tally.read_ok;
    else if (last_fault_is_gp0())
        ++tally.read_gp;
    else
        ++tally.other_fault;
    if (clobbered)
        ++tally.read_gp_clobbered;
    if (msr == IA32_TIME_STAMP_COUNTER || msr == IA32_EFER)
        return;
    uint64_t written = readable ? value : uint64_t(random.next()) << 32 | random.next();
    if (write_msr(msr, written))
        ++tally.write_ok;
    else if (last_fault_is_gp0())
        ++tally.write_gp;
    else
        ++tally.other_fault;
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    Tally tally = {};
    for (const Range& range : RANGES) {
        for (uint32_t i = 0; i < range.count; ++i)
            try_msr(range.first + i, random, tally);
    }
    for (uint32_t i = 0; i < RANDOM_MSRS; ++i)
        try_msr(random.next(), random, tally);
    HostileSummary(seed, tally.tried)
        .add("read_ok", tally.read_ok).add("read_gp", tally.read_gp).add("write_ok", tally.write_ok)
        .add("write_gp", tally.write_gp).add("other_fault", tally.other_fault)
        .add("read_gp_clobbered", tally.read_gp_clobbered).send();
    check("every_refusal_is_gp0", tally.other_fault == 0, "an MSR access raised something other than #GP(0)");
    check("most_msrs_refused", tally.read_gp > tally.read_ok, "more MSRs read than refused");
    check("faulting_rdmsr_keeps_eax_edx", tally.read_gp_clobbered == 0,
          "a RDMSR that raised #GP changed EAX or EDX");
    uint64_t tsc = 0;
    bool clobbered = false;
    check("tsc_still_reads", read_msr(IA32_TIME_STAMP_COUNTER, tsc, 0, clobbered), "RDMSR of the TSC faulted");
}

} // namespace guest
