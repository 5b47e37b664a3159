/* Test guest "triple_fault": an exception with an empty IDT. Delivering it
 * raises #GP, delivering that a double fault, and a fault while delivering the
 * double fault is a triple fault: the hypervisor must stop the VM and say
 * "triple fault". Follows the Intel SDM (revision 084), Vol. 3A, "Interrupt 8 -
 * Double Fault Exception (#DF)", and Vol. 3C, "Triple Fault" (a VM exit). */
#include "common/guest.h"

namespace guest {

const char GUEST_NAME[] = "triple_fault";

namespace {

struct [[gnu::packed]] IdtPointer {
    uint16_t limit;
    uint32_t base;
};

} // namespace

void guest_main()
{
    check("reached_fault", true);
    /* Limit 0: not even vector 0's gate lies inside the IDT. */
    const IdtPointer empty{0, 0};
    asm volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
    check("vm_stopped_at_triple_fault", false, "the guest went on after UD2 with an empty IDT");
}

} // namespace guest
