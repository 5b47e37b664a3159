/* In-kernel tests of the descriptor tables, the exception path and the 8259
 * PICs, run with test=interrupts. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/interrupt_guard.h"
#include "drivers/pic8259.h"
#include "drivers/pit8254.h"
#include "interrupts/irq.h"
#include "test/kernel_test.h"

KERNEL_TEST(interrupts, gdt_and_task_register_are_loaded)
{
    cpu::DescriptorTablePointer loaded = cpu::sgdt();
    EXPECT_EQ(loaded.base, gdt::base());
    EXPECT_EQ(loaded.limit, gdt::limit());
    EXPECT_EQ(cpu::read_cs(), gdt::KERNEL_CODE_SELECTOR);
    EXPECT_EQ(cpu::str(), gdt::tss_selector());
}

KERNEL_TEST(interrupts, user_selectors_fit_sysret)
{
    /* SYSRET to 64-bit code: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8. */
    uint16_t star_user_base = gdt::USER_CODE32_SELECTOR & ~3;
    EXPECT_EQ(gdt::USER_DATA_SELECTOR & ~3, star_user_base + 8);
    EXPECT_EQ(gdt::USER_CODE64_SELECTOR & ~3, star_user_base + 16);
    EXPECT_EQ(gdt::USER_CODE64_SELECTOR & 3, 3);
}

KERNEL_TEST(interrupts, tss_holds_kernel_stack_and_ist_stacks)
{
    uint64_t saved = gdt::kernel_stack();
    gdt::set_kernel_stack(0xFFFF800000123000);
    EXPECT_EQ(gdt::kernel_stack(), 0xFFFF800000123000ul);
    EXPECT_EQ(*reinterpret_cast<uint64_t*>(gdt::tss_base() + 4), 0xFFFF800000123000ul); /* RSP0 */
    gdt::set_kernel_stack(saved);
    EXPECT(gdt::ist_stack_top(gdt::IST_DOUBLE_FAULT) != 0);
    EXPECT(gdt::ist_stack_top(gdt::IST_NMI) != 0);
    EXPECT(gdt::ist_stack_top(gdt::IST_DOUBLE_FAULT) != gdt::ist_stack_top(gdt::IST_NMI));
    EXPECT_EQ(gdt::ist_stack_top(gdt::IST_DOUBLE_FAULT) % 16, 0ul);
}

KERNEL_TEST(interrupts, idt_is_loaded)
{
    cpu::DescriptorTablePointer loaded = cpu::sidt();
    EXPECT_EQ(loaded.base, idt::base());
    EXPECT_EQ(loaded.limit, uint16_t(idt::VECTOR_COUNT * 16 - 1));
}

KERNEL_TEST(interrupts, breakpoint_returns_and_is_counted)
{
    uint64_t before = exceptions::breakpoint_count();
    cpu::int3();
    cpu::int3();
    cpu::int3();
    EXPECT_EQ(exceptions::breakpoint_count(), before + 3);
}

KERNEL_TEST(interrupts, exception_path_preserves_registers)
{
    register uint64_t rbx asm("rbx") = 0x1111111111111111;
    register uint64_t r8 asm("r8") = 0x8888888888888888;
    register uint64_t r11 asm("r11") = 0xBBBBBBBBBBBBBBBB;
    register uint64_t r12 asm("r12") = 0xCCCCCCCCCCCCCCCC;
    register uint64_t r15 asm("r15") = 0xFFFFFFFFFFFFFFF0;
    asm volatile("int3" : "+r"(rbx), "+r"(r8), "+r"(r11), "+r"(r12), "+r"(r15)::"memory");
    EXPECT_EQ(rbx, 0x1111111111111111ul);
    EXPECT_EQ(r8, 0x8888888888888888ul);
    EXPECT_EQ(r11, 0xBBBBBBBBBBBBBBBBul);
    EXPECT_EQ(r12, 0xCCCCCCCCCCCCCCCCul);
    EXPECT_EQ(r15, 0xFFFFFFFFFFFFFFF0ul);
}

KERNEL_TEST(interrupts, exceptions_have_names)
{
    EXPECT(__builtin_strcmp(exceptions::name(exceptions::PAGE_FAULT), "page fault") == 0);
    EXPECT(__builtin_strcmp(exceptions::mnemonic(exceptions::GENERAL_PROTECTION), "#GP") == 0);
    EXPECT(__builtin_strcmp(exceptions::name(exceptions::DOUBLE_FAULT), "double fault") == 0);
}

KERNEL_TEST(interrupts, interrupt_guard_restores_the_interrupt_flag)
{
    EXPECT(cpu::interrupts_enabled());
    {
        InterruptGuard outer;
        EXPECT(!cpu::interrupts_enabled());
        {
            InterruptGuard inner;
            EXPECT(!inner.were_enabled());
        }
        EXPECT(!cpu::interrupts_enabled());
    }
    EXPECT(cpu::interrupts_enabled());
}

KERNEL_TEST(interrupts, pic_mask_and_unmask_read_back_from_imr)
{
    InterruptGuard guard;
    /* IRQ 5 and 13 have no driver, so they start masked. */
    uint16_t before = pic8259::read_mask();
    EXPECT(before & (1 << 5));
    EXPECT(before & (1 << 13));
    pic8259::unmask(5);
    pic8259::unmask(13);
    EXPECT_EQ(pic8259::read_mask(), uint16_t(before & ~(1 << 5) & ~(1 << 13)));
    pic8259::mask(5);
    pic8259::mask(13);
    EXPECT_EQ(pic8259::read_mask(), before);
}

KERNEL_TEST(interrupts, timer_and_cascade_lines_are_unmasked)
{
    uint16_t mask = pic8259::read_mask();
    EXPECT(!(mask & (1 << pit8254::IRQ)));
    EXPECT(!(mask & (1 << pic8259::CASCADE_IRQ)));
}

KERNEL_TEST(interrupts, timer_irq_is_delivered_and_counted)
{
    uint64_t before = interrupts::irq_count(pit8254::IRQ);
    for (int i = 0; i < 5; ++i)
        cpu::enable_interrupts_and_halt();
    EXPECT(interrupts::irq_count(pit8254::IRQ) > before);
    EXPECT(pic8259::read_in_service() == 0);
}
