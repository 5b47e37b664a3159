/* The virtual PC of one VM: the device models of hypervisor/devices wired together
 * as on a PC/AT (PIT on IRQ 0, keyboard on IRQ 1, COM1 on IRQ 4, the slave PIC on
 * IRQ 2, the IDE channels on IRQ 14 and 15) behind one I/O bus, with the ACPI PM1a
 * control register where QEMU's and Bochs' firmware put it, so kernels can turn the
 * VM off the usual ways; a CMOS clock, and PCI configuration ports that find no
 * devices (docs/devices.md lists every port). No VMX here: a backend routes port
 * exits to io_bus(), asks pending_interrupt() before each entry, and lets the guest
 * reach only the host ports of PASS_THROUGH_PORTS without an exit. */
#pragma once
#include "hypervisor/devices/acpi_pm_control.h"
#include "hypervisor/devices/debug_port.h"
#include "hypervisor/devices/i8042.h"
#include "hypervisor/devices/ide_controller.h"
#include "hypervisor/devices/io_bus.h"
#include "hypervisor/devices/key_typist.h"
#include "hypervisor/devices/line_assembler.h"
#include "hypervisor/devices/local_apic.h"
#include "hypervisor/devices/mc146818.h"
#include "hypervisor/devices/pci_config.h"
#include "hypervisor/devices/pending_input.h"
#include "hypervisor/devices/pic8259.h"
#include "hypervisor/devices/pit8254.h"
#include "hypervisor/devices/system_control_port.h"
#include "hypervisor/devices/uart16550.h"
#include "hypervisor/devices/vga_text_device.h"

class Vm;

class VirtualPlatform {
public:
    /* Host input for COM1 that may wait for the guest to read (vm send, vm attach). */
    static constexpr size_t SERIAL_INPUT_CAPACITY = 1024;

    /* The host ports a guest may reach directly (clear bits of the I/O bitmaps):
     * only the POST code port 0x80, which kernels write as an I/O delay up to
     * millions of times per boot; docs/devices.md ("Port 0x80") says why that is
     * safe and what it costs. set_exit_on_every_port() takes it back for all VMs
     * started afterwards (kernel command line vm_port80=exit). */
    static constexpr uint16_t PASS_THROUGH_PORTS[] = {devices::IoBus::POST_PORT};
    static void set_exit_on_every_port(bool on) { exit_on_every_port_ = on; }
    static bool exit_on_every_port() { return exit_on_every_port_; }

    /* `vga_text` is the host view of guest-physical 0xB8000 (guest RAM). */
    VirtualPlatform(Vm& vm, const uint8_t* vga_text);
    VirtualPlatform(const VirtualPlatform&) = delete;
    VirtualPlatform& operator=(const VirtualPlatform&) = delete;

    devices::IoBus& io_bus() { return bus_; }
    devices::Pic8259Pair& pic() { return pic_; }
    devices::Pit8254& pit() { return pit_; }
    devices::I8042& keyboard() { return keyboard_; }
    devices::Uart16550& com1() { return com1_; }
    devices::VgaTextDevice& vga() { return vga_; }
    /* The CPU's local APIC; its MMIO page is routed here by the backend. */
    devices::LocalApic& local_apic() { return local_apic_; }
    devices::Mc146818& rtc() { return rtc_; }
    /* Channel 0 is the primary (0x1F0, IRQ 14), 1 the secondary (0x170, IRQ 15). */
    devices::IdeChannel& ide(unsigned channel) { return channel ? secondary_ide_ : primary_ide_; }

    /* IDE units in the order of `vm start --disk`: primary master, primary slave,
     * secondary master, secondary slave. */
    static constexpr unsigned IDE_UNITS = 4;
    /* Plugs a disk into `unit` before the guest runs (the store outlives the VM's run). */
    void attach_disk(unsigned unit, devices::SectorStore& store, bool read_only);

    /* Brings the timers up to `now_ns`; true when an interrupt waits for the guest. */
    bool update(uint64_t now_ns);
    /* When the next device event is due (the earlier of the PIT's next IRQ and
     * the local APIC timer's next expiry: one deadline for both timers), for HLT
     * and the preemption timer; devices::Pit8254::NO_DEADLINE when none. */
    uint64_t next_event_ns(uint64_t now_ns);
    /* Whether an interrupt waits for the CPU: a fixed one in the local APIC
     * above its priority, or the 8259's INTR while LINT0 is the virtual wire. */
    bool has_pending_interrupt() const
    {
        return (local_apic_.has_requests() && local_apic_.pending_vector() >= 0) ||
               (pic_.has_pending_interrupt() && local_apic_.passes_extint());
    }
    /* The CPU's interrupt acknowledge: the vector to inject (the APIC's first). */
    uint8_t acknowledge_interrupt();
    /* After a guest port write: why the guest just turned the machine off or
     * reset it (the 8042's reset line, ACPI SLP_EN), once; nullptr otherwise. A
     * reset ends the VM as a power off does. */
    const char* take_power_off_request();
    /* Flushes half-written guest console lines (when the VM stops). */
    void flush_output();

    /* Queues host input for COM1; the UART takes it as the guest reads. Returns
     * how many bytes were queued: fewer than `count` when the queue is full. */
    size_t send_serial(const uint8_t* bytes, size_t count);
    /* Queues text to be typed on the PS/2 keyboard (vm keys), a key at a time
     * as the guest reads them; returns how many bytes were queued. */
    size_t type_keys(const uint8_t* text, size_t count);
    /* The guest's COM1 output goes to `live` byte by byte from now on (an empty
     * sink: back to whole log lines). Either way the line being written is
     * remembered: the returned partial line (a prompt) is what `live` should
     * show first, and after live output a relayed line still begins with it. */
    size_t set_live_serial(devices::ByteSink live, char* partial, size_t capacity);

private:
    static void transmit_serial(void* platform, uint8_t byte);
    static void relay_serial_line(void* vm, const char* text, size_t length);
    static void relay_debug_line(void* vm, const char* text, size_t length);
    static void report_unknown_port(void* vm, uint16_t port, bool is_write);

    static inline bool exit_on_every_port_ = false;

    Vm& vm_;
    devices::Pic8259Pair pic_;
    devices::Pit8254 pit_;
    devices::LocalApic local_apic_;
    devices::SystemControlPort port61_;
    devices::I8042 keyboard_;
    devices::KeyTypist typist_;
    devices::LineAssembler serial_lines_;
    devices::ByteSink live_serial_;
    devices::PendingInput<SERIAL_INPUT_CAPACITY> serial_input_;
    devices::LineAssembler debug_lines_;
    devices::Uart16550 com1_;
    devices::DebugPort debug_;
    devices::VgaTextDevice vga_;
    devices::AcpiPmControl acpi_qemu_;
    devices::AcpiPmControl acpi_bochs_;
    devices::Mc146818 rtc_;
    devices::PciConfig pci_;
    devices::IdeChannel primary_ide_;
    devices::IdeChannel secondary_ide_;
    devices::IoBus bus_;
    char power_off_reason_[96] = {};
};
