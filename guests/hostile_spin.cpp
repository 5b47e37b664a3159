/* Hostile guest "hostile_spin" (docs/hostile-guests.md, class f): interrupts
 * off, then a loop that never ends - a tight jump, a PAUSE loop or a loop that
 * keeps writing memory, picked by the seed. Nothing the guest does exits to the
 * host, so only the VMX-preemption timer gives the host its CPU back; the host's
 * other threads must keep running and vm_manager::stop (or vm_timeout_ms) must
 * end the VM with "stopped by the host". With the word `cpuid` on its command
 * line the loop executes CPUID instead: every exit then takes the host's fast
 * path (hypervisor/vmx/vmx_vcpu.cpp), which must give the CPU back as well.
 * Follows the Intel SDM (revision 084), Vol. 3C, "VMX-Preemption Timer". */
#include "common/guest.h"
#include "common/hostile.h"

namespace guest {

const char GUEST_NAME[] = "hostile_spin";

namespace {

const char* const LOOP_NAMES[] = {"jump", "pause", "store", "cpuid"};
constexpr uint32_t CPUID_LOOP = 3;
volatile uint32_t spin_counter;

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    uint32_t loop = command_line_has("cpuid") ? CPUID_LOOP : random.below(3);
    HostileSummary(seed, 1).add_text("loop", LOOP_NAMES[loop]).send();
    check("reached_spin", true);
    asm volatile("cli");
    if (loop == 0)
        asm volatile("2: jmp 2b");
    else if (loop == 1)
        asm volatile("2: pause\n\tjmp 2b");
    else if (loop == CPUID_LOOP)
        asm volatile("2: xor %%eax, %%eax\n\tcpuid\n\tjmp 2b" ::: "eax", "ebx", "ecx", "edx");
    else
        for (;;)
            spin_counter = spin_counter + 1;
    check("vm_stopped_while_spinning", false, "the endless loop ended");
}

} // namespace guest
