/* Wiring of the virtual PC; see platform.h. */
#include "hypervisor/vm/platform.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "drivers/cmos_rtc.h"
#include "hypervisor/devices/guest_text.h"
#include "hypervisor/vm/halted_guest.h"
#include "hypervisor/vm/vm.h"
#include "lib/format.h"
#include "time/clock.h"

#include <initializer_list>

namespace {

/* A guest's console line on the host console: "[vm1] text", never mistaken for
 * a host line (those start with "[host "). Its pieces go out under one
 * interrupt guard, so that no log line lands inside it. */
void relay(int vm_id, const char* channel, const char* text, size_t length)
{
    InterruptGuard guard;
    devices::relay_guest_line(vm_id, channel, text, length, console_write);
}

} // namespace

VirtualPlatform::VirtualPlatform(Vm& vm, const uint8_t* vga_text)
    : vm_(vm),
      pit_(devices::IrqLine(pic_, 0)),
      port61_(pit_),
      keyboard_(devices::IrqLine(pic_, 1)),
      serial_lines_(relay_serial_line, &vm),
      debug_lines_(relay_debug_line, &vm, devices::LineAssembler::LONG_LINE),
      com1_(devices::Uart16550::COM1_BASE, devices::IrqLine(pic_, devices::Uart16550::COM1_IRQ),
            devices::ByteSink{transmit_serial, this}),
      debug_(debug_lines_.sink()),
      vga_(vga_text, devices::VgaTextDevice::TEXT_WINDOW_BYTES),
      acpi_qemu_(devices::AcpiPmControl::QEMU_PORT),
      acpi_bochs_(devices::AcpiPmControl::BOCHS_PORT),
      rtc_(vm.memory_bytes()),
      primary_ide_(devices::IdeChannel::PRIMARY_BASE, devices::IdeChannel::PRIMARY_CONTROL,
                   devices::IrqLine(pic_, devices::IdeChannel::PRIMARY_IRQ)),
      secondary_ide_(devices::IdeChannel::SECONDARY_BASE, devices::IdeChannel::SECONDARY_CONTROL,
                     devices::IrqLine(pic_, devices::IdeChannel::SECONDARY_IRQ))
{
    /* The guest's clock starts at the host's and runs on the host's time. */
    rtc_.set_wall_clock(cmos_rtc::read_unix_seconds(), clock::nanoseconds());
    /* A channel without disks claims no port (its bus floats), so attaching
     * both always is right. */
    devices::PortDevice* all[] = {&pic_,        &pit_,        &port61_,    &keyboard_, &com1_,
                                  &debug_,      &vga_,        &acpi_qemu_, &acpi_bochs_, &rtc_,
                                  &pci_,        &primary_ide_, &secondary_ide_};
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
    halted_guest::wake(vm_);
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

size_t VirtualPlatform::type_keys(const uint8_t* text, size_t count)
{
    size_t queued = typist_.type(text, count);
    typist_.pump(keyboard_);
    halted_guest::wake(vm_);
    return queued;
}

void VirtualPlatform::attach_disk(unsigned unit, devices::SectorStore& store, bool read_only)
{
    if (unit < IDE_UNITS)
        ide(unit / 2).device(unit % 2).attach(store, read_only, unit);
}

bool VirtualPlatform::update(uint64_t now_ns)
{
    pit_.advance(now_ns);
    local_apic_.advance(now_ns);
    /* Typed text waits only while a test or `vm type` types. */
    if (typist_.waiting())
        typist_.pump(keyboard_);
    /* A remembered timer period goes out once the PIC holds no IRQ 0 request:
     * the guest took the previous one (a second edge now would be lost in IRR). */
    if (pit_.backlog() && !(pic_.master().irr() & 1))
        pit_.deliver_backlog();
    return has_pending_interrupt();
}

uint64_t VirtualPlatform::next_event_ns(uint64_t now_ns)
{
    static_assert(devices::Pit8254::NO_DEADLINE == devices::LocalApic::NO_DEADLINE);
    uint64_t pit = pit_.next_irq_deadline_ns(now_ns);
    uint64_t apic = local_apic_.next_deadline_ns(now_ns);
    return pit < apic ? pit : apic;
}

uint8_t VirtualPlatform::acknowledge_interrupt()
{
    if (local_apic_.pending_vector() >= 0)
        return local_apic_.acknowledge();
    return pic_.acknowledge();
}

const char* VirtualPlatform::take_power_off_request()
{
    if (keyboard_.take_reset_request())
        return "guest reset the machine through the 8042 (a reset ends the VM)";
    if (pci_.take_reset_request())
        return "guest reset the machine through the reset control register 0xCF9 (a reset ends the VM)";
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
