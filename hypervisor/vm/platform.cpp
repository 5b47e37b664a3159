/* Wiring of the virtual PC; see platform.h. */
#include "hypervisor/vm/platform.h"

#include "console/log.h"
#include "hypervisor/devices/guest_text.h"
#include "hypervisor/vm/vm.h"
#include "lib/format.h"
#include "lib/string.h"

#include <initializer_list>

namespace {

/* A guest's console line on the host console: "[vm1] text", never mistaken for
 * a host line (those start with "[host "). */
void relay(int vm_id, const char* channel, const char* text, size_t length)
{
    char printable[devices::LineAssembler::MAX_LINE];
    length = length < sizeof(printable) ? length : sizeof(printable);
    memcpy(printable, text, length);
    devices::make_guest_text_printable(printable, length);
    char line[220];
    size_t used = format_string(line, sizeof(line), "[vm%d%s] %.*s", vm_id, channel, int(length), printable);
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
      com1_(devices::Uart16550::COM1_BASE, devices::IrqLine(pic_, devices::Uart16550::COM1_IRQ),
            devices::ByteSink{transmit_serial, this}),
      debug_(debug_lines_.sink()),
      vga_(vga_text, devices::VgaTextDevice::TEXT_WINDOW_BYTES),
      acpi_qemu_(devices::AcpiPmControl::QEMU_PORT),
      acpi_bochs_(devices::AcpiPmControl::BOCHS_PORT),
      primary_ide_(devices::IdeChannel::PRIMARY_BASE, devices::IdeChannel::PRIMARY_CONTROL,
                   devices::IrqLine(pic_, devices::IdeChannel::PRIMARY_IRQ)),
      secondary_ide_(devices::IdeChannel::SECONDARY_BASE, devices::IdeChannel::SECONDARY_CONTROL,
                     devices::IrqLine(pic_, devices::IdeChannel::SECONDARY_IRQ))
{
    /* A channel without disks claims no port (its bus floats), so attaching
     * both always is right. */
    devices::PortDevice* all[] = {&pic_,  &pit_,       &port61_,    &keyboard_,    &com1_,         &debug_,
                                  &vga_, &acpi_qemu_, &acpi_bochs_, &primary_ide_, &secondary_ide_};
    for (devices::PortDevice* device : all) {
        if (!bus_.attach(*device))
            log(LogCategory::vmx, "vm%d: I/O bus full", vm.id());
    }
    bus_.set_unknown_port_reporter(report_unknown_port, &vm);
    com1_.set_input(serial_input_.source());
}

void VirtualPlatform::transmit_serial(void* platform, uint8_t byte)
{
    auto* self = static_cast<VirtualPlatform*>(platform);
    if (self->live_serial_.function) {
        self->live_serial_.put(byte);
        self->serial_lines_.put_shown(byte);
    } else {
        self->serial_lines_.put(byte);
    }
}

size_t VirtualPlatform::send_serial(const uint8_t* bytes, size_t count)
{
    size_t queued = serial_input_.push(bytes, count);
    com1_.pull_input();
    return queued;
}

size_t VirtualPlatform::set_live_serial(devices::ByteSink live, char* partial, size_t capacity)
{
    live_serial_ = live;
    return serial_lines_.copy_partial(partial, capacity);
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

void VirtualPlatform::attach_disk(unsigned unit, devices::SectorStore& store, bool read_only)
{
    if (unit < IDE_UNITS)
        ide(unit / 2).device(unit % 2).attach(store, read_only, unit);
}

bool VirtualPlatform::update(uint64_t now_ns)
{
    pit_.advance(now_ns);
    /* A remembered timer period goes out once the PIC holds no IRQ 0 request:
     * the guest took the previous one (a second edge now would be lost in IRR). */
    if (pit_.backlog() && !(pic_.master().irr() & 1))
        pit_.deliver_backlog();
    return pic_.has_pending_interrupt();
}

uint64_t VirtualPlatform::next_event_ns(uint64_t now_ns) { return pit_.next_irq_deadline_ns(now_ns); }

const char* VirtualPlatform::take_power_off_request()
{
    if (keyboard_.take_reset_request())
        return "guest reset the machine through the 8042 (a reset ends the VM)";
    for (devices::AcpiPmControl* pm : {&acpi_qemu_, &acpi_bochs_}) {
        unsigned sleep_type = 0;
        if (pm->take_sleep_request(sleep_type)) {
            format_string(power_off_reason_, sizeof(power_off_reason_),
                          "guest powered off through ACPI (SLP_EN at port 0x%x, sleep type %u)", pm->port(),
                          sleep_type);
            return power_off_reason_;
        }
    }
    return nullptr;
}

void VirtualPlatform::flush_output()
{
    serial_lines_.flush();
    debug_lines_.flush();
}
