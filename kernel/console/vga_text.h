/* The 80x25 VGA text screen at physical 0xB8000: the console a person sees,
 * shared by several virtual screens. Each screen keeps its own cells and cursor
 * in memory; the visible one is also mirrored into VGA memory, and show() puts
 * another one there (the virtual terminals switched with Alt+F1..F3). Screen 0
 * is the kernel's console. Cursor handling follows the VGA CRTC registers
 * 0x0A-0x0F (cursor shape and location), as in the IBM VGA Technical Reference. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace vga_text {

constexpr int COLUMNS = 80;
constexpr int ROWS = 25;
constexpr int SCREEN_COUNT = 3;
constexpr int CONSOLE_SCREEN = 0;

enum class Color : uint8_t { black = 0, blue = 1, green = 2, cyan = 3, red = 4, light_grey = 7, white = 15, yellow = 14 };

void init();
/* Clears the console screen. */
void clear();
/* Writes text at the console screen's cursor, handling '\n', '\r', '\b', '\t',
 * and scrolling. */
void write(const char* text, size_t length);
/* The same on screen `screen` (0 .. SCREEN_COUNT - 1). */
void write_to(int screen, const char* text, size_t length);
/* Makes `screen` the visible one: its cells and cursor go to VGA memory. */
void show(int screen);
/* Which screen is visible; EXTERNAL_SCREEN while show_cells() owns the display. */
int visible_screen();
constexpr int EXTERNAL_SCREEN = -1;
/* Puts cells kept elsewhere (a VM's text screen, 80x25 character/attribute pairs)
 * and a cursor position on the display; no screen of ours is visible until the
 * next show(). Called again to refresh them. */
void show_cells(const uint16_t* cells, uint16_t cursor_position);
/* The character shown at (row, column) of the visible screen (VGA memory):
 * lets tests read the screen. */
char char_at(int row, int column);
/* The character at (row, column) of `screen`, visible or not. */
char screen_char_at(int screen, int row, int column);

} // namespace vga_text
