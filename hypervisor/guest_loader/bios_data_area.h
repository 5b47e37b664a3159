/* The BIOS data area at guest-physical 0x400-0x4FF as a PC BIOS leaves it after
 * POST, filled in by the loader since there is no BIOS: one serial port (COM1 at
 * 0x3F8), no parallel ports, no extended BIOS data area, 639 KiB of base memory
 * (the Multiboot memory map's LOW_MEMORY_END), a math coprocessor, no floppy or
 * hard disk, a colour VGA in text mode 3 (80x25, CRT controller at 0x3D4) and an
 * empty keyboard buffer. Fields a BIOS would keep updating (the timer tick count
 * at 0x46C, keyboard flags) stay 0: nothing runs to update them.
 * Follows the IBM PC/AT Technical Reference, "BIOS Data Area", with the EGA/VGA
 * video fields of the IBM VGA Technical Reference. Pure logic, unit-tested on
 * the build machine (tests/unit/bios_data_area_test.cpp). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace guest_loader {

constexpr uint32_t BIOS_DATA_AREA_ADDRESS = 0x400;
constexpr size_t BIOS_DATA_AREA_SIZE = 0x100;

/* Byte offsets from 0x400 of the fields written. */
enum BiosDataOffset : uint16_t {
    BDA_COM_PORTS = 0x00,       /* 4 words: COM1-COM4 base ports */
    BDA_LPT_PORTS = 0x08,       /* 3 words */
    BDA_EBDA_SEGMENT = 0x0E,    /* word: 0, no EBDA */
    BDA_EQUIPMENT = 0x10,       /* word */
    BDA_BASE_MEMORY_KIB = 0x13, /* word */
    BDA_KEYBOARD_HEAD = 0x1A,   /* word: offset from 0x400 of the next key */
    BDA_KEYBOARD_TAIL = 0x1C,
    BDA_VIDEO_MODE = 0x49,      /* byte */
    BDA_VIDEO_COLUMNS = 0x4A,   /* word */
    BDA_VIDEO_PAGE_SIZE = 0x4C, /* word */
    BDA_CURSOR_SHAPE = 0x60,    /* word: end line, start line */
    BDA_CRT_BASE = 0x63,        /* word: CRT controller index port */
    BDA_VIDEO_MODE_CONTROL = 0x65,
    BDA_TIMER_TICKS = 0x6C,     /* dword */
    BDA_HARD_DISKS = 0x75,      /* byte */
    BDA_KEYBOARD_START = 0x80,  /* word */
    BDA_KEYBOARD_END = 0x82,    /* word */
    BDA_VIDEO_ROWS_MINUS_ONE = 0x84,
    BDA_CHARACTER_HEIGHT = 0x85, /* word */
};

/* Equipment word bits: x87 present, initial video 80x25 colour, one serial port. */
constexpr uint16_t BDA_EQUIPMENT_FPU = 1u << 1;
constexpr uint16_t BDA_EQUIPMENT_VIDEO_80X25_COLOUR = 2u << 4;
constexpr uint16_t BDA_EQUIPMENT_ONE_SERIAL_PORT = 1u << 9;

/* Writes the 256 bytes of the area (every byte not named above is 0). */
void build_bios_data_area(uint8_t (&area)[BIOS_DATA_AREA_SIZE]);

} // namespace guest_loader
