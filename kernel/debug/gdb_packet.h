/* The framing of GDB's remote serial protocol: $payload#checksum, '}' escapes,
 * acknowledgements, hex numbers and GDB's amd64 register block. Follows the GDB
 * manual, appendix "GDB Remote Serial Protocol" ("Overview", "Packets",
 * "Standard Replies") and GDB's amd64 target description (features/i386/64bit-core.xml).
 * Pure logic: also compiled into the build machine's unit tests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace gdb_packet {

/* The largest payload we accept, announced to GDB as qSupported's PacketSize. */
constexpr size_t PACKET_CAPACITY = 4096;
/* The interrupt GDB sends outside packets when the user presses Ctrl-C. */
constexpr char INTERRUPT = 0x03;

/* The modulo-256 sum of the bytes between '$' and '#'. */
uint8_t checksum(const char* data, size_t length);

/* 0-15, or -1 when `c` is no hex digit (either case). */
int hex_value(char c);
char hex_digit(unsigned value);

/* Reads a hex number of at most 16 digits at `cursor` (stopping before `end`) and
 * moves `cursor` past it; false when there is no digit or the number overflows. */
[[nodiscard]] bool parse_hex(const char*& cursor, const char* end, uint64_t& value);
/* Writes 2 * length hex digits (lower case) of `bytes` in memory order. */
void encode_hex(const void* bytes, size_t length, char* out);
/* Reads 2 * length hex digits into `out`; false on a character that is no digit. */
[[nodiscard]] bool decode_hex(const char* text, size_t length, void* out);

/* Collects one packet from the bytes of the line. "$payload#xx" gives `packet`
 * when the checksum matches (the payload unescaped: '}' followed by c stands
 * for c ^ 0x20) and `bad_packet` when it does not or the payload is too long;
 * the caller answers '+' or '-'. A Ctrl-C byte outside a packet gives
 * `interrupt`; acknowledgements and noise outside packets are ignored. */
class PacketReader {
public:
    enum class Event { none, packet, bad_packet, interrupt };

    Event push(char c);
    /* The last packet's payload, NUL-terminated. Valid until the next push(). */
    const char* payload() const { return payload_; }
    size_t length() const { return length_; }

private:
    enum class State { idle, payload, escaped, checksum_high, checksum_low };

    State state_ = State::idle;
    char payload_[PACKET_CAPACITY + 1] = {};
    size_t length_ = 0;
    uint8_t sum_ = 0;
    uint8_t received_sum_ = 0;
    bool overflow_ = false;
    bool bad_digit_ = false;
};

/* Writes "$payload#xx" into `out`, escaping '$', '#', '}' and '*' (which GDB
 * would read as run-length encoding). Returns the framed length, or 0 when it
 * does not fit into `capacity`. */
size_t frame(const char* payload, size_t length, char* out, size_t capacity);

/* GDB's amd64 registers in the order of its 'g' packet: rax rbx rcx rdx rsi rdi
 * rbp rsp r8..r15 rip (8 bytes each), then eflags cs ss ds es fs gs (4 bytes
 * each). The x87 and SSE registers that follow in GDB's list are left out: a
 * shorter 'g' reply marks them unavailable, and the kernel never uses them. */
struct Registers {
    enum Number : unsigned { rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15, rip,
                             eflags, cs, ss, ds, es, fs, gs, count };
    static constexpr unsigned WIDE_COUNT = rip + 1; /* rax..rip are 8 bytes wide */

    uint64_t wide[WIDE_COUNT] = {};
    uint32_t narrow[count - WIDE_COUNT] = {}; /* eflags, cs, ss, ds, es, fs, gs */

    static size_t size_of(unsigned number) { return number < WIDE_COUNT ? 8 : 4; }
};
constexpr size_t REGISTER_BLOCK_BYTES = Registers::WIDE_COUNT * 8 + (Registers::count - Registers::WIDE_COUNT) * 4;

/* The 'g' reply: 2 * REGISTER_BLOCK_BYTES hex digits, little endian per register. */
void encode_registers(const Registers& registers, char* out);
/* A 'G' packet's payload: every register we have, in 'g' order; longer input
 * (GDB's x87 and SSE part) is ignored. False when it is too short or no hex. */
[[nodiscard]] bool decode_registers(const char* text, size_t length, Registers& registers);
/* A 'P' packet's value for register `number` (hex digits, little endian); false
 * for a register we do not have or a value of the wrong size. */
[[nodiscard]] bool set_register(Registers& registers, unsigned number, const char* text, size_t length);

/* Reads the 8-byte paging-structure entry at physical `address`; false when that
 * memory cannot be read. */
using ReadPhysical = bool (*)(uint64_t address, uint64_t& entry);

/* The physical address of `virtual_address` under the 4-level tables at `cr3`
 * (Intel SDM revision 084, Vol. 3A, "4-Level Paging and 5-Level Paging": bit 0
 * present, bit 7 a 1 GiB or 2 MiB page). False for a non-canonical address, an
 * entry that is not present, or a table that cannot be read: the stub refuses
 * such an address with an error instead of faulting on it. */
[[nodiscard]] bool translate(uint64_t cr3, uint64_t virtual_address, ReadPhysical read, uint64_t& physical);

} // namespace gdb_packet
