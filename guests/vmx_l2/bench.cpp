/* The vmx_l2 guest's benchmark (make bench): an L2 CPUID round trip through L0
 * and this L1, and L1's VMREAD/VMWRITE with and without VMCS shadowing. */
#include "vmx_l2/vmx_l2.h"

namespace guest::l2 {

namespace {

/* make bench (tools/bench/run_all.py, vm_cmdline=bench): an L2 that loops CPUID
 * and times the loop with its own RDTSC (L2's view of each round trip through
 * L0 and this L1), and L1's own VMREAD and VMWRITE of GUEST_RIP (exits to L0
 * or answered by the shadow VMCS, vm_nested_shadow=on|off). */
constexpr int32_t BENCH_COUNT = 1000;
/* L1's code between L2's exits runs on L2's general registers (a VM exit
 * keeps them) and changes them, so the loop keeps its count and start time in
 * memory (the first 8 bytes of L2's stack page, mapped by L1's EPT):
 *   MOV DWORD [count], 1000; RDTSC; MOV [start], EAX;
 *   1: XOR EAX, EAX; CPUID; DEC DWORD [count]; JNZ 1b;
 *   RDTSC; SUB EAX, [start]; HLT
 * The loop's cycles are in EAX at the HLT exit. */
void write_l2_cpuid_loop()
{
    uint32_t count = uint32_t(uintptr_t(l2_stack)), start = count + 4;
    uint8_t program[] = {0xC7, 0x05, 0, 0, 0, 0, 0xE8, 0x03, 0x00, 0x00, /* MOV DWORD [count], 1000 */
                         0x0F, 0x31, 0xA3, 0, 0, 0, 0,                   /* RDTSC; MOV [start], EAX */
                         0x31, 0xC0, 0x0F, 0xA2, 0xFF, 0x0D, 0, 0, 0, 0, /* XOR; CPUID; DEC DWORD [count] */
                         0x75, 0xF4,                                     /* JNZ back to the XOR */
                         0x0F, 0x31, 0x2B, 0x05, 0, 0, 0, 0, 0xF4};      /* RDTSC; SUB EAX, [start]; HLT */
    auto put = [&](uint32_t at, uint32_t value) {
        for (uint32_t i = 0; i < 4; ++i)
            program[at + i] = uint8_t(value >> (8 * i));
    };
    put(2, count);
    put(13, start);
    put(23, count);
    put(33, start);
    for (uint32_t i = 0; i < sizeof(program); ++i)
        l2_code[i] = program[i];
}

uint64_t rdtsc()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t(high) << 32) | low;
}

void report_bench(const char* what, uint32_t cycles)
{
    Text line;
    line.add("bench nested ").add(what).add("_cycles=").add_decimal(int32_t(cycles)).add(" count=")
        .add_decimal(BENCH_COUNT);
    print(line.c_str(), uint32_t(line.length()));
}

} // namespace

void run_bench()
{
    uint64_t start = rdtsc();
    for (int32_t i = 0; i < BENCH_COUNT; ++i)
        (void)vmread(GUEST_RIP);
    report_bench("vmread", uint32_t(rdtsc() - start));
    uint32_t rip = vmread(GUEST_RIP);
    start = rdtsc();
    for (int32_t i = 0; i < BENCH_COUNT; ++i)
        vmwrite(GUEST_RIP, rip);
    report_bench("vmwrite", uint32_t(rdtsc() - start));

    write_l2_cpuid_loop();
    vmwrite(GUEST_RIP, uint32_t(uintptr_t(l2_code)));
    /* Each CPUID exit: L2's RIP past it, VMRESUME; other exits (a host
     * interrupt L0 reflects) resume as they are; the HLT ends the loop. */
    bool exited = enter_l2(true);
    uint32_t cpuid_exits = 0;
    while (exited && vmread(EXIT_REASON) != 12 && cpuid_exits <= uint32_t(BENCH_COUNT)) {
        if (vmread(EXIT_REASON) == 10) {
            ++cpuid_exits;
            vmwrite(GUEST_RIP, vmread(GUEST_RIP) + vmread(EXIT_INSTRUCTION_LENGTH));
        }
        exited = enter_l2(false);
    }
    Text reason;
    reason.add_decimal(int32_t(cpuid_exits)).add(" CPUID exits, last exit reason ")
        .add_decimal(int32_t(vmread(EXIT_REASON)));
    check("bench_l2_cpuid_loop_ends_in_its_hlt", exited && vmread(EXIT_REASON) == 12 &&
          cpuid_exits == uint32_t(BENCH_COUNT), reason.c_str());
    report_bench("l2_cpuid", vmx_l2_eax);
}

} // namespace guest::l2
