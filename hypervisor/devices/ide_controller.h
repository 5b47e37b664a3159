/* One IDE (ATA) channel of a PC: the command block registers at BASE..BASE+7, the
 * control block register at CONTROL (Alternate Status / Device Control), device 0
 * (master) and device 1 (slave), and the INTRQ wire to the PIC. Follows
 * ATA/ATAPI-6 (ANSI INCITS 361-2002): "I/O register descriptions", "Device
 * Control register", "Software reset protocol", "EXECUTE DEVICE DIAGNOSTIC",
 * and for a single-device channel "Device 0 only configurations" (hypervisor/
 * devices/ata_disk.h holds the disks themselves).
 *
 * Primary channel 0x1F0-0x1F7 + 0x3F6 on IRQ 14, secondary 0x170-0x177 + 0x376 on
 * IRQ 15 (the slave PIC). Port 0x3F7/0x377 (the obsolete Drive Address register)
 * is left to the floppy controller, i.e. unanswered.
 *
 * Register access: both devices latch every write to the command block; reads
 * come from the selected device (Device register bit 4). With the selected
 * device absent and the other present, Status and Alternate Status read 0 and
 * Error 0 (so drivers see "no device") while the other registers read what was
 * written, and commands are ignored. A channel without any device does not
 * claim its ports: they float (all ones) on the bus.
 * INTRQ is the selected device's interrupt request while nIEN is clear; reading
 * Status acknowledges it, reading Alternate Status does not.
 * The Data register takes 16-bit accesses, and 32-bit ones as two words (the
 * controllers' 32-bit PIO); a byte access moves one word, of which the low byte
 * is seen. */
#pragma once
#include "hypervisor/devices/ata_disk.h"
#include "hypervisor/devices/port_device.h"

namespace devices {

class IdeChannel final : public PortDevice {
public:
    static constexpr uint16_t PRIMARY_BASE = 0x1F0, PRIMARY_CONTROL = 0x3F6;
    static constexpr unsigned PRIMARY_IRQ = 14;
    static constexpr uint16_t SECONDARY_BASE = 0x170, SECONDARY_CONTROL = 0x376;
    static constexpr unsigned SECONDARY_IRQ = 15;
    static constexpr unsigned DEVICES = 2;

    /* Command block register offsets from BASE. */
    enum Register : uint16_t {
        DATA = 0,
        ERROR_FEATURES = 1,
        SECTOR_COUNT = 2,
        LBA_LOW = 3,
        LBA_MID = 4,
        LBA_HIGH = 5,
        DEVICE = 6,
        STATUS_COMMAND = 7,
    };
    /* Device Control register bits. */
    static constexpr uint8_t CONTROL_NIEN = 0x02, CONTROL_SRST = 0x04;
    static constexpr uint8_t DEVICE_DEV = 0x10;

    IdeChannel(uint16_t base, uint16_t control, IrqLine irq) : base_(base), control_(control), irq_(irq) {}

    /* Device 0 or 1; attach a disk to it before the guest runs. */
    AtaDisk& device(unsigned index) { return devices_[index & 1]; }
    bool has_devices() const { return devices_[0].present() || devices_[1].present(); }

    bool handles(uint16_t port) const override;
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;
    unsigned max_access_size() const override { return 4; }

    const TaskFile& registers() const { return registers_; }
    unsigned selected() const { return (registers_.device & DEVICE_DEV) ? 1 : 0; }

private:
    uint8_t read_register(uint16_t offset);
    void write_register(uint16_t offset, uint8_t value);
    uint32_t read_data(unsigned size);
    void write_data(unsigned size, uint32_t value);
    void write_device_control(uint8_t value);
    void execute(uint8_t command);
    void execute_device_diagnostic();
    /* Status as the host sees it: 0 for an absent selected device. */
    uint8_t selected_status();
    /* INTRQ's level; `fresh`: the selected device asserted a new interrupt, an
     * edge even if the line was still high. */
    void update_irq(bool fresh = false);

    uint16_t base_;
    uint16_t control_;
    IrqLine irq_;
    AtaDisk devices_[DEVICES];
    TaskFile registers_;
    uint8_t device_control_ = 0;
};

} // namespace devices
