/* Hostile guest "hostile_memory" (docs/hostile-guests.md, class d): one access
 * per run, picked by the seed, to a guest-physical address outside RAM - just
 * past its end, straddling it, in the PC's device holes (I/O APIC, local APIC,
 * the BIOS flash below 4 GiB) or anywhere above RAM - as a read, a write or an
 * instruction fetch. Paging is off, so linear addresses are guest-physical. No
 * EPT entry maps the address: the hypervisor must end the VM naming it. The
 * guest prints the address first, so the host's reason can be checked against
 * it. Follows the Intel SDM (revision 084), Vol. 3C, "EPT Violations". */
#include "common/guest.h"
#include "common/hostile.h"

namespace guest {

const char GUEST_NAME[] = "hostile_memory";

namespace {

enum class Access { read, write, fetch };
const char* const ACCESS_NAMES[] = {"read", "write", "instruction_fetch"};

constexpr uint32_t IO_APIC = 0xFEC00000, LOCAL_APIC = 0xFEE00000, BIOS_FLASH = 0xFFFF0000;

uint32_t ram_end()
{
    const multiboot::Info* info = multiboot_info();
    return info->flags & multiboot::INFO_MEMORY ? 0x100000 + info->mem_upper * 1024 : 0x100000;
}

struct Target {
    uint32_t address;  /* what the guest accesses */
    uint32_t violates; /* the first byte outside RAM: what the host must name */
};

Target pick_target(Random& random)
{
    uint32_t end = ram_end();
    switch (random.below(7)) {
    case 0: return {end, end};
    case 1: return {end - 2, end}; /* a 4-byte access, half in RAM */
    case 2: return {IO_APIC, IO_APIC};
    case 3: return {LOCAL_APIC + 0x20, LOCAL_APIC + 0x20}; /* the APIC ID register */
    case 4: return {BIOS_FLASH + 0xFFF0, BIOS_FLASH + 0xFFF0}; /* the reset vector */
    case 5: {
        uint32_t address = (end + random.below(0xF0000000u - end)) & ~3u;
        return {address, address};
    }
    default: return {0xFFFFFFFC, 0xFFFFFFFC};
    }
}

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    Target target = pick_target(random);
    auto access = Access(random.below(3));
    /* A fetch needs a whole instruction outside RAM; a straddling one would be
     * fetched partly from RAM, so fetch at the first outside byte instead. */
    if (access == Access::fetch)
        target.address = target.violates;
    HostileSummary(seed, 1)
        .add_hex("address", target.address).add_hex("violates", target.violates)
        .add_text("access", ACCESS_NAMES[int(access)]).send();
    check("reached_access", true);
    auto* word = reinterpret_cast<volatile uint32_t*>(uintptr_t(target.address));
    if (access == Access::read)
        (void)*word;
    else if (access == Access::write)
        *word = 0xDEADBEEF;
    else
        reinterpret_cast<void (*)()>(uintptr_t(target.address))();
    check("vm_stopped_at_access", false, "the access outside RAM returned");
}

} // namespace guest
