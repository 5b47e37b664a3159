/* hypervisor/guest_loader/bios_data_area: the fields of the IBM PC/AT BIOS data
 * area a kernel reads (COM1's base, equipment word, base memory, video mode). */
#include "hypervisor/guest_loader/bios_data_area.h"
#include "hypervisor/guest_loader/multiboot_info_builder.h"
#include "unit_test.h"

using namespace guest_loader;

namespace {

unsigned word(const uint8_t* area, unsigned address) { return area[address - 0x400] | area[address - 0x400 + 1] << 8; }

} // namespace

UNIT_TEST(bios_data_area_has_com1_and_no_other_ports)
{
    uint8_t area[BIOS_DATA_AREA_SIZE];
    __builtin_memset(area, 0xAA, sizeof(area));
    build_bios_data_area(area);
    CHECK_EQ(word(area, 0x400), 0x3F8u);
    for (unsigned address : {0x402u, 0x404u, 0x406u, 0x408u, 0x40Au, 0x40Cu})
        CHECK_EQ(word(area, address), 0u);
    CHECK_EQ(word(area, 0x40E), 0u); /* no extended BIOS data area */
    CHECK_EQ(word(area, 0x410) >> 9 & 7, 1u);
}

UNIT_TEST(bios_data_area_equipment_and_memory_match_the_multiboot_information)
{
    uint8_t area[BIOS_DATA_AREA_SIZE];
    build_bios_data_area(area);
    unsigned equipment = word(area, 0x410);
    CHECK_EQ(equipment & 1, 0u);                /* no floppy */
    CHECK_EQ(equipment >> 1 & 1, 1u);           /* x87 */
    CHECK_EQ(equipment >> 4 & 3, 2u);           /* 80x25 colour */
    CHECK_EQ(word(area, 0x413), LOW_MEMORY_END / 1024); /* 639 KiB, as mem_lower says */
    CHECK_EQ(unsigned(area[0x475 - 0x400]), 0u);        /* no hard disks */
}

UNIT_TEST(bios_data_area_describes_vga_text_mode_3)
{
    uint8_t area[BIOS_DATA_AREA_SIZE];
    build_bios_data_area(area);
    CHECK_EQ(unsigned(area[0x449 - 0x400]), 3u);
    CHECK_EQ(word(area, 0x44A), 80u);
    CHECK_EQ(word(area, 0x463), 0x3D4u);
    CHECK_EQ(unsigned(area[0x484 - 0x400]), 24u);
    CHECK_EQ(word(area, 0x485), 16u);
}

UNIT_TEST(bios_data_area_keyboard_buffer_is_empty_and_the_tick_count_zero)
{
    uint8_t area[BIOS_DATA_AREA_SIZE];
    build_bios_data_area(area);
    CHECK_EQ(word(area, 0x41A), word(area, 0x41C));
    CHECK_EQ(word(area, 0x480), 0x1Eu);
    CHECK_EQ(word(area, 0x482), 0x3Eu);
    CHECK_EQ(word(area, 0x46C) | word(area, 0x46E), 0u);
}
