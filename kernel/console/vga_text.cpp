/* VGA text output with scrolling, a hardware cursor and virtual screens. */
#include "vga_text.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "lib/string.h"

namespace vga_text {

namespace {

constexpr uint64_t BUFFER_PHYS = 0xB8000;
constexpr uint16_t CRTC_INDEX = 0x3D4;
constexpr uint16_t CRTC_DATA = 0x3D5;
constexpr uint8_t CRTC_CURSOR_START = 0x0A;
constexpr uint8_t CRTC_CURSOR_END = 0x0B;
constexpr uint8_t CRTC_CURSOR_HIGH = 0x0E;
constexpr uint8_t CRTC_CURSOR_LOW = 0x0F;
constexpr int CELLS = ROWS * COLUMNS;

volatile uint16_t* const hardware = reinterpret_cast<volatile uint16_t*>(DIRECT_MAP_BASE + BUFFER_PHYS);

struct Screen {
    uint16_t cells[CELLS];
    int row = 0;
    int column = 0;
    uint8_t attribute = 0x07;
};

Screen screens[SCREEN_COUNT];
int visible = CONSOLE_SCREEN;
/* The cursor location last written to the CRTC, -1 when unknown. A console
 * that scrolls ends every line at the start of the bottom row, so most writes
 * leave the cursor where it was; under a hypervisor each CRTC write is a VM
 * exit (four per move), and a guest of our kernel that relays its own guest's
 * lines would pay them for each line. */
int cursor_written = -1;

uint16_t cell(const Screen& screen, char c) { return uint16_t(uint8_t(c)) | uint16_t(screen.attribute) << 8; }
bool is_visible(const Screen& screen) { return visible != EXTERNAL_SCREEN && &screen == &screens[visible]; }

void write_crtc(uint8_t index, uint8_t value)
{
    cpu::outb(CRTC_INDEX, index);
    cpu::outb(CRTC_DATA, value);
}

void write_cursor(uint16_t position)
{
    if (position == cursor_written)
        return;
    write_crtc(CRTC_CURSOR_HIGH, position >> 8);
    write_crtc(CRTC_CURSOR_LOW, position & 0xFF);
    cursor_written = position;
}

void move_cursor(const Screen& screen) { write_cursor(uint16_t(screen.row * COLUMNS + screen.column)); }

void set_cell(Screen& screen, int index, uint16_t value)
{
    screen.cells[index] = value;
    if (is_visible(screen))
        hardware[index] = value;
}

/* The copies go through memcpy/memmove, eight bytes (four cells) per step:
 * every console line that reaches the bottom scrolls the whole screen, and
 * under Bochs (one cycle per instruction) a loop of one cell per iteration
 * cost ~20k cycles a line. VGA text memory takes 8-byte writes like RAM. */
void copy_to_hardware(const Screen& screen)
{
    memcpy(const_cast<uint16_t*>(hardware), screen.cells, sizeof(screen.cells));
}

void scroll(Screen& screen)
{
    memmove(screen.cells, screen.cells + COLUMNS, (CELLS - COLUMNS) * sizeof(uint16_t));
    for (int i = CELLS - COLUMNS; i < CELLS; ++i)
        screen.cells[i] = cell(screen, ' ');
    screen.row = ROWS - 1;
    if (is_visible(screen))
        copy_to_hardware(screen);
}

void put(Screen& screen, char c)
{
    switch (c) {
    case '\n':
        screen.column = 0;
        ++screen.row;
        break;
    case '\r': screen.column = 0; break;
    case '\b':
        if (screen.column > 0)
            set_cell(screen, screen.row * COLUMNS + --screen.column, cell(screen, ' '));
        break;
    case '\t': screen.column = (screen.column + 8) & ~7; break;
    default: set_cell(screen, screen.row * COLUMNS + screen.column++, cell(screen, c)); break;
    }
    if (screen.column >= COLUMNS) {
        screen.column = 0;
        ++screen.row;
    }
    if (screen.row >= ROWS)
        scroll(screen);
}

void clear_screen(Screen& screen)
{
    for (int i = 0; i < CELLS; ++i)
        set_cell(screen, i, cell(screen, ' '));
    screen.row = screen.column = 0;
    if (is_visible(screen))
        move_cursor(screen);
}

bool valid(int screen) { return screen >= 0 && screen < SCREEN_COUNT; }

} // namespace

void init()
{
    write_crtc(CRTC_CURSOR_START, 14); /* underline cursor: scan lines 14-15 */
    write_crtc(CRTC_CURSOR_END, 15);
    InterruptGuard guard;
    cursor_written = -1; /* whatever the firmware left there */
    visible = CONSOLE_SCREEN;
    for (Screen& screen : screens)
        clear_screen(screen);
}

void clear()
{
    InterruptGuard guard;
    clear_screen(screens[CONSOLE_SCREEN]);
}

void write(const char* text, size_t length) { write_to(CONSOLE_SCREEN, text, length); }

void write_to(int index, const char* text, size_t length)
{
    if (!valid(index))
        return;
    /* The console screen is written by log lines from interrupt handlers too:
     * a screen's cells and cursor change only with interrupts off. */
    InterruptGuard guard;
    Screen& screen = screens[index];
    for (size_t i = 0; i < length; ++i)
        put(screen, text[i]);
    if (is_visible(screen))
        move_cursor(screen);
}

void show(int index)
{
    if (!valid(index))
        return;
    InterruptGuard guard;
    visible = index;
    copy_to_hardware(screens[index]);
    move_cursor(screens[index]);
}

int visible_screen() { return visible; }

void show_cells(const uint16_t* cells, uint16_t cursor_position)
{
    InterruptGuard guard;
    visible = EXTERNAL_SCREEN;
    memcpy(const_cast<uint16_t*>(hardware), cells, CELLS * sizeof(uint16_t));
    write_cursor(cursor_position);
}

char char_at(int at_row, int at_column) { return char(hardware[at_row * COLUMNS + at_column] & 0xFF); }

char screen_char_at(int index, int at_row, int at_column)
{
    if (!valid(index))
        return 0;
    return char(screens[index].cells[at_row * COLUMNS + at_column] & 0xFF);
}

} // namespace vga_text
