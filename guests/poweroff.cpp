/* Test guest "poweroff": turns the machine off the way its command line names,
 * one of the ways PC kernels do it, so the host can show each one ends the VM
 * with its own reason:
 *   method=acpi_qemu          SLP_EN (0x2000) to the ACPI PM1a control at 0x604
 *   method=acpi_bochs         the same at Bochs' 0xB004
 *   method=i8042_pulse        8042 command 0xFE: pulse the reset line
 *   method=i8042_output_port  8042 command 0xD1, then an output-port byte with
 *                             the reset line (bit 0) clear
 *   method=debug_exit_outs    REP OUTSB of one byte to QEMU's isa-debug-exit 0xF4
 * Follows the ACPI Specification 6.5, "PM1 Control Registers", and the OSDev wiki
 * article "8042 PS/2 Controller" (command table). */
#include "common/guest.h"
#include "common/hostile.h"
#include "common/port_io.h"

namespace guest {

const char GUEST_NAME[] = "poweroff";

void guest_main()
{
    check("reached_power_off", true);
    if (command_line_has("method=acpi_qemu")) {
        out16(0x604, 0x2000);
    } else if (command_line_has("method=acpi_bochs")) {
        out16(0xB004, 0x2000);
    } else if (command_line_has("method=i8042_pulse")) {
        out8(0x64, 0xFE);
    } else if (command_line_has("method=i8042_output_port")) {
        out8(0x64, 0xD1);
        out8(0x60, 0xFE);
    } else if (command_line_has("method=debug_exit_outs")) {
        static const uint8_t status = 0;
        const uint8_t* source = &status;
        uint32_t count = 1;
        asm volatile("rep outsb" : "+S"(source), "+c"(count) : "d"(uint16_t(0xF4)) : "memory");
    } else {
        check("method_named", false, "no method= on the command line");
        return;
    }
    check("vm_stopped_at_power_off", false, "the power-off write returned");
}

} // namespace guest
