/* Test guest "hlt": HLT with interrupts disabled. Nothing can wake the guest, so
 * the hypervisor must stop the VM and say why ("HLT with interrupts disabled")
 * instead of waiting forever. Follows the Intel SDM (revision 084), Vol. 2, "HLT"
 * (only an interrupt, NMI, SMI, INIT or reset resumes a halted processor). */
#include "common/cpu.h"
#include "common/guest.h"

namespace guest {

const char GUEST_NAME[] = "hlt";

void guest_main()
{
    check("reached_hlt", true);
    asm volatile("cli; hlt");
    /* An NMI, SMI or INIT could resume us on real hardware; our VM has none. */
    check("vm_stopped_at_hlt", false, "the guest went on after HLT with interrupts disabled");
}

} // namespace guest
