/* Power off through the emulators' debug devices; see power.h. */
#include "power.h"

#include "arch/x86_64/cpu.h"
#include "console/serial.h"

namespace {
constexpr uint16_t QEMU_DEBUG_EXIT_PORT = 0xF4;
constexpr uint16_t BOCHS_SHUTDOWN_PORT = 0x8900;
} // namespace

void power_off(PowerOffStatus status)
{
    cpu::cli();
    serial::drain(); /* the emulator ends at once: the last bytes must be out */
    cpu::outl(QEMU_DEBUG_EXIT_PORT, uint32_t(status));
    for (const char* p = "Shutdown"; *p; ++p)
        cpu::outb(BOCHS_SHUTDOWN_PORT, uint8_t(*p));
    cpu::halt_forever();
}
