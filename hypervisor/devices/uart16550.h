/* A 16550A UART (COM1 at 0x3F8-0x3FF, IRQ 4, on a PC): the guest's serial console.
 * Follows the TI PC16550D datasheet ("Register Description": RBR/THR, IER,
 * IIR/FCR, LCR, MCR, LSR, MSR, SCR, divisor latch).
 *
 * Transmission is instant: a byte written to THR goes straight to the sink (the
 * hypervisor's LineAssembler), so THR and the transmitter are always empty (LSR
 * THRE and TEMT set) and the baud rate only matters to the guest. Received bytes
 * come from the host into the 16-byte receive FIFO: straight (receive()), or from
 * an input source the UART pulls from whenever the guest reads and the receiver
 * has room (set_input(), pull_input()), so the host may send more than 16 bytes
 * and lose none. It pulls only once the guest's driver shows it is there (it
 * enabled the received-data interrupt, or polls LSR or RBR): input sent while
 * the guest boots is not flushed away by its driver's FIFO reset.
 * Interrupts follow the datasheet's IIR priority: receiver line status (overrun),
 * received data available (FIFO at its trigger level), character timeout (data
 * below the trigger level - the 4-character-time wait is taken as already over),
 * THR empty, modem status. On a PC the UART's interrupt reaches the PIC only
 * while MCR OUT2 is set, and never in loopback mode (the datasheet disconnects
 * the outputs then).
 * Loopback (MCR bit 4) is modelled: THR bytes come back into the receiver and the
 * MSR shows RTS, DTR, OUT1, OUT2 as CTS, DSR, RI, DCD (the test Linux' 8250
 * probe does). Outside loopback the modem lines read as a connected terminal
 * (CTS, DSR, DCD) that never changes, so the modem status interrupt never fires.
 * Not modelled: parity/framing errors and break (nothing can cause them). */
#pragma once
#include "hypervisor/devices/byte_queue.h"
#include "hypervisor/devices/port_device.h"

namespace devices {

class Uart16550 final : public PortDevice {
public:
    static constexpr uint16_t COM1_BASE = 0x3F8;
    static constexpr unsigned COM1_IRQ = 4;
    static constexpr size_t FIFO_SIZE = 16;
    static constexpr uint32_t BASE_CLOCK_BAUD = 115200; /* 1.8432 MHz / 16 */

    Uart16550(uint16_t base, IrqLine irq, ByteSink transmit) : base_(base), irq_(irq), transmit_(transmit) {}

    bool handles(uint16_t port) const override { return port >= base_ && port - base_ < 8; }
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* Host input. A byte that finds the receiver full is lost and sets LSR
     * overrun (with FIFOs off the new byte replaces the unread one, as the
     * datasheet describes overrun). Returns how many were stored without loss. */
    size_t receive(const uint8_t* bytes, size_t count);
    /* Where waiting host input comes from (a devices::PendingInput). */
    void set_input(ByteSource source) { input_ = source; }
    /* The host queued input: moves what fits into the receiver if the guest is
     * ready for it, and raises the interrupt. */
    void pull_input();

    /* The divisor latch; 0 is taken as 65536 like the datasheet's counter. */
    uint32_t divisor() const;
    uint32_t baud_rate() const { return BASE_CLOCK_BAUD / divisor(); }
    uint8_t line_control() const { return lcr_; }
    uint8_t modem_control() const { return mcr_; }
    bool fifo_enabled() const { return fifo_enabled_; }

private:
    /* Interrupt identification codes (IIR bits 3-0). */
    static constexpr uint8_t IIR_NONE = 0x01, IIR_LINE_STATUS = 0x06, IIR_DATA_AVAILABLE = 0x04,
                             IIR_CHARACTER_TIMEOUT = 0x0C, IIR_THR_EMPTY = 0x02;

    uint8_t read_register(unsigned offset);
    void write_register(unsigned offset, uint8_t value);
    void write_fifo_control(uint8_t value);
    void transmit(uint8_t byte);
    bool receive_byte(uint8_t byte);
    void fill_from_input();
    size_t receiver_room() const;
    uint8_t interrupt_identification() const;
    uint8_t line_status();
    uint8_t modem_status() const;
    size_t trigger_level() const;
    void update_irq();

    uint16_t base_;
    IrqLine irq_;
    ByteSink transmit_;
    ByteSource input_;
    ByteQueue<FIFO_SIZE> receive_fifo_;
    uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scratch_ = 0;
    uint8_t divisor_low_ = 0, divisor_high_ = 0;
    uint8_t trigger_bits_ = 0; /* FCR bits 7-6 */
    uint8_t last_received_ = 0;
    bool fifo_enabled_ = false;
    bool overrun_ = false;
    bool thr_empty_pending_ = false; /* the THRE interrupt, until IIR read or THR write */
};

} // namespace devices
