/* Hostile guest "hostile_storm" (docs/hostile-guests.md, class g): an interrupt
 * storm. The PIT's channel 0 runs at its fastest rate (divisor 1 or 2, mode 2 or
 * 3, picked by the seed; divisor 1 is illegal in mode 2 and 3 per the 8254
 * datasheet, which makes it a fine hostile choice), IRQ 0 unmasked, interrupts
 * on, a handler that only counts and acknowledges. The guest cannot keep up:
 * every VM entry may find the next IRQ pending. The IRQ 0 handler masks the PICs
 * after STORM_INTERRUPTS interrupts, the guest reports how far its main loop got
 * meanwhile and powers off. The host must stay responsive throughout. */
#include "common/guest.h"
#include "common/hostile.h"
#include "common/interrupts.h"

namespace guest {

const char GUEST_NAME[] = "hostile_storm";

namespace {

constexpr uint32_t STORM_INTERRUPTS = 5000;

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    uint8_t mode = random.chance(2) ? 2 : 3;
    uint16_t divisor = uint16_t(1 + random.below(2));
    install_irq_handlers();
    irq0_limit = STORM_INTERRUPTS;
    program_pics(0xFFFE);
    program_pit(mode, divisor);
    uint32_t main_loop = 0;
    asm volatile("sti");
    while (irq_counts[0] < STORM_INTERRUPTS)
        ++main_loop;
    asm volatile("cli");
    HostileSummary(seed, irq_counts[0])
        .add("mode", mode).add("divisor", divisor).add("main_loop", main_loop).send();
    check("storm_delivered_every_interrupt", irq_counts[0] >= STORM_INTERRUPTS, "the storm ended early");
}

} // namespace guest
