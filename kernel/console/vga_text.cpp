/* VGA text output with scrolling and a hardware cursor. */
#include "vga_text.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"

namespace vga_text {

namespace {

constexpr uint64_t BUFFER_PHYS = 0xB8000;
constexpr uint16_t CRTC_INDEX = 0x3D4;
constexpr uint16_t CRTC_DATA = 0x3D5;
constexpr uint8_t CRTC_CURSOR_START = 0x0A;
constexpr uint8_t CRTC_CURSOR_END = 0x0B;
constexpr uint8_t CRTC_CURSOR_HIGH = 0x0E;
constexpr uint8_t CRTC_CURSOR_LOW = 0x0F;

volatile uint16_t* const buffer = reinterpret_cast<volatile uint16_t*>(DIRECT_MAP_BASE + BUFFER_PHYS);
int row = 0;
int column = 0;
uint8_t attribute = 0x07;

uint16_t cell(char c) { return uint16_t(uint8_t(c)) | uint16_t(attribute) << 8; }

void write_crtc(uint8_t index, uint8_t value)
{
    cpu::outb(CRTC_INDEX, index);
    cpu::outb(CRTC_DATA, value);
}

void move_cursor()
{
    uint16_t position = uint16_t(row * COLUMNS + column);
    write_crtc(CRTC_CURSOR_HIGH, position >> 8);
    write_crtc(CRTC_CURSOR_LOW, position & 0xFF);
}

void scroll()
{
    for (int i = 0; i < (ROWS - 1) * COLUMNS; ++i)
        buffer[i] = buffer[i + COLUMNS];
    for (int i = (ROWS - 1) * COLUMNS; i < ROWS * COLUMNS; ++i)
        buffer[i] = cell(' ');
    row = ROWS - 1;
}

void put(char c)
{
    switch (c) {
    case '\n':
        column = 0;
        ++row;
        break;
    case '\r': column = 0; break;
    case '\b':
        if (column > 0)
            buffer[row * COLUMNS + --column] = cell(' ');
        break;
    case '\t': column = (column + 8) & ~7; break;
    default: buffer[row * COLUMNS + column++] = cell(c); break;
    }
    if (column >= COLUMNS) {
        column = 0;
        ++row;
    }
    if (row >= ROWS)
        scroll();
}

} // namespace

void init()
{
    write_crtc(CRTC_CURSOR_START, 14); /* underline cursor: scan lines 14-15 */
    write_crtc(CRTC_CURSOR_END, 15);
    clear();
}

void clear()
{
    for (int i = 0; i < ROWS * COLUMNS; ++i)
        buffer[i] = cell(' ');
    row = column = 0;
    move_cursor();
}

void set_color(Color foreground, Color background) { attribute = uint8_t(uint8_t(background) << 4 | uint8_t(foreground)); }

void write(const char* text, size_t length)
{
    for (size_t i = 0; i < length; ++i)
        put(text[i]);
    move_cursor();
}

char char_at(int at_row, int at_column) { return char(buffer[at_row * COLUMNS + at_column] & 0xFF); }

} // namespace vga_text
