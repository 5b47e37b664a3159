/* kernel/drivers/pic8259.h: telling a spurious IRQ 7 or 15 from a real one by
 * the in-service register of the chip that delivered it. */
#include "drivers/pic8259.h"
#include "unit_test.h"

using pic8259::classify;
using pic8259::IrqKind;

UNIT_TEST(pic_irq7_without_in_service_bit_is_spurious)
{
    CHECK(classify(7, 0x00) == IrqKind::spurious);
    /* other lines in service do not make IRQ 7 genuine */
    CHECK(classify(7, 0x7F) == IrqKind::spurious);
}

UNIT_TEST(pic_irq7_with_in_service_bit_is_genuine)
{
    CHECK(classify(7, 0x80) == IrqKind::genuine);
    CHECK(classify(7, 0x81) == IrqKind::genuine);
}

UNIT_TEST(pic_irq15_without_in_service_bit_needs_master_eoi_only)
{
    CHECK(classify(15, 0x00) == IrqKind::spurious_from_slave);
    CHECK(classify(15, 0x80) == IrqKind::genuine);
}

UNIT_TEST(pic_other_lines_are_never_spurious)
{
    for (unsigned irq = 0; irq < 16; ++irq) {
        if (irq == 7 || irq == 15)
            continue;
        CHECK(classify(irq, 0x00) == IrqKind::genuine);
    }
}

UNIT_TEST(pic_vectors_map_to_irqs)
{
    CHECK(!pic8259::is_irq_vector(0x1F));
    CHECK(pic8259::is_irq_vector(0x20));
    CHECK(pic8259::is_irq_vector(0x2F));
    CHECK(!pic8259::is_irq_vector(0x30));
    CHECK_EQ(pic8259::irq_of_vector(0x21), 1u);
    CHECK_EQ(pic8259::irq_of_vector(0x2F), 15u);
}
