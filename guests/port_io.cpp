/* Test guest "port_io": I/O ports no device claims read as all ones at every
 * width and ignore writes, as on an ISA bus nobody drives; port 0x80 (the POST
 * code port firmware and kernels write to for a short delay) is accepted.
 * Follows the Intel SDM (revision 084), Vol. 2, "IN", "OUT", "INS/INSB/INSW/INSD"
 * and "OUTS/OUTSB/OUTSW/OUTSD". */
#include "common/guest.h"
#include "common/port_io.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "port_io";

namespace {

/* Above the ISA range and with no PCI devices in the VM, nothing decodes these. */
constexpr uint16_t UNKNOWN_PORT = 0x1F00;
constexpr uint16_t OTHER_UNKNOWN_PORT = 0x1F04;
constexpr uint16_t POST_CODE_PORT = 0x80;
constexpr int REPETITIONS = 1000;

void check_value(const char* name, uint32_t value, uint32_t expected)
{
    Text reason;
    reason.add("read ").add_hex(value).add(", expected ").add_hex(expected);
    check(name, value == expected, reason.c_str());
}

void check_reads_all_ones()
{
    check_value("unknown_in8_is_ff", in8(UNKNOWN_PORT), 0xFF);
    check_value("unknown_in16_is_ffff", in16(UNKNOWN_PORT), 0xFFFF);
    check_value("unknown_in32_is_ffffffff", in32(UNKNOWN_PORT), 0xFFFFFFFF);
    /* A port next to one that was read must not behave differently. */
    check_value("other_unknown_in8_is_ff", in8(OTHER_UNKNOWN_PORT + 1), 0xFF);
}

void check_writes_ignored()
{
    out8(UNKNOWN_PORT, 0x12);
    out16(UNKNOWN_PORT, 0x3456);
    out32(UNKNOWN_PORT, 0x789ABCDE);
    check_value("unknown_out_is_ignored", in32(UNKNOWN_PORT), 0xFFFFFFFF);
}

void check_post_code_port()
{
    for (uint8_t code = 0; code < 16; ++code)
        out8(POST_CODE_PORT, code);
    check("post_code_port_accepts_writes", true);
}

void check_repeated_access()
{
    uint32_t wrong = 0;
    for (int i = 0; i < REPETITIONS; ++i) {
        out8(OTHER_UNKNOWN_PORT, uint8_t(i));
        if (in8(OTHER_UNKNOWN_PORT) != 0xFF)
            ++wrong;
    }
    Text reason;
    reason.add_decimal(int32_t(wrong)).add(" of ").add_decimal(REPETITIONS).add(" reads were not 0xff");
    check("repeated_unknown_access_is_stable", wrong == 0, reason.c_str());
}

/* String I/O: REP INSB fills memory with what the port gives, REP OUTSB sends
 * memory to it. Needs the hypervisor to emulate INS/OUTS (exit qualification
 * "string instruction" and "REP prefixed"). */
void check_string_io()
{
    uint8_t buffer[16];
    for (uint8_t& byte : buffer)
        byte = 0;
    uint8_t* destination = buffer;
    uint32_t count = sizeof(buffer);
    asm volatile("rep insb" : "+D"(destination), "+c"(count) : "d"(UNKNOWN_PORT) : "memory");
    bool all_ones = true;
    for (uint8_t byte : buffer)
        all_ones = all_ones && byte == 0xFF;
    check("rep_insb_fills_all_ones", all_ones && count == 0 && destination == buffer + sizeof(buffer),
          "the buffer, ECX or EDI is not what REP INSB leaves");

    const uint8_t* source = buffer;
    count = sizeof(buffer);
    asm volatile("rep outsb" : "+S"(source), "+c"(count) : "d"(UNKNOWN_PORT) : "memory");
    check("rep_outsb_advances", count == 0 && source == buffer + sizeof(buffer),
          "ECX or ESI is not what REP OUTSB leaves");
}

/* Two pages: a line written to COM1 with string output crosses from one to
 * the other (the hypervisor reads a run of OUTSB bytes to its UART a page at
 * a time). tests/system/test_vm_console_string_io.py finds the line. */
alignas(4096) char two_pages[8192];
constexpr char COM1_LINE[] = "port_io: OUTSB and REP OUTSB to COM1 across a page boundary\n";

void check_string_output_to_com1()
{
    constexpr uint32_t LENGTH = sizeof(COM1_LINE) - 1;
    char* line = two_pages + 4096 - 20;
    for (uint32_t i = 0; i < LENGTH; ++i)
        line[i] = COM1_LINE[i];
    /* The first byte without REP, the rest with it, as a FIFO driver sends. */
    const char* source = line;
    asm volatile("outsb" : "+S"(source) : "d"(COM1_PORT) : "memory");
    check("outsb_to_com1_advances", source == line + 1, "ESI is not what OUTSB leaves");
    uint32_t count = LENGTH - 1;
    asm volatile("rep outsb" : "+S"(source), "+c"(count) : "d"(COM1_PORT) : "memory");
    check("rep_outsb_to_com1_across_a_page_advances", count == 0 && source == line + LENGTH,
          "ECX or ESI is not what REP OUTSB leaves");
}

} // namespace

void guest_main()
{
    check_reads_all_ones();
    check_writes_ignored();
    check_post_code_port();
    check_repeated_access();
    check_string_io();
    check_string_output_to_com1();
}

} // namespace guest
