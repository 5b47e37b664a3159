/* The 8259A pair; see pic8259.h. Section names refer to the Intel 8259A datasheet. */
#include "hypervisor/devices/pic8259.h"

namespace devices {

namespace {

constexpr uint8_t ICW1_IC4 = 0x01;  /* ICW4 follows */
constexpr uint8_t ICW1_SNGL = 0x02; /* single 8259A, no ICW3 */
constexpr uint8_t ICW1_SELECT = 0x10;
constexpr uint8_t OCW3_SELECT = 0x08;
constexpr uint8_t ICW4_AEOI = 0x02;
constexpr uint8_t OCW3_READ_REGISTER = 0x02; /* RR: bit 0 (RIS) is valid */
constexpr uint8_t OCW3_POLL = 0x04;
constexpr uint8_t OCW3_SPECIAL_MASK_SELECT = 0x40; /* ESMM: bit 5 (SMM) is valid */
constexpr uint8_t POLL_INTERRUPT = 0x80;

/* OCW2 bits 7-5: R, SL, EOI. */
enum class Ocw2 : uint8_t {
    rotate_in_auto_eoi_clear = 0,
    non_specific_eoi = 1,
    no_operation = 2,
    specific_eoi = 3,
    rotate_in_auto_eoi_set = 4,
    rotate_on_non_specific_eoi = 5,
    set_priority = 6,
    rotate_on_specific_eoi = 7,
};

/* The PIIX hard-wires IRQ 0, 1, 2 (master) and 8, 13 (slave) to edge mode. */
constexpr uint8_t ELCR_MASTER_WRITABLE = 0xF8;
constexpr uint8_t ELCR_SLAVE_WRITABLE = 0xDE;

} // namespace

void Pic8259::reset_like_bios(uint8_t vector_base, uint8_t icw3)
{
    write_command(ICW1_SELECT | ICW1_IC4);
    write_data(vector_base);
    write_data(icw3);
    write_data(0x01); /* 8086 mode */
    write_data(0xFF);
}

void Pic8259::write_command(uint8_t value)
{
    if (value & ICW1_SELECT)
        write_icw1(value);
    else if (value & OCW3_SELECT)
        write_ocw3(value);
    else
        write_ocw2(value);
}

/* "Initialization Command Words": ICW1 clears the mask, resets the edge sense
 * (a line already high must go low and high again to request), gives IR7 the
 * lowest priority, clears special mask mode and selects IRR for reading. */
void Pic8259::write_icw1(uint8_t value)
{
    needs_icw4_ = value & ICW1_IC4;
    single_ = value & ICW1_SNGL;
    imr_ = 0;
    isr_ = 0;
    irr_ = inputs_ & elcr_;
    icw4_ = 0;
    lowest_priority_ = 7;
    auto_eoi_ = rotate_on_auto_eoi_ = false;
    read_isr_ = poll_ = special_mask_ = false;
    step_ = InitStep::icw2;
}

void Pic8259::finish_icw(InitStep next)
{
    if (next == InitStep::icw3 && single_)
        next = InitStep::icw4;
    if (next == InitStep::icw4 && !needs_icw4_)
        next = InitStep::ready;
    step_ = next;
}

void Pic8259::write_data(uint8_t value)
{
    switch (step_) {
    case InitStep::icw2:
        /* In 8086 mode T2-T0 come from the line number, so bits 2-0 are ignored. */
        vector_base_ = value & 0xF8;
        finish_icw(InitStep::icw3);
        break;
    case InitStep::icw3:
        icw3_ = value;
        finish_icw(InitStep::icw4);
        break;
    case InitStep::icw4:
        icw4_ = value;
        auto_eoi_ = value & ICW4_AEOI;
        step_ = InitStep::ready;
        break;
    case InitStep::ready: imr_ = value; break;
    }
}

/* "Operation Command Words", OCW2: end of interrupt and rotation. */
void Pic8259::write_ocw2(uint8_t value)
{
    unsigned level = value & 7;
    int highest = highest_in(isr_);
    switch (Ocw2(value >> 5)) {
    case Ocw2::rotate_in_auto_eoi_clear: rotate_on_auto_eoi_ = false; break;
    case Ocw2::rotate_in_auto_eoi_set: rotate_on_auto_eoi_ = true; break;
    case Ocw2::non_specific_eoi:
        if (highest >= 0)
            isr_ &= uint8_t(~(1u << highest));
        break;
    case Ocw2::rotate_on_non_specific_eoi:
        if (highest >= 0) {
            isr_ &= uint8_t(~(1u << highest));
            lowest_priority_ = uint8_t(highest);
        }
        break;
    case Ocw2::specific_eoi: isr_ &= uint8_t(~(1u << level)); break;
    case Ocw2::rotate_on_specific_eoi:
        isr_ &= uint8_t(~(1u << level));
        lowest_priority_ = uint8_t(level);
        break;
    case Ocw2::set_priority: lowest_priority_ = uint8_t(level); break;
    case Ocw2::no_operation: break;
    }
}

/* OCW3: register read select, poll command, special mask mode. */
void Pic8259::write_ocw3(uint8_t value)
{
    if (value & OCW3_READ_REGISTER)
        read_isr_ = value & 1;
    if (value & OCW3_SPECIAL_MASK_SELECT)
        special_mask_ = value & 0x20;
    poll_ = value & OCW3_POLL;
}

/* "Poll Command": the next read of the even port acknowledges the highest request
 * and returns it as the poll word (bit 7 set when there was one). */
uint8_t Pic8259::read_command()
{
    if (poll_) {
        poll_ = false;
        int line = pending_line();
        if (line < 0)
            return 0;
        acknowledge_line(unsigned(line));
        return uint8_t(POLL_INTERRUPT | line);
    }
    return read_isr_ ? isr_ : irr_;
}

void Pic8259::write_elcr(uint8_t value)
{
    elcr_ = value & elcr_writable_;
    irr_ = uint8_t((irr_ & ~elcr_) | (inputs_ & elcr_));
}

/* "Edge and Level Triggered Modes": an edge request latches on a rising edge; a
 * level request follows the line. In both modes a request that goes away before
 * the acknowledge is gone (it ends as a spurious IRQ 7 if the CPU already saw
 * INT), except on latched lines. */
void Pic8259::set_input(unsigned line, bool high)
{
    if (line > 7)
        return;
    uint8_t bit = uint8_t(1u << line);
    bool was_high = inputs_ & bit;
    if (high) {
        inputs_ |= bit;
        if (!was_high || (elcr_ & bit))
            irr_ |= bit;
    } else {
        inputs_ &= uint8_t(~bit);
        irr_ &= uint8_t(~(bit & ~latched_lines_));
    }
}

int Pic8259::highest_in(uint8_t lines) const
{
    /* The usual answer before every VM entry: nothing requested. */
    if (!lines)
        return -1;
    for (unsigned i = 0; i < 8; ++i) {
        unsigned line = (lowest_priority_ + 1 + i) & 7;
        if (lines & (1u << line))
            return int(line);
    }
    return -1;
}

/* "Special Mask Mode": a masked in-service level no longer inhibits the others. */
int Pic8259::pending_line() const
{
    if (step_ != InitStep::ready)
        return -1;
    int request = highest_in(irr_ & uint8_t(~imr_));
    if (request < 0)
        return -1;
    int in_service = highest_in(special_mask_ ? uint8_t(isr_ & ~imr_) : isr_);
    if (in_service >= 0 && rank(unsigned(request)) >= rank(unsigned(in_service)))
        return -1;
    return request;
}

void Pic8259::acknowledge_line(unsigned line)
{
    uint8_t bit = uint8_t(1u << (line & 7));
    if (!(elcr_ & bit))
        irr_ &= uint8_t(~bit);
    if (!auto_eoi_)
        isr_ |= bit;
    else if (rotate_on_auto_eoi_)
        lowest_priority_ = uint8_t(line & 7);
}

Pic8259Pair::Pic8259Pair() : master_(ELCR_MASTER_WRITABLE, 1u << CASCADE_LINE), slave_(ELCR_SLAVE_WRITABLE, 0)
{
    master_.reset_like_bios(0x08, 1u << CASCADE_LINE);
    slave_.reset_like_bios(0x70, CASCADE_LINE);
}

bool Pic8259Pair::handles(uint16_t port) const
{
    return port == MASTER_COMMAND || port == MASTER_DATA || port == SLAVE_COMMAND || port == SLAVE_DATA ||
           port == ELCR_MASTER || port == ELCR_SLAVE;
}

uint32_t Pic8259Pair::read(uint16_t port, unsigned, uint64_t)
{
    uint8_t value = 0xFF;
    switch (port) {
    case MASTER_COMMAND: value = master_.read_command(); break;
    case MASTER_DATA: value = master_.read_data(); break;
    case SLAVE_COMMAND: value = slave_.read_command(); break;
    case SLAVE_DATA: value = slave_.read_data(); break;
    case ELCR_MASTER: value = master_.read_elcr(); break;
    case ELCR_SLAVE: value = slave_.read_elcr(); break;
    }
    /* A poll read acknowledges, which may change the slave's output. */
    update_cascade();
    return value;
}

void Pic8259Pair::write(uint16_t port, unsigned, uint32_t value, uint64_t)
{
    uint8_t byte = uint8_t(value);
    switch (port) {
    case MASTER_COMMAND: master_.write_command(byte); break;
    case MASTER_DATA: master_.write_data(byte); break;
    case SLAVE_COMMAND: slave_.write_command(byte); break;
    case SLAVE_DATA: slave_.write_data(byte); break;
    case ELCR_MASTER: master_.write_elcr(byte); break;
    case ELCR_SLAVE: slave_.write_elcr(byte); break;
    }
    /* Only the slave's state decides its INT output; a write to the master (an
     * EOI after each timer interrupt) leaves the cascade line as it is. */
    if (port == SLAVE_COMMAND || port == SLAVE_DATA || port == ELCR_SLAVE)
        update_cascade();
}

void Pic8259Pair::set_irq_level(unsigned irq, bool high)
{
    if (irq == CASCADE_LINE)
        irq = 9;
    /* A master line leaves the slave's INT output (the cascade) as it is. */
    if (irq < 8) {
        master_.set_input(irq, high);
    } else if (irq < 16) {
        slave_.set_input(irq - 8, high);
        update_cascade();
    }
}

void Pic8259Pair::update_cascade() { master_.set_input(CASCADE_LINE, slave_.pending_line() >= 0); }

uint8_t Pic8259Pair::acknowledge()
{
    int line = master_.pending_line();
    if (line < 0)
        return master_.vector_for(7);
    master_.acknowledge_line(unsigned(line));
    if (unsigned(line) != CASCADE_LINE || master_.single())
        return master_.vector_for(unsigned(line));

    int slave_line = slave_.pending_line();
    uint8_t vector = slave_.vector_for(7);
    if (slave_line >= 0) {
        slave_.acknowledge_line(unsigned(slave_line));
        vector = slave_.vector_for(unsigned(slave_line));
    }
    /* The slave drops INT during the acknowledge; a request it still has (auto-EOI)
     * raises it again, which is a new edge on the master's IR2. */
    master_.set_input(CASCADE_LINE, false);
    update_cascade();
    return vector;
}

} // namespace devices
