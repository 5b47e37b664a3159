/* The 16550A UART; see uart16550.h. Register and bit names from the TI PC16550D
 * datasheet. */
#include "hypervisor/devices/uart16550.h"

namespace devices {

namespace {

enum Offset : unsigned {
    DATA = 0,             /* RBR/THR, DLL with DLAB */
    INTERRUPT_ENABLE = 1, /* IER, DLM with DLAB */
    INTERRUPT_ID = 2,     /* IIR on read, FCR on write */
    LINE_CONTROL = 3,
    MODEM_CONTROL = 4,
    LINE_STATUS = 5,
    MODEM_STATUS = 6,
    SCRATCH = 7,
};

constexpr uint8_t IER_RECEIVED_DATA = 0x01, IER_THR_EMPTY = 0x02, IER_LINE_STATUS = 0x04, IER_WRITABLE = 0x0F;
constexpr uint8_t IIR_FIFOS_ENABLED = 0xC0;
constexpr uint8_t FCR_ENABLE = 0x01, FCR_CLEAR_RECEIVE = 0x02;
constexpr uint8_t LCR_DLAB = 0x80;
constexpr uint8_t MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10,
                  MCR_WRITABLE = 0x1F;
constexpr uint8_t LSR_DATA_READY = 0x01, LSR_OVERRUN = 0x02, LSR_THR_EMPTY = 0x20, LSR_TRANSMITTER_EMPTY = 0x40;
constexpr uint8_t MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;

} // namespace

uint32_t Uart16550::read(uint16_t port, unsigned, uint64_t)
{
    uint8_t value = read_register(unsigned(port - base_) & 7);
    if (ier_ & IER_RECEIVED_DATA)
        fill_from_input();
    update_irq();
    return value;
}

void Uart16550::write(uint16_t port, unsigned, uint32_t value, uint64_t)
{
    write_register(unsigned(port - base_) & 7, uint8_t(value));
    /* Also after the guest enabled the received-data interrupt, reset the FIFO
     * or left loopback: each may make room for waiting input. */
    if (ier_ & IER_RECEIVED_DATA)
        fill_from_input();
    update_irq();
}

uint8_t Uart16550::read_register(unsigned offset)
{
    bool dlab = lcr_ & LCR_DLAB;
    switch (offset) {
    case DATA:
        if (dlab)
            return divisor_low_;
        if (receive_fifo_.empty())
            fill_from_input(); /* a polling driver reading RBR without LSR */
        if (!receive_fifo_.empty())
            last_received_ = receive_fifo_.pop();
        return last_received_;
    case INTERRUPT_ENABLE: return dlab ? divisor_high_ : ier_;
    case INTERRUPT_ID: {
        uint8_t id = interrupt_identification();
        if (id == IIR_THR_EMPTY)
            thr_empty_pending_ = false; /* reading IIR is what clears THRE */
        return uint8_t(id | (fifo_enabled_ ? IIR_FIFOS_ENABLED : 0));
    }
    case LINE_CONTROL: return lcr_;
    case MODEM_CONTROL: return mcr_;
    case LINE_STATUS:
        fill_from_input(); /* a polling driver asks LSR whether data is ready */
        return line_status();
    case MODEM_STATUS: return modem_status();
    default: return scratch_;
    }
}

void Uart16550::write_register(unsigned offset, uint8_t value)
{
    bool dlab = lcr_ & LCR_DLAB;
    switch (offset) {
    case DATA:
        if (dlab)
            divisor_low_ = value;
        else
            transmit(value);
        break;
    case INTERRUPT_ENABLE:
        if (dlab) {
            divisor_high_ = value;
            break;
        }
        ier_ = value & IER_WRITABLE;
        /* Enabling the THRE interrupt while THR is empty interrupts at once. */
        if (ier_ & IER_THR_EMPTY)
            thr_empty_pending_ = true;
        break;
    case INTERRUPT_ID: write_fifo_control(value); break;
    case LINE_CONTROL: lcr_ = value; break;
    case MODEM_CONTROL: mcr_ = value & MCR_WRITABLE; break;
    case SCRATCH: scratch_ = value; break;
    default: break; /* LSR and MSR writes are for factory testing */
    }
}

/* FCR: switching the FIFOs on or off empties them. The transmit FIFO is always
 * empty here, so its clear bit has nothing to do. */
void Uart16550::write_fifo_control(uint8_t value)
{
    bool enable = value & FCR_ENABLE;
    if (enable != fifo_enabled_ || (value & FCR_CLEAR_RECEIVE))
        receive_fifo_.clear();
    fifo_enabled_ = enable;
    trigger_bits_ = value >> 6;
}

void Uart16550::transmit(uint8_t byte)
{
    if (mcr_ & MCR_LOOP)
        receive_byte(byte);
    else
        transmit_.put(byte);
    thr_empty_pending_ = true; /* the byte left THR at once */
}

size_t Uart16550::receive(const uint8_t* bytes, size_t count)
{
    size_t stored = 0;
    /* In loopback the serial input is disconnected from the receiver. */
    for (size_t i = 0; bytes && i < count && !(mcr_ & MCR_LOOP); ++i)
        stored += receive_byte(bytes[i]) ? 1 : 0;
    update_irq();
    return stored;
}

void Uart16550::pull_input()
{
    if (ier_ & IER_RECEIVED_DATA)
        fill_from_input();
    update_irq();
}

/* Bytes the receiver takes without an overrun: the FIFO's free space, or the
 * one holding register with FIFOs off; none in loopback (the input is cut off). */
size_t Uart16550::receiver_room() const
{
    if (mcr_ & MCR_LOOP)
        return 0;
    if (!fifo_enabled_)
        return receive_fifo_.empty() ? 1 : 0;
    return receive_fifo_.free_space();
}

void Uart16550::fill_from_input()
{
    uint8_t byte;
    for (size_t room = receiver_room(); room > 0 && input_.take(byte); --room)
        (void)receive_byte(byte);
}

bool Uart16550::receive_byte(uint8_t byte)
{
    if (!fifo_enabled_ && !receive_fifo_.empty()) {
        overrun_ = true;
        receive_fifo_.clear();
        receive_fifo_.push(byte);
        return false;
    }
    if (!receive_fifo_.push(byte)) {
        overrun_ = true;
        return false;
    }
    return true;
}

size_t Uart16550::trigger_level() const
{
    static constexpr uint8_t LEVELS[4] = {1, 4, 8, 14};
    return LEVELS[trigger_bits_ & 3];
}

/* "Interrupt Identification Register", highest priority first. */
uint8_t Uart16550::interrupt_identification() const
{
    if ((ier_ & IER_LINE_STATUS) && overrun_)
        return IIR_LINE_STATUS;
    if ((ier_ & IER_RECEIVED_DATA) && !receive_fifo_.empty()) {
        if (fifo_enabled_ && receive_fifo_.size() < trigger_level())
            return IIR_CHARACTER_TIMEOUT;
        return IIR_DATA_AVAILABLE;
    }
    if ((ier_ & IER_THR_EMPTY) && thr_empty_pending_)
        return IIR_THR_EMPTY;
    return IIR_NONE;
}

/* Reading LSR clears the error bits. */
uint8_t Uart16550::line_status()
{
    uint8_t value = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY;
    if (!receive_fifo_.empty())
        value |= LSR_DATA_READY;
    if (overrun_)
        value |= LSR_OVERRUN;
    overrun_ = false;
    return value;
}

uint8_t Uart16550::modem_status() const
{
    if (!(mcr_ & MCR_LOOP))
        return MSR_CTS | MSR_DSR | MSR_DCD;
    uint8_t value = 0;
    if (mcr_ & MCR_RTS)
        value |= MSR_CTS;
    if (mcr_ & MCR_DTR)
        value |= MSR_DSR;
    if (mcr_ & MCR_OUT1)
        value |= MSR_RI;
    if (mcr_ & MCR_OUT2)
        value |= MSR_DCD;
    return value;
}

uint32_t Uart16550::divisor() const
{
    uint32_t divisor = uint32_t(divisor_high_) << 8 | divisor_low_;
    return divisor ? divisor : 0x10000;
}

void Uart16550::update_irq()
{
    bool wired = (mcr_ & MCR_OUT2) && !(mcr_ & MCR_LOOP);
    irq_.set(wired && interrupt_identification() != IIR_NONE);
}

} // namespace devices
