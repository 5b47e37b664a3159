/* The PC/AT pair of 8259A programmable interrupt controllers (master at
 * 0x20/0x21, slave at 0xA0/0xA1 cascaded on the master's IR2) plus the PIIX edge/
 * level control registers (ELCR) at 0x4D0/0x4D1. Follows the Intel 8259A
 * datasheet (order number 231468) and, for the ELCR, the Intel PIIX3 datasheet.
 *
 * Modelled: ICW1-ICW4 (single/cascade, with or without ICW4, vector base, auto-EOI),
 * OCW1 (IMR), OCW2 (non-specific, specific EOI, and the rotation commands), OCW3
 * (IRR/ISR read select, poll command, special mask mode), fixed and rotating
 * priority, edge and level triggering, spurious IRQ 7/15.
 * Not modelled (stored or ignored, harmless on a PC):
 *   - ICW1 LTIM and ADI: the PIIX ignores LTIM (the ELCR decides), ADI only
 *     matters for 8080 CALL vectors.
 *   - ICW4 uPM=0 (8080 mode) is treated as 8086 mode: an x86 only takes a vector.
 *   - ICW4 buffered mode and special fully nested mode (SFNM): stored, not acted on;
 *     the slave's interrupts are nested behind the master's IR2 as in normal mode.
 *   - ICW3: stored; the cascade is wired to IR2 as on every PC/AT. */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

/* One 8259A: registers and priority logic, without knowledge of ports. */
class Pic8259 {
public:
    /* `elcr_writable` names the lines whose trigger mode the ELCR may change;
     * `latched_lines` the inputs whose edge request survives the line falling
     * again (the master's cascade input, see Pic8259Pair::update_cascade). */
    Pic8259(uint8_t elcr_writable, uint8_t latched_lines)
        : elcr_writable_(elcr_writable), latched_lines_(latched_lines)
    {
    }

    /* The state a PC BIOS leaves: initialised, 8086 mode, all lines masked. */
    void reset_like_bios(uint8_t vector_base, uint8_t icw3);

    void write_command(uint8_t value); /* even port: ICW1, OCW2, OCW3 */
    void write_data(uint8_t value);    /* odd port: ICW2-ICW4, OCW1 */
    uint8_t read_command();            /* even port: IRR, ISR or the poll word */
    uint8_t read_data() const { return imr_; }
    void write_elcr(uint8_t value);
    uint8_t read_elcr() const { return elcr_; }

    /* The level of input line 0-7 (higher values are ignored). */
    void set_input(unsigned line, bool high);
    /* The line that would be acknowledged now (unmasked, requested, higher priority
     * than every in-service line), or -1. */
    int pending_line() const;
    /* The interrupt acknowledge cycle for `line`: IRR to ISR (not in auto-EOI). */
    void acknowledge_line(unsigned line);
    uint8_t vector_for(unsigned line) const { return uint8_t(vector_base_ | (line & 7)); }

    uint8_t irr() const { return irr_; }
    uint8_t isr() const { return isr_; }
    uint8_t imr() const { return imr_; }
    uint8_t vector_base() const { return vector_base_; }
    bool auto_eoi() const { return auto_eoi_; }
    bool single() const { return single_; }
    bool initialising() const { return step_ != InitStep::ready; }

private:
    enum class InitStep : uint8_t { ready, icw2, icw3, icw4 };

    void write_icw1(uint8_t value);
    void write_ocw2(uint8_t value);
    void write_ocw3(uint8_t value);
    void finish_icw(InitStep next);
    /* Position in the priority order: 0 is the highest. */
    unsigned rank(unsigned line) const { return (line - lowest_priority_ - 1) & 7; }
    int highest_in(uint8_t lines) const;

    uint8_t elcr_writable_;
    uint8_t latched_lines_;
    uint8_t irr_ = 0, isr_ = 0, imr_ = 0xFF, elcr_ = 0;
    uint8_t inputs_ = 0; /* the level of each input line */
    uint8_t vector_base_ = 0, icw3_ = 0, icw4_ = 0;
    uint8_t lowest_priority_ = 7;
    InitStep step_ = InitStep::ready;
    bool needs_icw4_ = false, single_ = false, auto_eoi_ = false, rotate_on_auto_eoi_ = false;
    bool read_isr_ = false, poll_ = false, special_mask_ = false;
};

/* The master/slave pair as one device: ports, the cascade, and the CPU's side
 * (has_pending_interrupt/acknowledge) that the hypervisor uses for injection. */
class Pic8259Pair final : public PortDevice, public InterruptController {
public:
    static constexpr uint16_t MASTER_COMMAND = 0x20, MASTER_DATA = 0x21;
    static constexpr uint16_t SLAVE_COMMAND = 0xA0, SLAVE_DATA = 0xA1;
    static constexpr uint16_t ELCR_MASTER = 0x4D0, ELCR_SLAVE = 0x4D1;
    static constexpr unsigned CASCADE_LINE = 2;

    /* Starts as a BIOS leaves it: vectors 0x08 and 0x70, every line masked, so
     * a guest that never programs the PIC never sees an interrupt. */
    Pic8259Pair();

    bool handles(uint16_t port) const override;
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* ISA line 0-15. Line 2 is the cascade on a PC/AT; a device on ISA IRQ 2 is
     * wired to IRQ 9, so raising 2 raises 9. Lines above 15 are ignored. */
    void set_irq_level(unsigned irq, bool high) override;
    void raise_irq(unsigned irq) { set_irq_level(irq, true); }
    void lower_irq(unsigned irq) { set_irq_level(irq, false); }

    /* True when the INTR pin to the CPU is asserted: the hypervisor injects once
     * the guest can take an interrupt (RFLAGS.IF=1, no blocking). */
    bool has_pending_interrupt() const
    {
        /* No unmasked request at the master: nothing to ask its priority logic. */
        return (master_.irr() & ~master_.imr()) && master_.pending_line() >= 0;
    }
    /* The CPU's interrupt acknowledge: returns the vector to inject and moves the
     * request to in-service. When the request vanished since has_pending_interrupt()
     * (line lowered, masked), returns the chip's IRQ 7 vector without setting its
     * ISR bit: a spurious IRQ 7, or 15 with the master's IR2 left in service, as
     * the hardware does. */
    uint8_t acknowledge();

    const Pic8259& master() const { return master_; }
    const Pic8259& slave() const { return slave_; }

private:
    /* The slave's INT output drives the master's IR2. The master keeps an IR2
     * request latched even if the slave's request disappears before the
     * acknowledge: the slave then answers with its IRQ 7 vector (spurious IRQ 15)
     * while the master's IR2 goes in service, which is the case guests handle by
     * sending the master (only) an EOI. */
    void update_cascade();

    Pic8259 master_;
    Pic8259 slave_;
};

} // namespace devices
