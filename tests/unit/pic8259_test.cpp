/* hypervisor/devices/pic8259: the 8259A pair against the Intel 8259A datasheet. */
#include "hypervisor/devices/pic8259.h"
#include "unit_test.h"

using devices::Pic8259Pair;

namespace {

void out(Pic8259Pair& pic, uint16_t port, uint8_t value) { pic.write(port, 1, value, 0); }
uint8_t in(Pic8259Pair& pic, uint16_t port) { return uint8_t(pic.read(port, 1, 0)); }

/* The sequence Linux and SWEB send: ICW1 0x11 (edge, cascade, ICW4 follows),
 * ICW2 vector base, ICW3 cascade wiring, ICW4 0x01 (8086 mode), then OCW1. */
void init_like_linux(Pic8259Pair& pic, uint8_t master_mask = 0x00, uint8_t slave_mask = 0x00, uint8_t icw4 = 0x01)
{
    out(pic, 0x20, 0x11);
    out(pic, 0x21, 0x20);
    out(pic, 0x21, 0x04);
    out(pic, 0x21, icw4);
    out(pic, 0xA0, 0x11);
    out(pic, 0xA1, 0x28);
    out(pic, 0xA1, 0x02);
    out(pic, 0xA1, icw4);
    out(pic, 0x21, master_mask);
    out(pic, 0xA1, slave_mask);
}

void eoi(Pic8259Pair& pic, uint16_t command_port) { out(pic, command_port, 0x20); }

} // namespace

UNIT_TEST(pic_starts_like_bios_with_everything_masked)
{
    Pic8259Pair pic;
    CHECK_EQ(pic.master().vector_base(), 0x08);
    CHECK_EQ(pic.slave().vector_base(), 0x70);
    CHECK_EQ(in(pic, 0x21), 0xFF);
    CHECK_EQ(in(pic, 0xA1), 0xFF);
    pic.raise_irq(0);
    CHECK(!pic.has_pending_interrupt());
}

UNIT_TEST(pic_linux_init_sequence_sets_vector_bases_and_mask)
{
    Pic8259Pair pic;
    init_like_linux(pic, 0xFB, 0xFF);
    CHECK_EQ(pic.master().vector_base(), 0x20);
    CHECK_EQ(pic.slave().vector_base(), 0x28);
    CHECK_EQ(in(pic, 0x21), 0xFB);
    CHECK_EQ(in(pic, 0xA1), 0xFF);
    CHECK(!pic.master().initialising());
    CHECK(!pic.master().auto_eoi());
}

UNIT_TEST(pic_icw2_ignores_low_three_bits)
{
    Pic8259Pair pic;
    out(pic, 0x20, 0x11);
    out(pic, 0x21, 0x37);
    out(pic, 0x21, 0x04);
    out(pic, 0x21, 0x01);
    CHECK_EQ(pic.master().vector_base(), 0x30);
}

UNIT_TEST(pic_icw1_without_icw4_and_single_skips_icw3_and_icw4)
{
    Pic8259Pair pic;
    out(pic, 0x20, 0x12); /* single, no ICW4 */
    out(pic, 0x21, 0x40);
    CHECK(!pic.master().initialising());
    out(pic, 0x21, 0xFE); /* the next odd write is OCW1 */
    CHECK_EQ(in(pic, 0x21), 0xFE);
    pic.raise_irq(0);
    CHECK_EQ(pic.acknowledge(), 0x40);
}

UNIT_TEST(pic_icw1_without_icw4_in_cascade_takes_icw3_then_ocw1)
{
    Pic8259Pair pic;
    out(pic, 0x20, 0x10);
    out(pic, 0x21, 0x20);
    CHECK(pic.master().initialising());
    out(pic, 0x21, 0x04);
    CHECK(!pic.master().initialising());
    CHECK(!pic.master().auto_eoi());
}

UNIT_TEST(pic_masked_irq_is_not_delivered_until_unmasked)
{
    Pic8259Pair pic;
    init_like_linux(pic, 0x02);
    pic.raise_irq(1);
    CHECK(!pic.has_pending_interrupt());
    CHECK_EQ(in(pic, 0x20) & 0x02, 0x02); /* requested in IRR all the same */
    out(pic, 0x21, 0x00);
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x21);
}

UNIT_TEST(pic_fixed_priority_irq0_before_irq1_before_slave_before_irq3)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(3);
    pic.raise_irq(12);
    pic.raise_irq(1);
    pic.raise_irq(0);
    CHECK_EQ(pic.acknowledge(), 0x20);
    eoi(pic, 0x20);
    CHECK_EQ(pic.acknowledge(), 0x21);
    eoi(pic, 0x20);
    CHECK_EQ(pic.acknowledge(), 0x2C); /* IRQ 12 sits at the position of IRQ 2 */
    eoi(pic, 0xA0);
    eoi(pic, 0x20);
    CHECK_EQ(pic.acknowledge(), 0x23);
    eoi(pic, 0x20);
    CHECK(!pic.has_pending_interrupt());
}

UNIT_TEST(pic_higher_priority_nests_while_lower_in_service)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(4);
    CHECK_EQ(pic.acknowledge(), 0x24);
    pic.raise_irq(5);
    CHECK(!pic.has_pending_interrupt()); /* lower priority waits */
    pic.raise_irq(1);
    CHECK(pic.has_pending_interrupt()); /* higher priority nests */
    CHECK_EQ(pic.acknowledge(), 0x21);
    CHECK_EQ(pic.master().isr(), 0x12);
}

UNIT_TEST(pic_non_specific_eoi_clears_highest_priority_isr_bit)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(4);
    pic.acknowledge();
    pic.raise_irq(1);
    pic.acknowledge();
    eoi(pic, 0x20);
    CHECK_EQ(pic.master().isr(), 0x10);
    eoi(pic, 0x20);
    CHECK_EQ(pic.master().isr(), 0x00);
}

UNIT_TEST(pic_specific_eoi_clears_the_named_isr_bit)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(4);
    pic.acknowledge();
    pic.raise_irq(1);
    pic.acknowledge();
    out(pic, 0x20, 0x64); /* specific EOI for IR4 */
    CHECK_EQ(pic.master().isr(), 0x02);
}

UNIT_TEST(pic_auto_eoi_leaves_isr_clear)
{
    Pic8259Pair pic;
    init_like_linux(pic, 0, 0, 0x03);
    CHECK(pic.master().auto_eoi());
    pic.raise_irq(1);
    CHECK_EQ(pic.acknowledge(), 0x21);
    CHECK_EQ(pic.master().isr(), 0x00);
    pic.raise_irq(5);
    CHECK(pic.has_pending_interrupt()); /* nothing in service blocks it */
}

UNIT_TEST(pic_edge_needs_the_line_to_go_low_before_a_new_request)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(1);
    CHECK_EQ(pic.acknowledge(), 0x21);
    eoi(pic, 0x20);
    pic.raise_irq(1); /* still high: no new edge */
    CHECK(!pic.has_pending_interrupt());
    pic.lower_irq(1);
    pic.raise_irq(1);
    CHECK(pic.has_pending_interrupt());
}

UNIT_TEST(pic_level_triggered_line_via_elcr_requests_again_after_eoi)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    out(pic, 0x4D1, 0x08); /* IRQ 11 level triggered */
    CHECK_EQ(in(pic, 0x4D1), 0x08);
    pic.raise_irq(11);
    CHECK_EQ(pic.acknowledge(), 0x2B);
    eoi(pic, 0xA0);
    eoi(pic, 0x20);
    CHECK(pic.has_pending_interrupt()); /* the line is still high */
    pic.lower_irq(11);
    CHECK_EQ(pic.slave().irr(), 0x00); /* a level request follows the line */
}

UNIT_TEST(pic_elcr_keeps_timer_keyboard_cascade_rtc_and_fpu_edge)
{
    Pic8259Pair pic;
    out(pic, 0x4D0, 0xFF);
    out(pic, 0x4D1, 0xFF);
    CHECK_EQ(in(pic, 0x4D0), 0xF8);
    CHECK_EQ(in(pic, 0x4D1), 0xDE);
}

UNIT_TEST(pic_slave_irq_sets_both_isr_bits_through_the_cascade)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(14);
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x2E);
    CHECK_EQ(pic.master().isr(), 0x04);
    CHECK_EQ(pic.slave().isr(), 0x40);
    eoi(pic, 0xA0);
    eoi(pic, 0x20);
    CHECK_EQ(pic.master().isr(), 0x00);
    CHECK_EQ(pic.slave().isr(), 0x00);
}

UNIT_TEST(pic_slave_masked_at_master_is_not_delivered)
{
    Pic8259Pair pic;
    init_like_linux(pic, 0x04);
    pic.raise_irq(8);
    CHECK(!pic.has_pending_interrupt());
    out(pic, 0x21, 0x00);
    CHECK_EQ(pic.acknowledge(), 0x28);
}

UNIT_TEST(pic_spurious_irq7_when_request_vanished_before_acknowledge)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(1);
    CHECK(pic.has_pending_interrupt());
    pic.lower_irq(1);
    CHECK_EQ(pic.acknowledge(), 0x27);
    CHECK_EQ(pic.master().isr(), 0x00);
}

UNIT_TEST(pic_spurious_irq7_when_masked_before_acknowledge)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(3);
    out(pic, 0x21, 0x08);
    CHECK_EQ(pic.acknowledge(), 0x27);
    CHECK_EQ(pic.master().isr(), 0x00);
}

UNIT_TEST(pic_spurious_irq15_leaves_master_ir2_in_service)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(10);
    CHECK(pic.has_pending_interrupt());
    pic.lower_irq(10); /* the slave's request vanishes after the master latched IR2 */
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x2F);
    CHECK_EQ(pic.master().isr(), 0x04);
    CHECK_EQ(pic.slave().isr(), 0x00);
    eoi(pic, 0x20); /* what a guest does for spurious 15: EOI the master only */
    CHECK_EQ(pic.master().isr(), 0x00);
}

UNIT_TEST(pic_slave_in_auto_eoi_delivers_back_to_back_requests)
{
    Pic8259Pair pic;
    init_like_linux(pic, 0, 0, 0x03);
    pic.raise_irq(9);
    pic.raise_irq(11);
    CHECK_EQ(pic.acknowledge(), 0x29);
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x2B);
}

UNIT_TEST(pic_reads_irr_and_isr_through_ocw3)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(5);
    pic.raise_irq(3);
    pic.acknowledge();
    out(pic, 0x20, 0x0A); /* read IRR */
    CHECK_EQ(in(pic, 0x20), 0x20);
    out(pic, 0x20, 0x0B); /* read ISR */
    CHECK_EQ(in(pic, 0x20), 0x08);
    CHECK_EQ(in(pic, 0x20), 0x08); /* the selection sticks */
}

UNIT_TEST(pic_poll_command_acknowledges_highest_request)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(6);
    out(pic, 0x20, 0x0C);
    CHECK_EQ(in(pic, 0x20), 0x86);
    CHECK_EQ(pic.master().isr(), 0x40);
    out(pic, 0x20, 0x0C);
    CHECK_EQ(in(pic, 0x20), 0x00);
}

UNIT_TEST(pic_rotate_on_non_specific_eoi_makes_serviced_line_lowest)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(1);
    CHECK_EQ(pic.acknowledge(), 0x21);
    out(pic, 0x20, 0xA0);
    pic.raise_irq(0);
    pic.raise_irq(3);
    /* IR1 is now lowest, so IR2 is highest: IR3 beats IR0. */
    CHECK_EQ(pic.acknowledge(), 0x23);
}

UNIT_TEST(pic_special_mask_mode_lets_lower_priority_through)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(1);
    pic.acknowledge();
    pic.raise_irq(5);
    CHECK(!pic.has_pending_interrupt());
    out(pic, 0x21, 0x02); /* mask the in-service level */
    out(pic, 0x20, 0x68); /* set special mask mode */
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x25);
}

UNIT_TEST(pic_isa_irq2_is_redirected_to_irq9)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(2);
    CHECK_EQ(pic.acknowledge(), 0x29);
}

UNIT_TEST(pic_ignores_out_of_range_lines)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(16);
    pic.raise_irq(0xFFFFFFFF);
    CHECK(!pic.has_pending_interrupt());
}

UNIT_TEST(pic_reinitialisation_drops_requests_of_lines_already_high)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(1);
    init_like_linux(pic);
    CHECK(!pic.has_pending_interrupt());
}

/* The guest's EOI after each timer interrupt, as the run loop's fast path sends
 * it: a master EOI leaves a slave request behind the cascade pending (the master
 * keeps the cascade line as the slave drives it), and a request waiting behind
 * the one just ended is pending right after the EOI. */
UNIT_TEST(pic_master_eoi_keeps_the_cascade_and_unblocks_a_waiting_request)
{
    Pic8259Pair pic;
    init_like_linux(pic);
    pic.raise_irq(0);
    CHECK_EQ(pic.acknowledge(), 0x20);
    pic.raise_irq(14); /* behind IR2, of lower priority than IR0 in service */
    pic.raise_irq(3);
    CHECK(!pic.has_pending_interrupt());
    eoi(pic, 0x20);
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x2E);
    /* IR2 in service holds back IR3; the EOIs for 14 let it through. */
    CHECK(!pic.has_pending_interrupt());
    eoi(pic, 0xA0);
    CHECK(!pic.has_pending_interrupt());
    eoi(pic, 0x20);
    CHECK(pic.has_pending_interrupt());
    CHECK_EQ(pic.acknowledge(), 0x23);
    /* A masked request is no pending interrupt. */
    eoi(pic, 0x20);
    out(pic, 0x21, 0x01);
    pic.lower_irq(0);
    pic.raise_irq(0);
    CHECK(!pic.has_pending_interrupt());
    out(pic, 0x21, 0x00);
    CHECK(pic.has_pending_interrupt());
}
