/* The 8042 keyboard controller of a PC: data port 0x60, status/command port 0x64,
 * with a PS/2 keyboard on its first port and nothing on the second. Follows the
 * OSDev wiki article "8042 PS/2 Controller" (status register, controller
 * configuration byte, command table).
 *
 * The controller here is a single-port 8042: commands for the second (mouse) port
 * are answered as such a controller answers them - 0xA7/0xA8 change nothing (so a
 * driver's "does the disable bit toggle" probe finds no second port), 0xA9 and
 * 0xD3 get no reply (the driver times out), and the byte after 0xD4 is swallowed
 * without an answer (no mouse to ACK it; it must not reach the keyboard).
 * IRQ 1 follows "output buffer full" while command byte bit 0 is set, whatever
 * the byte's source, as the 8042's OBF interrupt output does. The input buffer is
 * processed at once, so status bit 1 (input buffer full) always reads 0.
 * Command byte bit 6 (translation) is stored and reported; see ps2_keyboard.h for
 * what the scancodes are. 0xFE (and every 0xF0-0xFF that pulses bit 0) asks for
 * a CPU reset: the hypervisor polls take_reset_request() and reboots or stops
 * the guest. */
#pragma once
#include "hypervisor/devices/ps2_keyboard.h"
#include "hypervisor/devices/port_device.h"

namespace devices {

class I8042 final : public PortDevice {
public:
    static constexpr uint16_t DATA_PORT = 0x60, STATUS_PORT = 0x64;

    /* Status register bits. */
    static constexpr uint8_t OUTPUT_FULL = 0x01, INPUT_FULL = 0x02, SYSTEM_FLAG = 0x04;
    static constexpr uint8_t LAST_WRITE_WAS_COMMAND = 0x08, NOT_INHIBITED = 0x10;
    /* Command byte (configuration byte) bits. */
    static constexpr uint8_t PORT1_INTERRUPT = 0x01, PORT1_CLOCK_DISABLED = 0x10, TRANSLATION = 0x40;
    /* As a BIOS leaves it: IRQ 1 on, system flag (POST passed), translation on. */
    static constexpr uint8_t INITIAL_COMMAND_BYTE = 0x45;

    explicit I8042(IrqLine irq1 = {});

    bool handles(uint16_t port) const override { return port == DATA_PORT || port == STATUS_PORT; }
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* Host key input (set-1 bytes of one key event); see Ps2Keyboard::press. */
    bool press(const uint8_t* bytes, size_t count);

    /* True once after the guest pulsed the reset line. */
    bool take_reset_request();
    bool a20_enabled() const { return output_port_ & A20_GATE; }
    uint8_t command_byte() const { return ram_[0]; }
    const Ps2Keyboard& keyboard() const { return keyboard_; }

private:
    static constexpr uint8_t RESET_LINE = 0x01, A20_GATE = 0x02; /* output port */

    uint8_t read_status() const;
    uint8_t read_data();
    void run_command(uint8_t command);
    void write_data(uint8_t value);
    void reply(uint8_t byte) { replies_.push(byte); }
    /* Moves the next byte into the output buffer when it is empty. */
    void refill();
    void update_irq();

    Ps2Keyboard keyboard_;
    IrqLine irq1_;
    /* The controller's RAM: byte 0 is the command byte. */
    uint8_t ram_[32] = {};
    ByteQueue<8> replies_;
    uint8_t output_ = 0;
    bool output_full_ = false;
    uint8_t awaiting_data_for_ = 0; /* a command whose data byte comes via 0x60 */
    bool last_write_was_command_ = false;
    uint8_t output_port_ = RESET_LINE | A20_GATE;
    bool reset_requested_ = false;
};

} // namespace devices
