/* GDB remote serial protocol framing; see gdb_packet.h. */
#include "debug/gdb_packet.h"

namespace gdb_packet {

uint8_t checksum(const char* data, size_t length)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = uint8_t(sum + uint8_t(data[i]));
    return sum;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char hex_digit(unsigned value) { return "0123456789abcdef"[value & 0xF]; }

bool parse_hex(const char*& cursor, const char* end, uint64_t& value)
{
    const char* p = cursor;
    uint64_t result = 0;
    unsigned digits = 0;
    for (; p < end && hex_value(*p) >= 0; ++p, ++digits) {
        if (digits == 16)
            return false;
        result = result << 4 | uint64_t(hex_value(*p));
    }
    if (digits == 0)
        return false;
    cursor = p;
    value = result;
    return true;
}

void encode_hex(const void* bytes, size_t length, char* out)
{
    const uint8_t* b = static_cast<const uint8_t*>(bytes);
    for (size_t i = 0; i < length; ++i) {
        out[2 * i] = hex_digit(b[i] >> 4);
        out[2 * i + 1] = hex_digit(b[i]);
    }
}

bool decode_hex(const char* text, size_t length, void* out)
{
    uint8_t* b = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < length; ++i) {
        int high = hex_value(text[2 * i]), low = hex_value(text[2 * i + 1]);
        if (high < 0 || low < 0)
            return false;
        b[i] = uint8_t(high << 4 | low);
    }
    return true;
}

PacketReader::Event PacketReader::push(char c)
{
    switch (state_) {
    case State::idle:
        if (c == '$') {
            state_ = State::payload;
            length_ = 0;
            sum_ = 0;
            overflow_ = bad_digit_ = false;
        }
        return c == INTERRUPT ? Event::interrupt : Event::none;
    case State::payload:
    case State::escaped:
        /* A '$' inside a packet means the rest was lost: start over with the new one. */
        if (c == '$' && state_ == State::payload) {
            length_ = 0;
            sum_ = 0;
            overflow_ = false;
            return Event::none;
        }
        if (c == '#' && state_ == State::payload) {
            state_ = State::checksum_high;
            return Event::none;
        }
        sum_ = uint8_t(sum_ + uint8_t(c));
        if (state_ == State::payload && c == '}') {
            state_ = State::escaped;
            return Event::none;
        }
        if (length_ == PACKET_CAPACITY)
            overflow_ = true;
        else
            payload_[length_++] = state_ == State::escaped ? char(c ^ 0x20) : c;
        state_ = State::payload;
        return Event::none;
    case State::checksum_high:
        bad_digit_ = hex_value(c) < 0;
        received_sum_ = uint8_t(bad_digit_ ? 0 : hex_value(c) << 4);
        state_ = State::checksum_low;
        return Event::none;
    case State::checksum_low:
        state_ = State::idle;
        if (bad_digit_ || hex_value(c) < 0 || overflow_ || uint8_t(received_sum_ | hex_value(c)) != sum_) {
            length_ = 0;
            payload_[0] = '\0';
            return Event::bad_packet;
        }
        payload_[length_] = '\0';
        return Event::packet;
    }
    return Event::none;
}

size_t frame(const char* payload, size_t length, char* out, size_t capacity)
{
    size_t n = 0;
    uint8_t sum = 0;
    auto put = [&](char c) {
        if (n < capacity)
            out[n] = c;
        ++n;
    };
    put('$');
    for (size_t i = 0; i < length; ++i) {
        char c = payload[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            put('}');
            sum = uint8_t(sum + '}');
            c = char(c ^ 0x20);
        }
        put(c);
        sum = uint8_t(sum + uint8_t(c));
    }
    put('#');
    put(hex_digit(sum >> 4));
    put(hex_digit(sum));
    return n <= capacity ? n : 0;
}

void encode_registers(const Registers& registers, char* out)
{
    encode_hex(registers.wide, sizeof(registers.wide), out);
    encode_hex(registers.narrow, sizeof(registers.narrow), out + 2 * sizeof(registers.wide));
}

bool decode_registers(const char* text, size_t length, Registers& registers)
{
    if (length < 2 * REGISTER_BLOCK_BYTES)
        return false;
    Registers decoded;
    if (!decode_hex(text, sizeof(decoded.wide), decoded.wide) ||
        !decode_hex(text + 2 * sizeof(decoded.wide), sizeof(decoded.narrow), decoded.narrow))
        return false;
    registers = decoded;
    return true;
}

bool set_register(Registers& registers, unsigned number, const char* text, size_t length)
{
    if (number >= Registers::count || length != 2 * Registers::size_of(number))
        return false;
    if (number < Registers::WIDE_COUNT)
        return decode_hex(text, 8, &registers.wide[number]);
    return decode_hex(text, 4, &registers.narrow[number - Registers::WIDE_COUNT]);
}

bool translate(uint64_t cr3, uint64_t virtual_address, ReadPhysical read, uint64_t& physical)
{
    /* Canonical: bits 63:47 all equal ("Canonical Addressing", SDM Vol. 1). */
    uint64_t top = virtual_address >> 47;
    if (top != 0 && top != 0x1FFFF)
        return false;
    constexpr uint64_t ADDRESS_MASK = 0x000FFFFFFFFFF000;
    constexpr uint64_t PRESENT = 1, PAGE_SIZE_BIT = 1 << 7;
    uint64_t table = cr3 & ADDRESS_MASK;
    for (unsigned level = 0; level < 4; ++level) {
        unsigned shift = 39 - 9 * level;
        uint64_t entry;
        if (!read(table + 8 * ((virtual_address >> shift) & 0x1FF), entry) || !(entry & PRESENT))
            return false;
        /* PDPT (level 1) and PD (level 2) entries may map a 1 GiB or 2 MiB page. */
        if ((level == 1 || level == 2) && (entry & PAGE_SIZE_BIT)) {
            uint64_t page_mask = (uint64_t(1) << shift) - 1;
            physical = (entry & ADDRESS_MASK & ~page_mask) | (virtual_address & page_mask);
            return true;
        }
        table = entry & ADDRESS_MASK;
    }
    physical = table | (virtual_address & 0xFFF);
    return true;
}

} // namespace gdb_packet
