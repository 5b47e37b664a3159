/* The VGA in 80x25 text mode as a guest sees it: the registers behind ports
 * 0x3B4-0x3DA (CRT controller, sequencer, graphics controller, attribute
 * controller, DAC, misc output, input status) and a renderer that reads the text
 * buffer the guest writes at guest-physical 0xB8000. Register meanings follow the
 * IBM VGA Technical Reference ("CRT Controller Registers", "General Registers").
 * (kernel/console/vga_text.* is the kernel's driver for a real VGA; this is the
 * model a guest's driver talks to.)
 *
 * The text buffer is guest RAM, written by the guest without VM exits; the model
 * gets a pointer to the host mapping of it and only reads it, so it never needs to
 * know how the hypervisor maps guest memory. Every index a guest writes is masked
 * to its register file, and every buffer read is bounds-checked.
 * Modelled: the register files are stored and read back; misc output bit 0 moves
 * the CRTC and input status 1 between 0x3D4/0x3D5/0x3DA (colour, the default) and
 * 0x3B4/0x3B5/0x3BA (mono) - the other set reads as all ones; CR11 bit 7 write-
 * protects CR00-CR07; input status 1 cycles its retrace bits on every read so
 * polling loops finish, and resets the attribute controller's flip-flop. The
 * renderer uses the cursor (CR0A/CR0B/CR0E/CR0F) and start address (CR0C/CR0D).
 * Not modelled: graphics modes, fonts, other text geometries (the screen is always
 * 80x25, CR13 offset is ignored), blinking. */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class VgaTextDevice final : public PortDevice {
public:
    static constexpr int COLUMNS = 80, ROWS = 25;
    static constexpr uint64_t TEXT_BUFFER_GUEST_PHYS = 0xB8000;
    /* 0xB8000-0xBFFFF: the whole window a text screen can be scrolled through. */
    static constexpr size_t TEXT_WINDOW_BYTES = 0x8000;
    static constexpr size_t SCREEN_BYTES = COLUMNS * ROWS * 2;

    struct Cursor {
        bool visible;
        int row;
        int column;
        uint8_t first_scanline;
        uint8_t last_scanline;
    };

    /* `text` is the host's view of guest-physical 0xB8000, `size` bytes of it
     * (at least SCREEN_BYTES for a whole screen; cells beyond read as blanks). */
    VgaTextDevice(const uint8_t* text, size_t size);

    bool handles(uint16_t port) const override;
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    Cursor cursor() const;
    /* The cell index (0-based, in character cells) the screen starts at. */
    uint16_t start_address() const { return uint16_t(crtc_[START_HIGH] << 8 | crtc_[START_LOW]); }
    uint8_t char_at(int row, int column) const;
    uint8_t attribute_at(int row, int column) const;
    /* Row 0-24 as printable ASCII (code page 437 line drawing approximated, other
     * symbols as '?'), without trailing blanks, NUL-terminated in `out`. Returns
     * the length; an invalid row or a too-small buffer gives what fits. */
    size_t row_text(int row, char* out, size_t size) const;
    /* True when characters, attributes, cursor or start address differ from what
     * the previous call saw (the first call is always true), so the hypervisor
     * redraws a host terminal only when the guest changed its screen. */
    bool changed_since_last_look();

    static char to_ascii(uint8_t code_page_437);

private:
    enum CrtcRegister : uint8_t {
        CURSOR_START = 0x0A,
        CURSOR_END = 0x0B,
        START_HIGH = 0x0C,
        START_LOW = 0x0D,
        CURSOR_HIGH = 0x0E,
        CURSOR_LOW = 0x0F,
        VERTICAL_RETRACE_END = 0x11,
    };

    bool colour_addresses() const { return misc_output_ & 1; }
    bool decoded(uint16_t port) const;
    uint8_t read_input_status();
    void write_crtc(uint8_t value);
    void write_attribute(uint8_t value);
    uint8_t read_dac_data();
    void write_dac_data(uint8_t value);
    /* Offset of a cell in the text window, or -1 outside the buffer we have. */
    long cell_offset(int row, int column) const;
    uint16_t cursor_location() const { return uint16_t(crtc_[CURSOR_HIGH] << 8 | crtc_[CURSOR_LOW]); }

    const uint8_t* text_;
    size_t text_size_;

    uint8_t misc_output_ = 0x67;
    uint8_t feature_control_ = 0;
    uint8_t crtc_index_ = 0, crtc_[32] = {};
    uint8_t sequencer_index_ = 0, sequencer_[8] = {};
    uint8_t graphics_index_ = 0, graphics_[16] = {};
    uint8_t attribute_index_ = 0, attribute_[32] = {};
    bool attribute_expects_data_ = false;
    uint8_t retrace_phase_ = 0;
    uint8_t dac_mask_ = 0xFF, dac_read_index_ = 0, dac_write_index_ = 0, dac_component_ = 0;
    bool dac_reading_ = false;
    uint8_t palette_[256][3] = {};

    bool seen_anything_ = false;
    uint8_t seen_screen_[SCREEN_BYTES] = {};
    uint16_t seen_start_ = 0, seen_cursor_ = 0;
    uint8_t seen_cursor_start_ = 0, seen_cursor_end_ = 0;
};

} // namespace devices
