/* Hostile guest "hostile_ports" (docs/hostile-guests.md, class b): every I/O port
 * 0-0xFFFF read and written at widths 1, 2 and 4, the written values drawn from
 * the seed. The writes the hypervisor documents as powering the machine off
 * (docs/hostile-guests.md, "Power-off writes") are skipped and counted, so the
 * sweep runs to its end; everything else must leave the VM running. Follows the
 * Intel SDM (revision 084), Vol. 2, "IN" and "OUT". */
#include "common/guest.h"
#include "common/hostile.h"
#include "common/port_io.h"

namespace guest {

const char GUEST_NAME[] = "hostile_ports";

namespace {

constexpr uint16_t DEBUG_EXIT_PORT = 0xF4;
constexpr uint16_t BOCHS_SHUTDOWN_PORT = 0x8900;
constexpr uint32_t BOCHS_SHUTDOWN_VALUE = 'S';
constexpr uint16_t I8042_COMMAND_PORT = 0x64;
constexpr uint8_t I8042_WRITE_OUTPUT_PORT = 0xD1;
/* The high bytes of the ACPI PM1a control registers of QEMU (0x604) and Bochs
 * (0xB004); SLP_EN is bit 13 of the register, bit 5 of its high byte. */
constexpr uint16_t ACPI_PM1A_CONTROL_HIGH[] = {0x605, 0xB005};
constexpr uint8_t SLP_EN_IN_HIGH_BYTE = 0x20;
/* The PIIX3 reset control register and its RST_CPU bit. */
constexpr uint16_t RESET_CONTROL_PORT = 0xCF9;
constexpr uint8_t RST_CPU = 0x04;

enum PowerOff { none, debug_exit, bochs_shutdown, i8042_reset, acpi_sleep, pci_reset, kinds };
const char* const POWER_OFF_KEYS[kinds] = {"", "skip_f4", "skip_8900", "skip_8042", "skip_acpi", "skip_cf9"};

/* Whether the byte `value` written to `port` (one byte of a wider OUT, as the I/O
 * bus splits it for byte-wide devices) powers off. */
PowerOff byte_powers_off(uint16_t port, uint8_t value)
{
    if (port == I8042_COMMAND_PORT && ((value >= 0xF0 && !(value & 1)) || value == I8042_WRITE_OUTPUT_PORT))
        return i8042_reset;
    for (uint16_t high : ACPI_PM1A_CONTROL_HIGH) {
        if (port == high && (value & SLP_EN_IN_HIGH_BYTE))
            return acpi_sleep;
    }
    if (port == RESET_CONTROL_PORT && (value & RST_CPU))
        return pci_reset;
    return none;
}

/* The hypervisor's rules: ports 0xF4 and 0x8900 by the instruction's port and
 * value, the 8042 and ACPI registers by the bytes that reach them. */
PowerOff write_powers_off(uint16_t port, unsigned size, uint32_t value)
{
    if (port == DEBUG_EXIT_PORT)
        return debug_exit;
    if (port == BOCHS_SHUTDOWN_PORT && value == BOCHS_SHUTDOWN_VALUE)
        return bochs_shutdown;
    for (unsigned i = 0; i < size; ++i) {
        if (PowerOff kind = byte_powers_off(uint16_t(port + i), uint8_t(value >> (8 * i))); kind != none)
            return kind;
    }
    return none;
}

uint32_t read_port(uint16_t port, unsigned size)
{
    return size == 1 ? in8(port) : size == 2 ? in16(port) : in32(port);
}

void write_port(uint16_t port, unsigned size, uint32_t value)
{
    if (size == 1)
        out8(port, uint8_t(value));
    else if (size == 2)
        out16(port, uint16_t(value));
    else
        out32(port, value);
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    uint32_t reads = 0, all_ones = 0, writes = 0, skipped[kinds] = {};
    constexpr unsigned SIZES[] = {1, 2, 4};
    for (uint32_t port = 0; port <= 0xFFFF; ++port) {
        for (unsigned size : SIZES) {
            uint32_t mask = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
            if ((read_port(uint16_t(port), size) & mask) == mask)
                ++all_ones;
            ++reads;
            uint32_t value = random.next() & mask;
            if (PowerOff kind = write_powers_off(uint16_t(port), size, value); kind != none) {
                ++skipped[kind];
                continue;
            }
            write_port(uint16_t(port), size, value);
            ++writes;
        }
    }
    HostileSummary summary(seed, reads + writes);
    summary.add("reads", reads).add("all_ones", all_ones).add("writes", writes);
    for (int kind = debug_exit; kind < kinds; ++kind)
        summary.add(POWER_OFF_KEYS[kind], skipped[kind]);
    summary.send();
    check("swept_every_port", reads == 3 * 0x10000, "not every port was read");
    /* 0xF4 is skipped at all three widths, whatever the value. */
    check("skipped_only_power_off_writes", skipped[debug_exit] == 3 && writes + 3 <= reads, "unexpected skips");
}

} // namespace guest
