/* The vmx_l2 guest's fuzzer of L2's guest state (a hostile L1, issue #16):
 * every entry comes back to L1 as hardware would make it (Intel SDM revision
 * 084, Vol. 3C, "Checks on the Guest State Area", "VM-Entry Failures During or
 * After Loading Guest State"). */
#include "vmx_l2/vmx_l2.h"

namespace guest::l2 {

namespace {

alignas(4096) uint64_t fuzz_pml4[512];
alignas(4096) uint64_t fuzz_pdpt[512];
alignas(4096) uint64_t fuzz_pd[512];
alignas(4096) uint64_t fuzz_pt[2][512];

/* The guest-state fields a hostile L1 may fill with anything (segment state,
 * control registers, RIP, RSP, RFLAGS, interruptibility, activity, pending debug
 * exceptions, descriptor tables): each entry either fails as hardware fails it
 * (VMfailValid, or an exit with bit 31) or runs L2 until an exit reaches L1,
 * never ends the VM or the host. */
const uint32_t FUZZED_FIELDS[] = {
    GUEST_ES, GUEST_ES + 2, GUEST_ES + 4, GUEST_ES + 14, GUEST_LIMIT + 2, GUEST_LIMIT + 4, GUEST_LIMIT + 14,
    GUEST_RIGHTS, GUEST_RIGHTS + 2, GUEST_RIGHTS + 4, GUEST_RIGHTS + 12, GUEST_RIGHTS + 14, GUEST_BASE + 2,
    GUEST_BASE + 14, GUEST_GDTR_LIMIT, GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_DR7, GUEST_RSP, GUEST_RIP,
    GUEST_RFLAGS, GUEST_INTERRUPTIBILITY, GUEST_ACTIVITY, GUEST_PENDING_DEBUG, ENTRY_INTERRUPTION,
};

uint32_t fuzz_state = 0x12345678;
uint32_t next_random()
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 17;
    fuzz_state ^= fuzz_state << 5;
    return fuzz_state;
}

} // namespace

void check_fuzzed_guest_state(uint32_t base)
{
    /* Every way L2 can go ends in an exit L1 asked for: all exceptions, all
     * CR0/CR4 bits, CR8, MWAIT/MONITOR, HLT and I/O, and L1's preemption timer
     * for an L2 that spins. */
    if (!((read_msr(TRUE_PINBASED) >> 32) & (1u << 6))) {
        check("fuzz_needs_the_preemption_timer", false, "not offered");
        return;
    }
    /* A second EPT for these rounds: L2's code page (read, execute) and stack page
     * only, so that whatever L2 runs cannot write L1's memory. */
    uint32_t pages[2] = {uint32_t(uintptr_t(l2_code)), uint32_t(uintptr_t(l2_stack))};
    fuzz_pml4[0] = uint32_t(uintptr_t(fuzz_pdpt)) | 7;
    fuzz_pdpt[0] = uint32_t(uintptr_t(fuzz_pd)) | 7;
    for (uint32_t i = 0; i < 2; ++i) {
        uint32_t table = (pages[i] >> 21) == (pages[0] >> 21) ? 0 : 1;
        fuzz_pd[pages[i] >> 21] = uint32_t(uintptr_t(fuzz_pt[table])) | 7;
        fuzz_pt[table][(pages[i] >> 12) & 511] = pages[i] | (i == 0 ? 5 : 3) | (6 << 3);
    }
    vmwrite64(EPT_POINTER, uint32_t(uintptr_t(fuzz_pml4)) | 6 | (3 << 3));
    uint32_t pin = vmread(PIN), primary = vmread(PRIMARY);
    vmwrite(PIN, pin | (1u << 6));
    vmwrite(PRIMARY, primary | (1u << 19) | (1u << 20) | (1u << 10) | (1u << 29)); /* CR8, MWAIT, MONITOR */
    vmwrite(EXCEPTION_BITMAP, 0xFFFFFFFF);
    vmwrite(0x6000, 0xFFFFFFFF); /* CR0 guest/host mask */
    vmwrite(0x6002, 0xFFFFFFFF); /* CR4 guest/host mask */
    uint32_t counts[4] = {}; /* fail valid, entry failure, L2 exit, other */
    for (uint32_t round = 0; round < 48; ++round) {
        uint32_t saved[sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0])];
        for (uint32_t i = 0; i < sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0]); ++i)
            saved[i] = vmread(FUZZED_FIELDS[i]);
        for (uint32_t changes = 1 + next_random() % 3; changes > 0; --changes) {
            uint32_t field = FUZZED_FIELDS[next_random() % (sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0]))];
            uint32_t value = next_random() & 1 ? next_random() : vmread(field) ^ (1u << (next_random() % 32));
            vmwrite(field, value);
        }
        reset_fault_log();
        vmwrite(PREEMPTION_TIMER, 500);
        vmwrite(GUEST_RIP, next_random() & 1 ? base + CPUID_OFFSET : vmread(GUEST_RIP));
        bool exited = enter_l2(true);
        uint32_t reason = exited ? vmread(EXIT_REASON) : 0;
        if (!exited && (vmx_l2_flags & (1u << 6)))
            ++counts[0];
        else if (exited && (reason & 0x80000000u))
            ++counts[1];
        else if (exited)
            ++counts[2];
        else
            ++counts[3];
        /* A launched VMCS12 needs VMCLEAR before the next VMLAUNCH. */
        (void)vmclear(uint32_t(uintptr_t(vmcs)));
        (void)vmptrld(uint32_t(uintptr_t(vmcs)));
        for (uint32_t i = 0; i < sizeof(FUZZED_FIELDS) / sizeof(FUZZED_FIELDS[0]); ++i)
            vmwrite(FUZZED_FIELDS[i], saved[i]);
    }
    Text reason;
    reason.add_decimal(int32_t(counts[0])).add(" VMfailValid, ").add_decimal(int32_t(counts[1]))
        .add(" entry failures, ").add_decimal(int32_t(counts[2])).add(" L2 exits, ").add_decimal(int32_t(counts[3]))
        .add(" other");
    check("fuzzed_guest_state_always_comes_back_to_l1", counts[3] == 0 && counts[2] > 0 && counts[1] > 0,
          reason.c_str());
    vmwrite(PIN, pin);
    vmwrite(PRIMARY, primary);
    vmwrite(EXCEPTION_BITMAP, 0);
    vmwrite(0x6000, 0);
    vmwrite(0x6002, 0);
    vmwrite64(EPT_POINTER, uint32_t(uintptr_t(ept_pml4)) | 6 | (3 << 3));
}

} // namespace guest::l2
