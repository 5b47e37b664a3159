/* hypervisor/devices/vga_text_device: VGA text-mode registers and the renderer. */
#include "hypervisor/devices/io_bus.h"
#include "hypervisor/devices/vga_text_device.h"
#include "unit_test.h"

#include <string>
#include <vector>

using devices::VgaTextDevice;

namespace {

struct Screen {
    std::vector<uint8_t> memory = std::vector<uint8_t>(VgaTextDevice::TEXT_WINDOW_BYTES, 0);
    VgaTextDevice vga{memory.data(), memory.size()};

    Screen()
    {
        for (size_t i = 0; i < memory.size(); i += 2) {
            memory[i] = ' ';
            memory[i + 1] = 0x07;
        }
    }
    void put(int row, int column, const char* text)
    {
        for (size_t i = 0; text[i]; ++i)
            memory[size_t(row * 80 + column + int(i)) * 2] = uint8_t(text[i]);
    }
    void out(uint16_t port, uint8_t value) { vga.write(port, 1, value, 0); }
    uint8_t in(uint16_t port) { return uint8_t(vga.read(port, 1, 0)); }
    void crtc(uint8_t index, uint8_t value)
    {
        out(0x3D4, index);
        out(0x3D5, value);
    }
    std::string row(int r)
    {
        char text[81];
        size_t length = vga.row_text(r, text, sizeof(text));
        return std::string(text, length);
    }
};

} // namespace

UNIT_TEST(vga_renders_rows_without_trailing_blanks)
{
    Screen s;
    s.put(0, 0, "Matryoshka");
    s.put(24, 70, "bottom");
    CHECK_EQ(s.row(0), std::string("Matryoshka"));
    CHECK_EQ(s.row(1), std::string(""));
    CHECK_EQ(s.row(24), std::string(70, ' ') + "bottom");
    CHECK_EQ(s.row(25), std::string(""));
    CHECK_EQ(s.row(-1), std::string(""));
}

UNIT_TEST(vga_row_text_respects_a_small_buffer)
{
    Screen s;
    s.put(3, 0, "abcdef");
    char text[4];
    CHECK_EQ(s.vga.row_text(3, text, sizeof(text)), 3u);
    CHECK_EQ(std::string(text), std::string("abc"));
}

UNIT_TEST(vga_maps_code_page_437_to_ascii)
{
    CHECK_EQ(VgaTextDevice::to_ascii(0xC4), '-');
    CHECK_EQ(VgaTextDevice::to_ascii(0xB3), '|');
    CHECK_EQ(VgaTextDevice::to_ascii(0xDA), '+');
    CHECK_EQ(VgaTextDevice::to_ascii(0xDB), '#');
    CHECK_EQ(VgaTextDevice::to_ascii(0x00), ' ');
    CHECK_EQ(VgaTextDevice::to_ascii(0x01), '?');
    CHECK_EQ(VgaTextDevice::to_ascii('~'), '~');
}

UNIT_TEST(vga_cursor_location_and_shape_from_crtc)
{
    Screen s;
    s.crtc(0x0E, 0x00);
    s.crtc(0x0F, 85); /* row 1, column 5 */
    s.crtc(0x0A, 14);
    s.crtc(0x0B, 15);
    VgaTextDevice::Cursor cursor = s.vga.cursor();
    CHECK(cursor.visible);
    CHECK_EQ(cursor.row, 1);
    CHECK_EQ(cursor.column, 5);
    CHECK_EQ(cursor.first_scanline, 14);
    CHECK_EQ(cursor.last_scanline, 15);
    s.crtc(0x0A, 0x20 | 14); /* cursor disable bit */
    CHECK(!s.vga.cursor().visible);
    CHECK_EQ(s.in(0x3D5), 0x2E);
}

UNIT_TEST(vga_cursor_outside_the_screen_is_invisible)
{
    Screen s;
    s.crtc(0x0E, 0x07);
    s.crtc(0x0F, 0xD0); /* 2000: one past the last cell */
    CHECK(!s.vga.cursor().visible);
}

UNIT_TEST(vga_start_address_scrolls_the_screen)
{
    Screen s;
    s.put(1, 0, "second line");
    s.crtc(0x0C, 0x00);
    s.crtc(0x0D, 80);
    CHECK_EQ(s.vga.start_address(), 80);
    CHECK_EQ(s.row(0), std::string("second line"));
    s.crtc(0x0E, 0x00);
    s.crtc(0x0F, 80);
    CHECK_EQ(s.vga.cursor().row, 0); /* location counts from video memory start */
}

UNIT_TEST(vga_cells_beyond_the_given_buffer_read_as_blanks)
{
    std::vector<uint8_t> memory(100, 'x');
    VgaTextDevice vga(memory.data(), memory.size());
    CHECK_EQ(vga.char_at(0, 49), 'x');
    CHECK_EQ(vga.char_at(0, 50), ' ');
    CHECK_EQ(vga.char_at(24, 79), ' ');
    VgaTextDevice none(nullptr, 4000);
    CHECK_EQ(none.char_at(0, 0), ' ');
    CHECK(none.changed_since_last_look());
}

UNIT_TEST(vga_changed_since_last_look)
{
    Screen s;
    CHECK(s.vga.changed_since_last_look());
    CHECK(!s.vga.changed_since_last_look());
    s.put(10, 10, "x");
    CHECK(s.vga.changed_since_last_look());
    CHECK(!s.vga.changed_since_last_look());
    s.memory[1] = 0x1F; /* attribute only */
    CHECK(s.vga.changed_since_last_look());
    s.crtc(0x0F, 1);
    CHECK(s.vga.changed_since_last_look());
    s.crtc(0x0A, 0x20);
    CHECK(s.vga.changed_since_last_look());
    CHECK(!s.vga.changed_since_last_look());
}

UNIT_TEST(vga_input_status_cycles_retrace_and_resets_attribute_flip_flop)
{
    Screen s;
    bool saw_retrace = false, saw_no_retrace = false;
    for (int i = 0; i < 4; ++i) {
        uint8_t status = s.in(0x3DA);
        saw_retrace |= (status & 0x08) != 0;
        saw_no_retrace |= (status & 0x08) == 0;
    }
    CHECK(saw_retrace && saw_no_retrace);
    s.out(0x3C0, 0x10); /* index */
    s.in(0x3DA);        /* back to "index next" */
    s.out(0x3C0, 0x12); /* index again, not data */
    s.out(0x3C0, 0x0A); /* data for 0x12 */
    s.out(0x3C0, 0x10);
    CHECK_EQ(s.in(0x3C1), 0x0C); /* mode control untouched */
    s.in(0x3DA);
    s.out(0x3C0, 0x12);
    CHECK_EQ(s.in(0x3C1), 0x0A);
}

UNIT_TEST(vga_misc_output_moves_crtc_between_colour_and_mono_addresses)
{
    Screen s;
    CHECK_EQ(s.in(0x3CC), 0x67);
    CHECK_EQ(s.in(0x3B5), 0xFF);
    s.out(0x3C2, 0x66); /* mono addresses */
    s.out(0x3B4, 0x0F);
    s.out(0x3B5, 0x42);
    CHECK_EQ(s.in(0x3B5), 0x42);
    CHECK_EQ(s.in(0x3D5), 0xFF);
    s.out(0x3D4, 0x0F); /* not decoded now */
    s.out(0x3C2, 0x67);
    CHECK_EQ(s.in(0x3D4), 0x0F);
    CHECK_EQ(s.in(0x3D5), 0x42);
}

UNIT_TEST(vga_sequencer_and_graphics_registers_read_back)
{
    Screen s;
    s.out(0x3C4, 0x02);
    CHECK_EQ(s.in(0x3C5), 0x03); /* mode 3 map mask */
    s.out(0x3C5, 0x04);
    CHECK_EQ(s.in(0x3C5), 0x04);
    s.out(0x3CE, 0x06);
    CHECK_EQ(s.in(0x3CF), 0x0E);
    s.out(0x3CF, 0x05);
    CHECK_EQ(s.in(0x3CF), 0x05);
    s.out(0x3C4, 0xFF); /* guest garbage indexes stay inside the register files */
    s.out(0x3C5, 0x11);
    s.out(0x3CE, 0xFF);
    s.out(0x3CF, 0x22);
    s.out(0x3D4, 0xFF);
    s.out(0x3D5, 0x33);
    s.out(0x3C0, 0xFF);
    s.out(0x3C0, 0x44);
    CHECK_EQ(s.in(0x3C5), 0x11);
}

UNIT_TEST(vga_crtc_timing_registers_are_write_protected_by_cr11)
{
    Screen s;
    s.crtc(0x00, 0x12);
    CHECK_EQ(s.in(0x3D5), 0x5F);
    s.crtc(0x11, 0x0E); /* clear the protect bit */
    s.crtc(0x00, 0x12);
    CHECK_EQ(s.in(0x3D5), 0x12);
}

UNIT_TEST(vga_dac_palette_round_trip)
{
    Screen s;
    s.out(0x3C8, 5);
    s.out(0x3C9, 0x3F);
    s.out(0x3C9, 0x20);
    s.out(0x3C9, 0xFF); /* six bits only */
    s.out(0x3C7, 5);
    CHECK_EQ(s.in(0x3C7), 0x03);
    CHECK_EQ(s.in(0x3C9), 0x3F);
    CHECK_EQ(s.in(0x3C9), 0x20);
    CHECK_EQ(s.in(0x3C9), 0x3F);
    for (int i = 0; i < 800; ++i) /* indexes wrap at 256 */
        s.out(0x3C9, 1);
}

UNIT_TEST(vga_word_write_sets_index_and_data_through_the_bus)
{
    Screen s;
    devices::IoBus bus;
    CHECK(bus.attach(s.vga));
    bus.write(0x3D4, 2, 0x120E, 0); /* outw: index 0x0E in AL, data in AH */
    bus.write(0x3D4, 2, 0x340F, 0);
    CHECK_EQ(s.vga.cursor().row, (0x1234) / 80);
    CHECK_EQ(bus.read(0x3D4, 2, 0), 0x340Fu);
}
