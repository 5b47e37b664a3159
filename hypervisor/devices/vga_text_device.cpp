/* The VGA text-mode model; see vga_text_device.h. */
#include "hypervisor/devices/vga_text_device.h"

namespace devices {

namespace {

enum Port : uint16_t {
    MONO_CRTC_INDEX = 0x3B4,
    MONO_CRTC_DATA = 0x3B5,
    MONO_INPUT_STATUS = 0x3BA, /* feature control on write */
    ATTRIBUTE_INDEX_DATA = 0x3C0,
    ATTRIBUTE_DATA_READ = 0x3C1,
    MISC_OUTPUT_WRITE = 0x3C2, /* input status 0 on read */
    SEQUENCER_INDEX = 0x3C4,
    SEQUENCER_DATA = 0x3C5,
    DAC_MASK = 0x3C6,
    DAC_READ_INDEX = 0x3C7, /* DAC state on read */
    DAC_WRITE_INDEX = 0x3C8,
    DAC_DATA = 0x3C9,
    FEATURE_CONTROL_READ = 0x3CA,
    MISC_OUTPUT_READ = 0x3CC,
    GRAPHICS_INDEX = 0x3CE,
    GRAPHICS_DATA = 0x3CF,
    COLOUR_CRTC_INDEX = 0x3D4,
    COLOUR_CRTC_DATA = 0x3D5,
    COLOUR_INPUT_STATUS = 0x3DA,
};

/* The register values of BIOS mode 3 (80x25, 9x16 font): IBM VGA Technical
 * Reference, "Mode 3" register tables. CR11 bit 7 is set: CR00-CR07 protected. */
constexpr uint8_t MODE3_CRTC[25] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
                                    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr uint8_t MODE3_SEQUENCER[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr uint8_t MODE3_GRAPHICS[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
constexpr uint8_t MODE3_ATTRIBUTE[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                         0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

constexpr uint8_t CURSOR_DISABLE = 0x20;
constexpr uint8_t SCANLINE_MASK = 0x1F;
constexpr uint8_t CRTC_PROTECT = 0x80;
constexpr uint8_t CR07_UNPROTECTED_BIT = 0x10; /* line compare bit 8 */
constexpr uint8_t INPUT_STATUS_DISPLAY_DISABLED = 0x01, INPUT_STATUS_VERTICAL_RETRACE = 0x08;
constexpr uint8_t ATTRIBUTE_INDEX_MASK = 0x1F, ATTRIBUTE_PALETTE_SOURCE = 0x20;
constexpr uint8_t BLANK_ATTRIBUTE = 0x07;

template <size_t N> void copy(uint8_t* to, const uint8_t (&from)[N])
{
    for (size_t i = 0; i < N; ++i)
        to[i] = from[i];
}

} // namespace

VgaTextDevice::VgaTextDevice(const uint8_t* text, size_t size) : text_(text), text_size_(text ? size : 0)
{
    copy(crtc_, MODE3_CRTC);
    copy(sequencer_, MODE3_SEQUENCER);
    copy(graphics_, MODE3_GRAPHICS);
    copy(attribute_, MODE3_ATTRIBUTE);
}

bool VgaTextDevice::handles(uint16_t port) const
{
    switch (port) {
    case MONO_CRTC_INDEX:
    case MONO_CRTC_DATA:
    case MONO_INPUT_STATUS:
    case COLOUR_CRTC_INDEX:
    case COLOUR_CRTC_DATA:
    case COLOUR_INPUT_STATUS: return true;
    default: return port >= ATTRIBUTE_INDEX_DATA && port <= GRAPHICS_DATA;
    }
}

/* The CRTC and input status 1 answer at one of two addresses (misc bit 0); the
 * other set is not decoded and floats like an empty port. */
bool VgaTextDevice::decoded(uint16_t port) const
{
    bool mono = port == MONO_CRTC_INDEX || port == MONO_CRTC_DATA || port == MONO_INPUT_STATUS;
    bool colour = port == COLOUR_CRTC_INDEX || port == COLOUR_CRTC_DATA || port == COLOUR_INPUT_STATUS;
    return !(mono && colour_addresses()) && !(colour && !colour_addresses());
}

uint32_t VgaTextDevice::read(uint16_t port, unsigned, uint64_t)
{
    if (!decoded(port))
        return 0xFF;
    switch (port) {
    case MONO_CRTC_INDEX:
    case COLOUR_CRTC_INDEX: return crtc_index_;
    case MONO_CRTC_DATA:
    case COLOUR_CRTC_DATA: return crtc_[crtc_index_ & 0x1F];
    case MONO_INPUT_STATUS:
    case COLOUR_INPUT_STATUS: return read_input_status();
    case ATTRIBUTE_INDEX_DATA: return attribute_index_;
    case ATTRIBUTE_DATA_READ: return attribute_[attribute_index_ & ATTRIBUTE_INDEX_MASK];
    case MISC_OUTPUT_WRITE: return 0x00; /* input status 0: no interrupt, switch sense 0 */
    case SEQUENCER_INDEX: return sequencer_index_;
    case SEQUENCER_DATA: return sequencer_[sequencer_index_ & 7];
    case DAC_MASK: return dac_mask_;
    case DAC_READ_INDEX: return dac_reading_ ? 0x03 : 0x00;
    case DAC_WRITE_INDEX: return dac_write_index_;
    case DAC_DATA: return read_dac_data();
    case FEATURE_CONTROL_READ: return feature_control_;
    case MISC_OUTPUT_READ: return misc_output_;
    case GRAPHICS_INDEX: return graphics_index_;
    case GRAPHICS_DATA: return graphics_[graphics_index_ & 0x0F];
    default: return 0xFF;
    }
}

void VgaTextDevice::write(uint16_t port, unsigned, uint32_t value, uint64_t)
{
    uint8_t byte = uint8_t(value);
    if (!decoded(port))
        return;
    switch (port) {
    case MONO_CRTC_INDEX:
    case COLOUR_CRTC_INDEX: crtc_index_ = byte & 0x1F; break;
    case MONO_CRTC_DATA:
    case COLOUR_CRTC_DATA: write_crtc(byte); break;
    case MONO_INPUT_STATUS:
    case COLOUR_INPUT_STATUS: feature_control_ = byte; break;
    case ATTRIBUTE_INDEX_DATA: write_attribute(byte); break;
    case MISC_OUTPUT_WRITE: misc_output_ = byte; break;
    case SEQUENCER_INDEX: sequencer_index_ = byte & 7; break;
    case SEQUENCER_DATA: sequencer_[sequencer_index_ & 7] = byte; break;
    case DAC_MASK: dac_mask_ = byte; break;
    case DAC_READ_INDEX:
        dac_read_index_ = byte;
        dac_component_ = 0;
        dac_reading_ = true;
        break;
    case DAC_WRITE_INDEX:
        dac_write_index_ = byte;
        dac_component_ = 0;
        dac_reading_ = false;
        break;
    case DAC_DATA: write_dac_data(byte); break;
    case GRAPHICS_INDEX: graphics_index_ = byte & 0x0F; break;
    case GRAPHICS_DATA: graphics_[graphics_index_ & 0x0F] = byte; break;
    default: break;
    }
}

/* CR11 bit 7 protects the horizontal and vertical timing registers CR00-CR07,
 * except the line compare bit in CR07, so DOS-era code cannot damage a monitor. */
void VgaTextDevice::write_crtc(uint8_t value)
{
    // SOLUTION BEGIN 9
    uint8_t index = crtc_index_ & 0x1F;
    if (index <= 7 && (crtc_[VERTICAL_RETRACE_END] & CRTC_PROTECT)) {
        if (index == 7)
            crtc_[7] = uint8_t((crtc_[7] & ~CR07_UNPROTECTED_BIT) | (value & CR07_UNPROTECTED_BIT));
        return;
    }
    crtc_[index] = value;
    // SOLUTION STUB 9: /* milestone 9 is not done yet: keep the CRT controller's registers (the cursor's
    // SOLUTION STUB 9:  * location and shape, the start address), honouring CR11's write protection. */
    // SOLUTION STUB 9: (void)value;
    // SOLUTION END 9
}

/* The attribute controller has one port for index and data; a flip-flop says
 * which comes next, and reading input status 1 resets it to "index". */
void VgaTextDevice::write_attribute(uint8_t value)
{
    if (attribute_expects_data_)
        attribute_[attribute_index_ & ATTRIBUTE_INDEX_MASK] = value;
    else
        attribute_index_ = value & (ATTRIBUTE_INDEX_MASK | ATTRIBUTE_PALETTE_SOURCE);
    attribute_expects_data_ = !attribute_expects_data_;
}

/* Guests wait for the end and then the start of vertical retrace (or of display
 * enable); cycling through "display, blank, retrace, blank" on successive reads
 * ends every such loop within four reads. */
uint8_t VgaTextDevice::read_input_status()
{
    attribute_expects_data_ = false;
    uint8_t phase = retrace_phase_++ & 3;
    uint8_t value = 0;
    if (phase != 0)
        value |= INPUT_STATUS_DISPLAY_DISABLED;
    if (phase == 2)
        value |= INPUT_STATUS_VERTICAL_RETRACE;
    return value;
}

/* The DAC takes and gives red, green, blue in turn (6 bits each), then moves on
 * to the next entry. */
uint8_t VgaTextDevice::read_dac_data()
{
    uint8_t value = palette_[dac_read_index_][dac_component_];
    if (++dac_component_ == 3) {
        dac_component_ = 0;
        ++dac_read_index_;
    }
    return value;
}

void VgaTextDevice::write_dac_data(uint8_t value)
{
    palette_[dac_write_index_][dac_component_] = value & 0x3F;
    if (++dac_component_ == 3) {
        dac_component_ = 0;
        ++dac_write_index_;
    }
}

long VgaTextDevice::cell_offset(int row, int column) const
{
    if (row < 0 || row >= ROWS || column < 0 || column >= COLUMNS)
        return -1;
    size_t cell = size_t(start_address()) + size_t(row * COLUMNS + column);
    size_t offset = cell * 2 % TEXT_WINDOW_BYTES;
    return offset + 1 < text_size_ ? long(offset) : -1;
}

uint8_t VgaTextDevice::char_at(int row, int column) const
{
    long offset = cell_offset(row, column);
    return offset < 0 ? ' ' : text_[offset];
}

uint8_t VgaTextDevice::attribute_at(int row, int column) const
{
    long offset = cell_offset(row, column);
    return offset < 0 ? BLANK_ATTRIBUTE : text_[offset + 1];
}

VgaTextDevice::Cursor VgaTextDevice::cursor() const
{
    Cursor cursor{};
    cursor.first_scanline = crtc_[CURSOR_START] & SCANLINE_MASK;
    cursor.last_scanline = crtc_[CURSOR_END] & SCANLINE_MASK;
    /* The location counts from the start of video memory, not of the screen. */
    int cell = int(cursor_location()) - int(start_address());
    cursor.row = cell >= 0 ? cell / COLUMNS : -1;
    cursor.column = cell >= 0 ? cell % COLUMNS : -1;
    /* A start scanline below the end one shows no cursor on a VGA. */
    cursor.visible = !(crtc_[CURSOR_START] & CURSOR_DISABLE) && cursor.first_scanline <= cursor.last_scanline &&
                     cell >= 0 && cursor.row < ROWS;
    return cursor;
}

char VgaTextDevice::to_ascii(uint8_t code)
{
    if (code >= 0x20 && code < 0x7F)
        return char(code);
    switch (code) {
    case 0x00:
    case 0xFF: return ' ';
    case 0xB3:
    case 0xBA: return '|';
    case 0xC4:
    case 0xCD: return '-';
    case 0xF9:
    case 0xFA: return '.';
    default: break;
    }
    if (code >= 0xB4 && code <= 0xDA) /* the remaining box-drawing corners and joins */
        return '+';
    if ((code >= 0xB0 && code <= 0xB2) || (code >= 0xDB && code <= 0xDF) || code == 0xFE)
        return '#';
    return '?';
}

size_t VgaTextDevice::row_text(int row, char* out, size_t size) const
{
    if (!out || size == 0)
        return 0;
    size_t length = 0;
    size_t printed = 0; /* length without trailing blanks */
    for (int column = 0; column < COLUMNS && length + 1 < size && row >= 0 && row < ROWS; ++column) {
        out[length++] = to_ascii(char_at(row, column));
        if (out[length - 1] != ' ')
            printed = length;
    }
    out[printed] = '\0';
    return printed;
}

bool VgaTextDevice::changed_since_last_look()
{
    bool changed = !seen_anything_ || seen_start_ != start_address() || seen_cursor_ != cursor_location() ||
                   seen_cursor_start_ != crtc_[CURSOR_START] || seen_cursor_end_ != crtc_[CURSOR_END];
    for (int row = 0; row < ROWS; ++row) {
        for (int column = 0; column < COLUMNS; ++column) {
            size_t seen = size_t(row * COLUMNS + column) * 2;
            uint8_t character = char_at(row, column), attribute = attribute_at(row, column);
            changed |= seen_screen_[seen] != character || seen_screen_[seen + 1] != attribute;
            seen_screen_[seen] = character;
            seen_screen_[seen + 1] = attribute;
        }
    }
    seen_anything_ = true;
    seen_start_ = start_address();
    seen_cursor_ = cursor_location();
    seen_cursor_start_ = crtc_[CURSOR_START];
    seen_cursor_end_ = crtc_[CURSOR_END];
    return changed;
}

} // namespace devices
