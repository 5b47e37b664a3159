/* The 8042 controller; see i8042.h. Command bytes from the OSDev wiki's
 * "8042 PS/2 Controller" command table. */
#include "hypervisor/devices/i8042.h"

namespace devices {

namespace {

enum Command : uint8_t {
    READ_RAM_FIRST = 0x20, /* 0x20 reads the command byte */
    READ_RAM_LAST = 0x3F,
    WRITE_RAM_FIRST = 0x60, /* 0x60 writes the command byte */
    WRITE_RAM_LAST = 0x7F,
    DISABLE_PORT2 = 0xA7,
    ENABLE_PORT2 = 0xA8,
    TEST_PORT2 = 0xA9,
    SELF_TEST = 0xAA,
    TEST_PORT1 = 0xAB,
    DISABLE_PORT1 = 0xAD,
    ENABLE_PORT1 = 0xAE,
    READ_OUTPUT_PORT = 0xD0,
    WRITE_OUTPUT_PORT = 0xD1,
    WRITE_PORT1_OUTPUT = 0xD2,
    WRITE_PORT2_OUTPUT = 0xD3,
    WRITE_PORT2_INPUT = 0xD4,
    PULSE_FIRST = 0xF0, /* 0xF0-0xFF: pulse output lines whose bit is 0 */
};

constexpr uint8_t SELF_TEST_PASSED = 0x55;
constexpr uint8_t PORT_TEST_PASSED = 0x00;
constexpr uint8_t OUTPUT_PORT_OUTPUT_FULL = 0x10;

bool takes_data_byte(uint8_t command)
{
    return (command >= WRITE_RAM_FIRST && command <= WRITE_RAM_LAST) ||
           (command >= WRITE_OUTPUT_PORT && command <= WRITE_PORT2_INPUT);
}

} // namespace

I8042::I8042(IrqLine irq1) : irq1_(irq1) { ram_[0] = INITIAL_COMMAND_BYTE; }

uint32_t I8042::read(uint16_t port, unsigned, uint64_t)
{
    return port == STATUS_PORT ? read_status() : read_data();
}

void I8042::write(uint16_t port, unsigned, uint32_t value, uint64_t)
{
    last_write_was_command_ = port == STATUS_PORT;
    if (port == STATUS_PORT)
        run_command(uint8_t(value));
    else
        write_data(uint8_t(value));
    refill();
}

uint8_t I8042::read_status() const
{
    uint8_t status = NOT_INHIBITED | (ram_[0] & SYSTEM_FLAG);
    if (output_full_)
        status |= OUTPUT_FULL;
    if (last_write_was_command_)
        status |= LAST_WRITE_WAS_COMMAND;
    return status;
}

/* Reading an empty output buffer returns the last byte again, as the chip does.
 * IRQ 1 drops with the read, so a byte that follows at once is a new edge. */
uint8_t I8042::read_data()
{
    uint8_t value = output_;
    output_full_ = false;
    update_irq();
    refill();
    return value;
}

void I8042::run_command(uint8_t command)
{
    awaiting_data_for_ = 0; /* a command abandons an unfinished one */
    if (command >= READ_RAM_FIRST && command <= READ_RAM_LAST) {
        reply(ram_[command - READ_RAM_FIRST]);
        return;
    }
    if (takes_data_byte(command)) {
        awaiting_data_for_ = command;
        return;
    }
    if (command >= PULSE_FIRST) {
        if (!(command & RESET_LINE))
            reset_requested_ = true;
        return;
    }
    switch (command) {
    case SELF_TEST: reply(SELF_TEST_PASSED); break;
    case TEST_PORT1: reply(PORT_TEST_PASSED); break;
    case DISABLE_PORT1: ram_[0] |= PORT1_CLOCK_DISABLED; break;
    case ENABLE_PORT1: ram_[0] &= uint8_t(~PORT1_CLOCK_DISABLED); break;
    case READ_OUTPUT_PORT:
        reply(uint8_t((output_port_ & (RESET_LINE | A20_GATE)) | (output_full_ ? OUTPUT_PORT_OUTPUT_FULL : 0)));
        break;
    case DISABLE_PORT2:
    case ENABLE_PORT2:
    case TEST_PORT2:
    default: break; /* no second port; unknown commands are ignored */
    }
}

void I8042::write_data(uint8_t value)
{
    uint8_t command = awaiting_data_for_;
    awaiting_data_for_ = 0;
    if (command >= WRITE_RAM_FIRST && command <= WRITE_RAM_LAST) {
        ram_[command - WRITE_RAM_FIRST] = value;
        return;
    }
    switch (command) {
    case WRITE_OUTPUT_PORT:
        output_port_ = value;
        if (!(value & RESET_LINE))
            reset_requested_ = true;
        return;
    case WRITE_PORT1_OUTPUT: reply(value); return; /* as if the keyboard sent it */
    case WRITE_PORT2_OUTPUT:
    case WRITE_PORT2_INPUT: return; /* no second port */
    default: break;
    }
    /* A plain data byte goes to the keyboard. Sending re-enables the port's clock
     * (as the 8042 must, to clock the byte out), so a driver that disabled the
     * port still gets its command's reply. */
    ram_[0] &= uint8_t(~PORT1_CLOCK_DISABLED);
    keyboard_.receive(value);
}

bool I8042::press(const uint8_t* bytes, size_t count)
{
    bool accepted = keyboard_.press(bytes, count);
    refill();
    return accepted;
}

void I8042::refill()
{
    if (!output_full_) {
        if (!replies_.empty()) {
            output_ = replies_.pop();
            output_full_ = true;
        } else if (!(ram_[0] & PORT1_CLOCK_DISABLED) && keyboard_.has_output()) {
            output_ = keyboard_.take_output();
            output_full_ = true;
        }
    }
    update_irq();
}

void I8042::update_irq() { irq1_.set(output_full_ && (ram_[0] & PORT1_INTERRUPT)); }

bool I8042::take_reset_request()
{
    bool requested = reset_requested_;
    reset_requested_ = false;
    return requested;
}

} // namespace devices
