/* Hostile guest "hostile_triple_fault" (docs/hostile-guests.md, class h): a
 * triple fault at a point of its boot picked by the seed - at once, after the
 * PICs and PIT are running with interrupts on, or after paging is on - by one of
 * three means: an IDT of limit 0 and UD2, an IDT whose every gate is not present
 * (#NP cannot be delivered, nor #DF), or paging switched on over empty page
 * tables (the next fetch faults, and so does every delivery). The hypervisor
 * must end the VM with "triple fault". Follows the Intel SDM (revision 084), Vol.
 * 3A, "Interrupt 8-Double Fault Exception (#DF)" and "Paging", Vol. 3C, "Triple
 * Fault". */
#include "common/guest.h"
#include "common/hostile.h"
#include "common/interrupts.h"
#include "kernel/arch/x86_64/control_registers.h"

namespace guest {

const char GUEST_NAME[] = "hostile_triple_fault";

namespace {

const char* const STAGE_NAMES[] = {"entry", "interrupts_on", "paging_on"};
const char* const MEANS_NAMES[] = {"empty_idt", "absent_gates", "empty_page_tables"};

struct [[gnu::packed]] TablePointer {
    uint16_t limit;
    uint32_t base;
};

/* A 4 MiB page-directory entry: present, writable, PS. */
constexpr uint32_t PDE_4MIB = 0x83;

alignas(4096) uint32_t identity_directory[1024];
alignas(4096) uint32_t empty_directory[1024];
alignas(8) uint64_t absent_idt[256];

void enable_paging(const uint32_t* directory)
{
    uint32_t cr4, cr0;
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" : : "r"(uint32_t(cr4 | CR4_PSE)));
    asm volatile("mov %0, %%cr3" : : "r"(uint32_t(uintptr_t(directory))) : "memory");
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %0, %%cr0" : : "r"(uint32_t(cr0 | CR0_PG)) : "memory");
}

[[noreturn]] void triple_fault(uint32_t means)
{
    if (means == 0) {
        const TablePointer empty{0, 0};
        asm volatile("lidt %0\n\tud2" : : "m"(empty) : "memory");
    } else if (means == 1) {
        for (uint64_t& gate : absent_idt)
            gate = 0x00000E0000080000ull; /* a 32-bit interrupt gate to 0x08:0, P clear */
        const TablePointer absent{uint16_t(sizeof(absent_idt) - 1), uint32_t(uintptr_t(absent_idt))};
        asm volatile("lidt %0\n\tud2" : : "m"(absent) : "memory");
    } else {
        /* Paging may already be on: CR3 switches to the empty directory at once,
         * and the next fetch faults. */
        enable_paging(empty_directory);
    }
    for (;;)
        asm volatile("hlt");
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    uint32_t stage = random.below(3);
    uint32_t means = random.below(3);
    uint32_t delay = random.below(100000);
    HostileSummary(seed, 1)
        .add_text("stage", STAGE_NAMES[stage]).add_text("means", MEANS_NAMES[means]).add("delay", delay).send();
    check("reached_fault", true);
    if (stage >= 1) {
        install_irq_handlers();
        program_pics(0xFFFE);
        program_pit(2, uint16_t(1193 + random.below(1000)));
        asm volatile("sti");
    }
    if (stage >= 2) {
        for (uint32_t i = 0; i < 1024; ++i)
            identity_directory[i] = i << 22 | PDE_4MIB;
        enable_paging(identity_directory);
    }
    for (uint32_t i = 0; i < delay; ++i)
        asm volatile("" : : : "memory");
    triple_fault(means);
}

} // namespace guest
