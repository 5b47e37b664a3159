/* The BIOS data area; see bios_data_area.h. */
#include "hypervisor/guest_loader/bios_data_area.h"

#include "hypervisor/guest_loader/multiboot_info_builder.h"

namespace guest_loader {

namespace {

constexpr uint16_t COM1_BASE = 0x3F8;
constexpr uint16_t CRT_CONTROLLER_COLOUR = 0x3D4;
constexpr uint8_t TEXT_MODE_80X25_COLOUR = 3;
/* The mode control register value BIOSes keep for mode 3 (text, video on, blink). */
constexpr uint8_t MODE_3_CONTROL = 0x29;
/* The keyboard buffer lies at 0x41E-0x43D, offsets from 0x400. */
constexpr uint16_t KEYBOARD_BUFFER_START = 0x1E, KEYBOARD_BUFFER_END = 0x3E;

void put16(uint8_t* area, uint16_t offset, uint16_t value)
{
    area[offset] = uint8_t(value);
    area[offset + 1] = uint8_t(value >> 8);
}

} // namespace

void build_bios_data_area(uint8_t (&area)[BIOS_DATA_AREA_SIZE])
{
    __builtin_memset(area, 0, sizeof(area));
    put16(area, BDA_COM_PORTS, COM1_BASE);
    put16(area, BDA_EQUIPMENT, BDA_EQUIPMENT_FPU | BDA_EQUIPMENT_VIDEO_80X25_COLOUR | BDA_EQUIPMENT_ONE_SERIAL_PORT);
    put16(area, BDA_BASE_MEMORY_KIB, uint16_t(LOW_MEMORY_END / 1024));
    put16(area, BDA_KEYBOARD_HEAD, KEYBOARD_BUFFER_START);
    put16(area, BDA_KEYBOARD_TAIL, KEYBOARD_BUFFER_START);
    put16(area, BDA_KEYBOARD_START, KEYBOARD_BUFFER_START);
    put16(area, BDA_KEYBOARD_END, KEYBOARD_BUFFER_END);
    area[BDA_VIDEO_MODE] = TEXT_MODE_80X25_COLOUR;
    put16(area, BDA_VIDEO_COLUMNS, 80);
    put16(area, BDA_VIDEO_PAGE_SIZE, 0x1000); /* 80 x 25 x 2 bytes, rounded up to 4 KiB */
    put16(area, BDA_CURSOR_SHAPE, 0x0607); /* lines 6 to 7 of the 16-line cell */
    put16(area, BDA_CRT_BASE, CRT_CONTROLLER_COLOUR);
    area[BDA_VIDEO_MODE_CONTROL] = MODE_3_CONTROL;
    area[BDA_VIDEO_ROWS_MINUS_ONE] = 24;
    put16(area, BDA_CHARACTER_HEIGHT, 16);
}

} // namespace guest_loader
