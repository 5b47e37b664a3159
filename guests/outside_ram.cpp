/* Test guest "outside_ram": a read of a guest-physical address far outside guest
 * RAM, with paging off (so the linear address is the guest-physical one). No EPT
 * entry maps it, so the hypervisor sees an EPT violation and must stop the VM,
 * naming the address. Follows the Intel SDM (revision 084), Vol. 3C, "EPT
 * Violations". */
#include "common/guest.h"

namespace guest {

const char GUEST_NAME[] = "outside_ram";

namespace {

/* Above the 3 GiB of RAM the loader accepts at most, below 4 GiB. */
constexpr uint32_t OUTSIDE_RAM = 0xF0000000;

} // namespace

void guest_main()
{
    check("reached_access", true);
    uint32_t value = *reinterpret_cast<volatile uint32_t*>(uintptr_t(OUTSIDE_RAM));
    (void)value;
    check("vm_stopped_at_access", false, "the read of 0xf0000000 returned");
}

} // namespace guest
