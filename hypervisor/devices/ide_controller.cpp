/* One IDE channel; see ide_controller.h. Section titles are those of ATA/ATAPI-6. */
#include "hypervisor/devices/ide_controller.h"

namespace devices {

bool IdeChannel::handles(uint16_t port) const
{
    if (!has_devices())
        return false; /* no device drives the bus: reads float */
    return (port >= base_ && port < base_ + 8) || port == control_;
}

uint32_t IdeChannel::read(uint16_t port, unsigned size, uint64_t now_ns)
{
    if (port == base_ + DATA)
        return read_data(size);
    if (size > 1) {
        /* A wide access to an 8-bit register: byte cycles at consecutive ports,
         * as the bus does for the devices that take only bytes. */
        uint32_t value = 0;
        for (unsigned i = 0; i < size; ++i) {
            uint16_t next = uint16_t(port + i);
            uint32_t byte = handles(next) ? read(next, 1, now_ns) & 0xFF : 0xFF;
            value |= byte << (8 * i);
        }
        return value;
    }
    if (port == control_)
        return devices_[selected()].present() ? devices_[selected()].status() : 0; /* Alternate Status */
    return read_register(uint16_t(port - base_));
}

void IdeChannel::write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns)
{
    if (port == base_ + DATA) {
        write_data(size, value);
        return;
    }
    if (size > 1) {
        for (unsigned i = 0; i < size; ++i) {
            uint16_t next = uint16_t(port + i);
            if (handles(next))
                write(next, 1, (value >> (8 * i)) & 0xFF, now_ns);
        }
        return;
    }
    if (port == control_)
        write_device_control(uint8_t(value));
    else
        write_register(uint16_t(port - base_), uint8_t(value));
}

uint8_t IdeChannel::selected_status()
{
    AtaDisk& disk = devices_[selected()];
    return disk.present() ? disk.status() : 0;
}

uint8_t IdeChannel::read_register(uint16_t offset)
{
    AtaDisk& disk = devices_[selected()];
    switch (offset) {
    case ERROR_FEATURES: return disk.present() ? disk.error() : 0;
    case SECTOR_COUNT: return registers_.sector_count;
    case LBA_LOW: return registers_.lba_low;
    case LBA_MID: return registers_.lba_mid;
    case LBA_HIGH: return registers_.lba_high;
    case DEVICE: return registers_.device;
    case STATUS_COMMAND: {
        uint8_t status = selected_status();
        /* "Status register": reading it clears the pending interrupt. */
        if (disk.present() && !(status & ATA_STATUS_BSY)) {
            disk.acknowledge_interrupt();
            update_irq();
        }
        return status;
    }
    default: return 0xFF;
    }
}

void IdeChannel::write_register(uint16_t offset, uint8_t value)
{
    switch (offset) {
    case ERROR_FEATURES: registers_.features = value; break;
    case SECTOR_COUNT: registers_.sector_count = value; break;
    case LBA_LOW: registers_.lba_low = value; break;
    case LBA_MID: registers_.lba_mid = value; break;
    case LBA_HIGH: registers_.lba_high = value; break;
    case DEVICE:
        registers_.device = value;
        update_irq(); /* INTRQ belongs to the newly selected device */
        break;
    case STATUS_COMMAND: execute(value); break;
    default: break;
    }
}

void IdeChannel::execute(uint8_t command)
{
    /* During a software reset the devices are busy and take no command. */
    if (device_control_ & CONTROL_SRST)
        return;
    if (command == ATA_EXECUTE_DEVICE_DIAGNOSTIC) {
        execute_device_diagnostic(); /* addressed to both devices */
        update_irq(true);
        return;
    }
    AtaDisk& disk = devices_[selected()];
    if (!disk.present())
        return; /* an absent device ignores it */
    uint32_t before = disk.interrupts_raised();
    disk.execute(command, registers_);
    update_irq(disk.interrupts_raised() != before);
}

/* "EXECUTE DEVICE DIAGNOSTIC": both devices run it whichever is selected; device 0
 * reports 0x01, or 0x81 when a present device 1 failed (ours never fails), and
 * asserts INTRQ; device 0 ends up selected. Device 1 alone interrupts itself. */
void IdeChannel::execute_device_diagnostic()
{
    bool device1_failed = false;
    uint8_t device0_code = uint8_t(AtaDisk::DIAGNOSTIC_PASSED | (device1_failed ? AtaDisk::DIAGNOSTIC_DEVICE1_FAILED : 0));
    if (devices_[1].present())
        devices_[1].finish_diagnostic(registers_, AtaDisk::DIAGNOSTIC_PASSED, !devices_[0].present());
    if (devices_[0].present())
        devices_[0].finish_diagnostic(registers_, device0_code, true);
}

/* "Device Control register" and "Software reset protocol": SRST set makes both
 * devices busy and abandons their commands; SRST cleared ends the reset with
 * the diagnostic code and signature, device 0 selected, no interrupt. */
void IdeChannel::write_device_control(uint8_t value)
{
    bool was_resetting = device_control_ & CONTROL_SRST;
    bool resetting = value & CONTROL_SRST;
    device_control_ = value;
    if (resetting && !was_resetting) {
        for (AtaDisk& disk : devices_)
            if (disk.present())
                disk.begin_reset();
    } else if (!resetting && was_resetting) {
        if (devices_[1].present())
            devices_[1].finish_reset(registers_, AtaDisk::DIAGNOSTIC_PASSED);
        if (devices_[0].present())
            devices_[0].finish_reset(registers_, AtaDisk::DIAGNOSTIC_PASSED);
    }
    update_irq();
}

uint32_t IdeChannel::read_data(unsigned size)
{
    AtaDisk& disk = devices_[selected()];
    if (!disk.present())
        return size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t before = disk.interrupts_raised();
    uint32_t value = disk.read_data();
    if (size == 4)
        value |= uint32_t(disk.read_data()) << 16;
    update_irq(disk.interrupts_raised() != before); /* the next block's DRQ interrupts */
    return value;
}

void IdeChannel::write_data(unsigned size, uint32_t value)
{
    AtaDisk& disk = devices_[selected()];
    if (!disk.present())
        return;
    uint32_t before = disk.interrupts_raised();
    disk.write_data(uint16_t(value));
    if (size == 4)
        disk.write_data(uint16_t(value >> 16));
    update_irq(disk.interrupts_raised() != before);
}

void IdeChannel::update_irq(bool fresh)
{
    AtaDisk& disk = devices_[selected()];
    bool level = disk.present() && disk.interrupt_pending() && !(device_control_ & CONTROL_NIEN);
    if (level && fresh)
        irq_.pulse();
    else
        irq_.set(level);
}

} // namespace devices
