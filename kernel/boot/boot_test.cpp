/* In-kernel tests of the boot path: what the loader handed over and what the C++
 * runtime set up. */
#include "arch/x86_64/boot/layout.h"
#include "boot/boot.h"
#include "boot/cmdline.h"
#include "lib/format.h"
#include "lib/string.h"
#include "test/kernel_test.h"

namespace {

/* Set by a global constructor: proves .init_array ran before kernel_entry went on. */
struct ConstructedAtBoot {
    ConstructedAtBoot() : value(0x5EB) {}
    int value;
};
ConstructedAtBoot constructed_at_boot;

} // namespace

KERNEL_TEST(boot, global_constructors_ran) { EXPECT_EQ(constructed_at_boot.value, 0x5EB); }

KERNEL_TEST(boot, command_line_names_this_test_set)
{
    CommandLine cmdline(boot_info().cmdline);
    EXPECT(cmdline.list_contains("test", "boot") || cmdline.list_contains("test", "all"));
}

KERNEL_TEST(boot, memory_map_has_ram_above_1mib)
{
    const BootInfo& info = boot_info();
    EXPECT(info.region_count > 0);
    uint64_t available = 0;
    for (size_t i = 0; i < info.region_count; ++i) {
        if (info.regions[i].type == multiboot::MEMORY_AVAILABLE && info.regions[i].base >= 0x100000)
            available += info.regions[i].length;
    }
    EXPECT(available >= 16 * 1024 * 1024);
}

KERNEL_TEST(boot, kernel_image_lies_in_available_ram)
{
    PhysicalRange image = kernel_image_range();
    EXPECT_EQ(image.start, uint64_t(KERNEL_LOAD_PHYS));
    bool inside = false;
    const BootInfo& info = boot_info();
    for (size_t i = 0; i < info.region_count; ++i) {
        const BootInfo::Region& r = info.regions[i];
        if (r.type == multiboot::MEMORY_AVAILABLE && r.base <= image.start && image.end <= r.base + r.length)
            inside = true;
    }
    EXPECT(inside);
}

KERNEL_TEST(boot, format_handles_kernel_addresses)
{
    char text[64];
    format_string(text, sizeof(text), "%p|%5d|%-3s|", reinterpret_cast<void*>(KERNEL_VMA), -42, "ab");
    EXPECT(strcmp(text, "0xffffffff80000000|  -42|ab |") == 0);
}

KERNEL_TEST(boot, bss_is_zero)
{
    static char zeroed[4096];
    bool all_zero = true;
    for (char c : zeroed)
        all_zero &= c == 0;
    EXPECT(all_zero);
}
