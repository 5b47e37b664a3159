/* Wiring of the virtual PC; see platform.h. */
#include "hypervisor/vm/platform.h"

#include "console/log.h"
#include "hypervisor/vm/vm.h"
#include "lib/format.h"

namespace {

/* A guest's console line on the host console: "[vm1] text", never mistaken for
 * a host line (those start with "[host "). */
void relay(int vm_id, const char* channel, const char* text, size_t length)
{
    char line[220];
    size_t used = format_string(line, sizeof(line), "[vm%d%s] %.*s", vm_id, channel, int(length), text);
    if (used > sizeof(line) - 2)
        used = sizeof(line) - 2;
    line[used++] = '\n';
    console_write(line, used);
}

} // namespace

VirtualPlatform::VirtualPlatform(Vm& vm, const uint8_t* vga_text)
    : vm_(vm),
      pit_(devices::IrqLine(pic_, 0)),
      port61_(pit_),
      keyboard_(devices::IrqLine(pic_, 1)),
      serial_lines_(relay_serial_line, &vm),
      debug_lines_(relay_debug_line, &vm),
      com1_(devices::Uart16550::COM1_BASE, devices::IrqLine(pic_, devices::Uart16550::COM1_IRQ), serial_lines_.sink()),
      debug_(debug_lines_.sink()),
      vga_(vga_text, devices::VgaTextDevice::TEXT_WINDOW_BYTES)
{
    devices::PortDevice* all[] = {&pic_, &pit_, &port61_, &keyboard_, &com1_, &debug_, &vga_};
    for (devices::PortDevice* device : all) {
        if (!bus_.attach(*device))
            log(LogCategory::vmx, "vm%d: I/O bus full", vm.id());
    }
    bus_.set_unknown_port_reporter(report_unknown_port, &vm);
}

void VirtualPlatform::relay_serial_line(void* vm, const char* text, size_t length)
{
    relay(static_cast<Vm*>(vm)->id(), "", text, length);
}

void VirtualPlatform::relay_debug_line(void* vm, const char* text, size_t length)
{
    relay(static_cast<Vm*>(vm)->id(), ":e9", text, length);
}

void VirtualPlatform::report_unknown_port(void* vm, uint16_t port, bool is_write)
{
    log(LogCategory::device, "vm%d: %s of unknown port 0x%x (reported once per port, for the first %zu ports)", static_cast<Vm*>(vm)->id(),
        is_write ? "write" : "read", port, devices::IoBus::MAX_UNKNOWN_PORT_REPORTS);
}

bool VirtualPlatform::update(uint64_t now_ns)
{
    pit_.advance(now_ns);
    return pic_.has_pending_interrupt();
}

uint64_t VirtualPlatform::next_event_ns(uint64_t now_ns) { return pit_.next_irq_deadline_ns(now_ns); }

void VirtualPlatform::flush_output()
{
    serial_lines_.flush();
    debug_lines_.flush();
}
