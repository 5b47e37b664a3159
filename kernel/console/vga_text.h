/* The 80x25 VGA text screen at physical 0xB8000: the console a person sees.
 * Cursor handling follows the VGA CRTC registers 0x0A-0x0F (cursor shape and
 * location), as in the IBM VGA Technical Reference. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace vga_text {

constexpr int COLUMNS = 80;
constexpr int ROWS = 25;

enum class Color : uint8_t { black = 0, blue = 1, green = 2, cyan = 3, red = 4, light_grey = 7, white = 15, yellow = 14 };

void init();
void clear();
void set_color(Color foreground, Color background);
/* Writes text at the cursor, handling '\n', '\r', '\b', '\t', and scrolling. */
void write(const char* text, size_t length);
/* The character shown at (row, column): lets tests read the screen. */
char char_at(int row, int column);

} // namespace vga_text
