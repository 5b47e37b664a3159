/* The GDB stub's packet handling; see gdb_session.h. */
#include "debug/gdb_session.h"

#include "lib/format.h"

namespace gdb {

namespace {

using gdb_packet::parse_hex;

/* Error numbers of our 'E NN' replies (errno values, as gdbserver uses them). */
constexpr unsigned ERROR_MALFORMED = 0x01;
constexpr unsigned ERROR_NOT_MAPPED = 0x0E;   /* EFAULT */
constexpr unsigned ERROR_NO_SPACE = 0x1C;     /* ENOSPC: the breakpoint table is full */
constexpr unsigned ERROR_NO_BREAKPOINT = 0x02; /* ENOENT: z0 of an address we never patched */

constexpr size_t MONITOR_LINE_CAPACITY = 256;

bool starts_with(const char* text, size_t length, const char* prefix)
{
    size_t n = __builtin_strlen(prefix);
    return length >= n && __builtin_memcmp(text, prefix, n) == 0;
}

bool equals(const char* text, size_t length, const char* word)
{
    return length == __builtin_strlen(word) && __builtin_memcmp(text, word, length) == 0;
}

/* "ADDR,LENGTH" followed by `terminator` (or the end, when it is '\0'). */
bool parse_address_length(const char*& cursor, const char* end, char terminator, uint64_t& address,
                          uint64_t& length)
{
    if (!parse_hex(cursor, end, address) || cursor == end || *cursor++ != ',' || !parse_hex(cursor, end, length))
        return false;
    if (terminator == '\0')
        return cursor == end;
    return cursor < end && *cursor++ == terminator;
}

/* Monitor output as 'O' packets of hex text, a line or a buffer's worth each. */
class ConsoleOutput final : public MonitorOutput {
public:
    ConsoleOutput(ConsoleSink sink, void* context) : sink_(sink), context_(context) {}

    void write(const char* text, size_t length) override
    {
        while (length) {
            size_t chunk = length < MAX_TEXT ? length : MAX_TEXT;
            char packet[1 + 2 * MAX_TEXT];
            packet[0] = 'O';
            gdb_packet::encode_hex(text, chunk, packet + 1);
            sink_(context_, packet, 1 + 2 * chunk);
            text += chunk;
            length -= chunk;
        }
    }

private:
    static constexpr size_t MAX_TEXT = 400;
    ConsoleSink sink_;
    void* context_;
};

} // namespace

void MonitorOutput::print(const char* format, ...)
{
    char text[512];
    va_list args;
    va_start(args, format);
    size_t length = vformat_string(text, sizeof(text), format, args);
    va_end(args);
    write(text, length < sizeof(text) ? length : sizeof(text) - 1);
}

void Reply::set(const char* value)
{
    length = 0;
    append(value);
}

void Reply::append(const char* value)
{
    for (; *value && length < gdb_packet::PACKET_CAPACITY; ++value)
        text[length++] = *value;
    text[length] = '\0';
}

void Reply::append_hex(const void* bytes, size_t count)
{
    if (length + 2 * count > gdb_packet::PACKET_CAPACITY)
        count = (gdb_packet::PACKET_CAPACITY - length) / 2;
    gdb_packet::encode_hex(bytes, count, text + length);
    length += 2 * count;
    text[length] = '\0';
}

void Reply::error(unsigned number)
{
    char digits[] = {'E', gdb_packet::hex_digit(number >> 4), gdb_packet::hex_digit(number), '\0'};
    set(digits);
}

Resume Session::handle(const char* payload, size_t length, Reply& reply, bool& reply_wanted)
{
    reply.set("");
    reply_wanted = true;
    if (length == 0)
        return Resume::stay;
    const char* rest = payload + 1;
    size_t rest_length = length - 1;
    switch (payload[0]) {
    case '?': stop_reply(false, reply); break;
    case 'g': {
        char block[2 * gdb_packet::REGISTER_BLOCK_BYTES + 1];
        gdb_packet::encode_registers(target_.read_registers(), block);
        block[2 * gdb_packet::REGISTER_BLOCK_BYTES] = '\0';
        reply.set(block);
        break;
    }
    case 'G': {
        gdb_packet::Registers registers = target_.read_registers();
        if (gdb_packet::decode_registers(rest, rest_length, registers)) {
            target_.write_registers(registers);
            reply.set("OK");
        } else {
            reply.error(ERROR_MALFORMED);
        }
        break;
    }
    case 'P': write_register(rest, rest_length, reply); break;
    case 'm': read_memory(rest, rest_length, reply); break;
    case 'M': write_memory(rest, rest_length, reply); break;
    case 'Z':
    case 'z': breakpoint(payload, length, reply); break;
    case 'q': query(payload, length, reply); break;
    case 'H': reply.set("OK"); break; /* one thread: any thread is it */
    case 'c':
    case 's':
        /* No reply now: the next stop is the reply. */
        if (!resume_address(rest, rest_length)) {
            reply.error(ERROR_MALFORMED);
            break;
        }
        reply_wanted = false;
        return payload[0] == 'c' ? Resume::continue_running : Resume::single_step;
    case 'D':
        remove_all_breakpoints();
        reply.set("OK");
        return Resume::detach;
    case 'k':
        remove_all_breakpoints();
        reply_wanted = false;
        return Resume::detach;
    default: break; /* unsupported: the empty reply */
    }
    return Resume::stay;
}

void Session::stop_reply(bool at_breakpoint, Reply& reply)
{
    reply.set(at_breakpoint && gdb_knows_swbreak_ ? "T05swbreak:;" : "S05");
}

void Session::query(const char* payload, size_t length, Reply& reply)
{
    if (starts_with(payload, length, "qSupported")) {
        for (size_t i = 0; i + 8 <= length; ++i)
            if (__builtin_memcmp(payload + i, "swbreak+", 8) == 0)
                gdb_knows_swbreak_ = true;
        /* PacketSize is hex; our replies never use run-length encoding. */
        char text[64];
        format_string(text, sizeof(text), "PacketSize=%zx;swbreak+", gdb_packet::PACKET_CAPACITY);
        reply.set(text);
    } else if (starts_with(payload, length, "qAttached")) {
        reply.set("1"); /* we attached to a running machine: detaching must not kill it */
    } else if (starts_with(payload, length, "qRcmd,")) {
        monitor(payload + 6, length - 6, reply);
    } else if (equals(payload, length, "qSymbol::")) {
        reply.set("OK"); /* no symbols wanted */
    }
}

void Session::read_memory(const char* payload, size_t length, Reply& reply)
{
    const char* cursor = payload;
    uint64_t address, count;
    if (!parse_address_length(cursor, payload + length, '\0', address, count)) {
        reply.error(ERROR_MALFORMED);
        return;
    }
    uint8_t* bytes = memory_;
    if (count > sizeof(memory_))
        count = sizeof(memory_);
    size_t readable = target_.read_memory(address, bytes, count);
    if (readable == 0 && count != 0) {
        reply.error(ERROR_NOT_MAPPED);
        return;
    }
    /* Show the original bytes under our int3s, as if they were not there. */
    for (const Breakpoint& b : breakpoints_)
        if (b.used && b.address - address < readable)
            bytes[b.address - address] = b.original;
    reply.set("");
    reply.append_hex(bytes, readable);
}

void Session::write_memory(const char* payload, size_t length, Reply& reply)
{
    const char* cursor = payload;
    const char* end = payload + length;
    uint64_t address, count;
    uint8_t* bytes = memory_;
    if (!parse_address_length(cursor, end, ':', address, count) || count > sizeof(memory_) ||
        size_t(end - cursor) != 2 * count || !gdb_packet::decode_hex(cursor, count, bytes)) {
        reply.error(ERROR_MALFORMED);
        return;
    }
    reply.set(count == 0 || target_.write_memory(address, bytes, count) ? "OK" : "E0e");
}

void Session::write_register(const char* payload, size_t length, Reply& reply)
{
    const char* cursor = payload;
    const char* end = payload + length;
    uint64_t number;
    gdb_packet::Registers registers = target_.read_registers();
    if (!parse_hex(cursor, end, number) || cursor == end || *cursor++ != '=' ||
        number >= gdb_packet::Registers::count ||
        !gdb_packet::set_register(registers, unsigned(number), cursor, size_t(end - cursor))) {
        reply.error(ERROR_MALFORMED);
        return;
    }
    target_.write_registers(registers);
    reply.set("OK");
}

/* Z0,ADDR,KIND and z0,ADDR,KIND: software breakpoints, the int3 patched in.
 * Other types (hardware breakpoints, watchpoints) get the empty reply. */
void Session::breakpoint(const char* payload, size_t length, Reply& reply)
{
    if (length < 2 || payload[1] != '0')
        return;
    const char* cursor = payload + 2;
    uint64_t address, kind;
    if (cursor == payload + length || *cursor++ != ',' ||
        !parse_address_length(cursor, payload + length, '\0', address, kind)) {
        reply.error(ERROR_MALFORMED);
        return;
    }
    if (payload[0] == 'Z') {
        if (has_breakpoint(address))
            reply.set("OK");
        else if (breakpoint_count() == BREAKPOINT_CAPACITY)
            reply.error(ERROR_NO_SPACE);
        else
            reply.set(insert_breakpoint(address) ? "OK" : "E0e");
    } else {
        if (!has_breakpoint(address))
            reply.error(ERROR_NO_BREAKPOINT);
        else
            reply.set(remove_breakpoint(address) ? "OK" : "E0e");
    }
}

void Session::monitor(const char* hex, size_t length, Reply& reply)
{
    char line[MONITOR_LINE_CAPACITY + 1];
    if (length % 2 || length / 2 > MONITOR_LINE_CAPACITY || !gdb_packet::decode_hex(hex, length / 2, line)) {
        reply.error(ERROR_MALFORMED);
        return;
    }
    line[length / 2] = '\0';
    for (size_t i = 0; i < length / 2; ++i)
        if (line[i] == '\0')
            line[i] = ' ';
    ConsoleOutput output(console_, console_context_);
    if (!target_.monitor(line, output))
        output.print("unknown monitor command \"%s\" (try: monitor help)\n", line);
    reply.set("OK");
}

bool Session::resume_address(const char* payload, size_t length)
{
    if (length == 0)
        return true;
    const char* cursor = payload;
    uint64_t address;
    if (!parse_hex(cursor, payload + length, address) || cursor != payload + length)
        return false;
    gdb_packet::Registers registers = target_.read_registers();
    registers.wide[gdb_packet::Registers::rip] = address;
    target_.write_registers(registers);
    return true;
}

bool Session::has_breakpoint(uint64_t address) const
{
    for (const Breakpoint& b : breakpoints_)
        if (b.used && b.address == address)
            return true;
    return false;
}

unsigned Session::breakpoint_count() const
{
    unsigned count = 0;
    for (const Breakpoint& b : breakpoints_)
        count += b.used;
    return count;
}

bool Session::insert_breakpoint(uint64_t address)
{
    for (Breakpoint& b : breakpoints_) {
        if (b.used)
            continue;
        uint8_t original;
        if (target_.read_memory(address, &original, 1) != 1 || !target_.write_memory(address, &INT3, 1))
            return false;
        b = {address, original, true};
        return true;
    }
    return false;
}

bool Session::remove_breakpoint(uint64_t address)
{
    for (Breakpoint& b : breakpoints_) {
        if (b.used && b.address == address) {
            if (!target_.write_memory(address, &b.original, 1))
                return false;
            b.used = false;
            return true;
        }
    }
    return false;
}

void Session::remove_all_breakpoints()
{
    for (Breakpoint& b : breakpoints_) {
        if (b.used) {
            (void)target_.write_memory(b.address, &b.original, 1);
            b.used = false;
        }
    }
}

} // namespace gdb
