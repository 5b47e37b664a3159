/* kernel/debug/gdb_packet.cpp and gdb_session.cpp: the GDB remote protocol's
 * framing (checksums, '}' escapes, hex), the amd64 register block, the page walk
 * that keeps the stub off unmapped memory, and the answers to GDB's packets over
 * a fake target. */
#include "debug/gdb_packet.h"
#include "debug/gdb_session.h"
#include "unit_test.h"

#include <map>
#include <string>
#include <vector>

namespace {

using gdb_packet::PacketReader;

/* Feeds `bytes` and returns the events that were not `none`. */
std::vector<PacketReader::Event> feed(PacketReader& reader, const std::string& bytes)
{
    std::vector<PacketReader::Event> events;
    for (char c : bytes)
        if (PacketReader::Event e = reader.push(c); e != PacketReader::Event::none)
            events.push_back(e);
    return events;
}

std::string framed(const std::string& payload)
{
    char out[64];
    size_t n = gdb_packet::frame(payload.data(), payload.size(), out, sizeof(out));
    return std::string(out, n);
}

} // namespace

UNIT_TEST(gdb_checksum_is_the_sum_modulo_256)
{
    CHECK_EQ(int(gdb_packet::checksum("OK", 2)), 0x9a);
    CHECK_EQ(int(gdb_packet::checksum("", 0)), 0);
    CHECK_EQ(int(gdb_packet::checksum("\xff\x02", 2)), 1);
}

UNIT_TEST(gdb_frame_adds_dollar_hash_and_checksum)
{
    CHECK_EQ(framed("OK"), std::string("$OK#9a"));
    CHECK_EQ(framed(""), std::string("$#00"));
}

UNIT_TEST(gdb_frame_escapes_dollar_hash_brace_and_star)
{
    /* '#' (0x23) becomes "}\x03"; the checksum covers the escaped bytes. */
    std::string f = framed("a#b*");
    CHECK_EQ(f.substr(0, 8), std::string("$a}\x03" "b}\x0a", 7) + "#");
    std::string body = f.substr(1, f.size() - 4);
    char sum[3];
    snprintf(sum, sizeof(sum), "%02x", gdb_packet::checksum(body.data(), body.size()));
    CHECK_EQ(f.substr(f.size() - 2), std::string(sum));
}

UNIT_TEST(gdb_frame_refuses_what_does_not_fit)
{
    char out[5];
    CHECK_EQ(gdb_packet::frame("OK", 2, out, sizeof(out)), size_t(0));
    CHECK_EQ(gdb_packet::frame("O", 1, out, sizeof(out)), size_t(5));
}

UNIT_TEST(gdb_reader_accepts_a_good_packet_and_ignores_acks)
{
    PacketReader reader;
    auto events = feed(reader, "+$qSupported:swbreak+#8b");
    CHECK_EQ(events.size(), size_t(1));
    CHECK(events[0] == PacketReader::Event::packet);
    CHECK_EQ(std::string(reader.payload()), std::string("qSupported:swbreak+"));
}

UNIT_TEST(gdb_reader_rejects_a_bad_checksum_and_recovers)
{
    PacketReader reader;
    auto events = feed(reader, "$OK#00$OK#9a");
    CHECK_EQ(events.size(), size_t(2));
    CHECK(events[0] == PacketReader::Event::bad_packet);
    CHECK(events[1] == PacketReader::Event::packet);
    CHECK_EQ(std::string(reader.payload()), std::string("OK"));
    CHECK(feed(reader, "$OK#zz")[0] == PacketReader::Event::bad_packet);
}

UNIT_TEST(gdb_reader_unescapes_and_checks_the_escaped_bytes)
{
    PacketReader reader;
    std::string f = framed("X}$");
    CHECK(feed(reader, f)[0] == PacketReader::Event::packet);
    CHECK_EQ(std::string(reader.payload()), std::string("X}$"));
}

UNIT_TEST(gdb_reader_rejects_an_oversized_packet)
{
    PacketReader reader;
    std::string big(gdb_packet::PACKET_CAPACITY + 1, 'a');
    char sum[3];
    snprintf(sum, sizeof(sum), "%02x", gdb_packet::checksum(big.data(), big.size()));
    auto events = feed(reader, "$" + big + "#" + sum);
    CHECK(events.size() == 1 && events[0] == PacketReader::Event::bad_packet);
}

UNIT_TEST(gdb_reader_reports_ctrl_c_outside_packets)
{
    PacketReader reader;
    auto events = feed(reader, "\x03");
    CHECK(events.size() == 1 && events[0] == PacketReader::Event::interrupt);
}

UNIT_TEST(gdb_parse_hex_takes_up_to_16_digits)
{
    const char* text = "fFfF0000,10";
    const char* cursor = text;
    uint64_t value = 0;
    CHECK(gdb_packet::parse_hex(cursor, text + 11, value));
    CHECK_EQ(value, uint64_t(0xffff0000));
    CHECK_EQ(*cursor, ',');
    const char* none = ",1";
    CHECK(!gdb_packet::parse_hex(none, none + 2, value));
    const char* too_long = "12345678901234567";
    CHECK(!gdb_packet::parse_hex(too_long, too_long + 17, value));
    uint8_t bytes[2];
    CHECK(gdb_packet::decode_hex("0aFf", 2, bytes));
    CHECK(bytes[0] == 0x0a && bytes[1] == 0xff);
    CHECK(!gdb_packet::decode_hex("0g", 1, bytes));
}

UNIT_TEST(gdb_register_block_is_in_amd64_order_little_endian)
{
    gdb_packet::Registers r;
    r.wide[gdb_packet::Registers::rax] = 0x1122334455667788;
    r.wide[gdb_packet::Registers::rip] = 0xffffffff80100000;
    r.narrow[gdb_packet::Registers::eflags - gdb_packet::Registers::WIDE_COUNT] = 0x246;
    r.narrow[gdb_packet::Registers::cs - gdb_packet::Registers::WIDE_COUNT] = 0x8;
    char out[2 * gdb_packet::REGISTER_BLOCK_BYTES];
    gdb_packet::encode_registers(r, out);
    std::string block(out, sizeof(out));
    CHECK_EQ(gdb_packet::REGISTER_BLOCK_BYTES, size_t(164));
    CHECK_EQ(block.substr(0, 16), std::string("8877665544332211"));
    CHECK_EQ(block.substr(16 * 16, 16), std::string("00001080ffffffff"));
    CHECK_EQ(block.substr(17 * 16, 8), std::string("46020000"));
    CHECK_EQ(block.substr(17 * 16 + 8, 8), std::string("08000000"));
    gdb_packet::Registers back;
    CHECK(gdb_packet::decode_registers(out, sizeof(out), back));
    CHECK_EQ(back.wide[16], r.wide[16]);
    CHECK(!gdb_packet::decode_registers(out, sizeof(out) - 2, back));
    CHECK(gdb_packet::set_register(back, gdb_packet::Registers::rip, "1000000000000000", 16));
    CHECK_EQ(back.wide[gdb_packet::Registers::rip], uint64_t(0x10));
    CHECK(!gdb_packet::set_register(back, gdb_packet::Registers::rip, "10", 2));
    CHECK(!gdb_packet::set_register(back, 24, "00000000", 8));
}

namespace {

std::map<uint64_t, uint64_t> physical_entries;

bool read_entry(uint64_t address, uint64_t& entry)
{
    auto it = physical_entries.find(address);
    entry = it == physical_entries.end() ? 0 : it->second;
    return address < 0x100000000;
}

uint64_t entry_index(uint64_t address, unsigned level) { return (address >> (39 - 9 * level)) & 0x1FF; }

} // namespace

UNIT_TEST(gdb_translate_walks_4k_and_2m_pages_and_refuses_holes)
{
    physical_entries.clear();
    uint64_t text = 0xFFFFFFFF80101234;
    physical_entries[0x1000 + 8 * entry_index(text, 0)] = 0x2003;
    physical_entries[0x2000 + 8 * entry_index(text, 1)] = 0x3003;
    physical_entries[0x3000 + 8 * entry_index(text, 2)] = 0x4003;
    physical_entries[0x4000 + 8 * entry_index(text, 3)] = 0x101001;
    uint64_t physical = 0;
    CHECK(gdb_packet::translate(0x1000, text, read_entry, physical));
    CHECK_EQ(physical, uint64_t(0x101234));

    uint64_t direct = 0xFFFF800000345678;
    physical_entries[0x1000 + 8 * entry_index(direct, 0)] = 0x5003;
    physical_entries[0x5000 + 8 * entry_index(direct, 1)] = 0x6003;
    physical_entries[0x6000 + 8 * entry_index(direct, 2)] = 0x200083;
    CHECK(gdb_packet::translate(0x1000, direct, read_entry, physical));
    CHECK_EQ(physical, uint64_t(0x345678));

    CHECK(!gdb_packet::translate(0x1000, 0x1000, read_entry, physical));              /* PML4 hole */
    CHECK(!gdb_packet::translate(0x1000, 0x0000800000000000, read_entry, physical));  /* not canonical */
    CHECK(!gdb_packet::translate(0x1000, text + 0x1000, read_entry, physical));       /* PT hole */
}

namespace {

/* Memory of a few mapped bytes at 0x1000..0x10FF; registers kept in the object. */
class FakeTarget final : public gdb::Target {
public:
    gdb_packet::Registers registers;
    std::map<uint64_t, uint8_t> memory;
    std::string last_monitor;

    FakeTarget()
    {
        for (uint64_t a = 0x1000; a < 0x1100; ++a)
            memory[a] = uint8_t(a);
    }
    gdb_packet::Registers read_registers() override { return registers; }
    void write_registers(const gdb_packet::Registers& r) override { registers = r; }
    size_t read_memory(uint64_t address, uint8_t* out, size_t length) override
    {
        for (size_t i = 0; i < length; ++i) {
            auto it = memory.find(address + i);
            if (it == memory.end())
                return i;
            out[i] = it->second;
        }
        return length;
    }
    bool write_memory(uint64_t address, const uint8_t* data, size_t length) override
    {
        for (size_t i = 0; i < length; ++i)
            if (!memory.count(address + i))
                return false;
        for (size_t i = 0; i < length; ++i)
            memory[address + i] = data[i];
        return true;
    }
    bool monitor(const char* line, gdb::MonitorOutput& output) override
    {
        last_monitor = line;
        if (std::string(line) != "vmread 4402")
            return false;
        output.print("vmread 0x4402 = 0x%x\n", 10);
        return true;
    }
};

struct SessionFixture {
    FakeTarget target;
    std::vector<std::string> console;
    gdb::Session session{target, collect, this};
    gdb::Reply reply;
    bool reply_wanted = false;

    static void collect(void* self, const char* packet, size_t length)
    {
        static_cast<SessionFixture*>(self)->console.emplace_back(packet, length);
    }
    std::string ask(const std::string& packet, gdb::Resume expected = gdb::Resume::stay)
    {
        gdb::Resume resume = session.handle(packet.data(), packet.size(), reply, reply_wanted);
        CHECK(resume == expected);
        return std::string(reply.text, reply.length);
    }
};

std::string unhex(const std::string& hex)
{
    std::string text(hex.size() / 2, '\0');
    CHECK(gdb_packet::decode_hex(hex.data(), text.size(), text.data()));
    return text;
}

} // namespace

UNIT_TEST(gdb_session_answers_the_connection_queries)
{
    SessionFixture f;
    CHECK_EQ(f.ask("qSupported:multiprocess+;swbreak+;hwbreak+"), std::string("PacketSize=1000;swbreak+"));
    CHECK_EQ(f.ask("qAttached"), std::string("1"));
    CHECK_EQ(f.ask("?"), std::string("S05"));
    CHECK_EQ(f.ask("Hg0"), std::string("OK"));
    CHECK_EQ(f.ask("vMustReplyEmpty"), std::string(""));
    CHECK_EQ(f.ask("qTStatus"), std::string(""));
    f.reply.length = 0;
    f.session.stop_reply(true, f.reply);
    CHECK_EQ(std::string(f.reply.text), std::string("T05swbreak:;"));
}

UNIT_TEST(gdb_session_reads_memory_and_refuses_unmapped_addresses)
{
    SessionFixture f;
    CHECK_EQ(f.ask("m1010,4"), std::string("10111213"));
    CHECK_EQ(f.ask("m10fe,4"), std::string("feff")); /* the readable start only */
    CHECK_EQ(f.ask("m0,8"), std::string("E0e"));
    CHECK_EQ(f.ask("mffffffffffffffff,8"), std::string("E0e"));
    CHECK_EQ(f.ask("m1010"), std::string("E01"));
    CHECK_EQ(f.ask("mzz,1"), std::string("E01"));
    CHECK_EQ(f.ask("m1010,4x"), std::string("E01"));
}

UNIT_TEST(gdb_session_writes_memory_all_or_nothing)
{
    SessionFixture f;
    CHECK_EQ(f.ask("M1020,2:abcd"), std::string("OK"));
    CHECK_EQ(int(f.target.memory[0x1021]), 0xcd);
    CHECK_EQ(f.ask("M10ff,2:0102"), std::string("E0e"));
    CHECK_EQ(int(f.target.memory[0x10ff]), 0xff);
    CHECK_EQ(f.ask("M1020,2:ab"), std::string("E01"));
    CHECK_EQ(f.ask("M1020,1:zz"), std::string("E01"));
}

UNIT_TEST(gdb_session_plants_int3_and_hides_it_from_reads)
{
    SessionFixture f;
    CHECK_EQ(f.ask("Z0,1040,1"), std::string("OK"));
    CHECK_EQ(int(f.target.memory[0x1040]), 0xCC);
    CHECK(f.session.has_breakpoint(0x1040));
    CHECK_EQ(f.ask("m1040,1"), std::string("40"));
    CHECK_EQ(f.ask("Z0,1040,1"), std::string("OK")); /* twice is once */
    CHECK_EQ(f.session.breakpoint_count(), 1u);
    CHECK_EQ(f.ask("z0,1040,1"), std::string("OK"));
    CHECK_EQ(int(f.target.memory[0x1040]), 0x40);
    CHECK_EQ(f.ask("z0,1040,1"), std::string("E02"));
    CHECK_EQ(f.ask("Z0,0,1"), std::string("E0e"));
    CHECK_EQ(f.ask("Z1,1040,1"), std::string("")); /* hardware breakpoints: unsupported */
    CHECK_EQ(f.ask("Z0,1040"), std::string("E01"));
}

UNIT_TEST(gdb_session_breakpoint_table_fills_up_with_an_error)
{
    SessionFixture f;
    for (unsigned i = 0; i < gdb::Session::BREAKPOINT_CAPACITY; ++i)
        CHECK_EQ(f.ask("Z0," + std::to_string(1000 + i) + ",1"), std::string("OK"));
    CHECK_EQ(f.ask("Z0,10f0,1"), std::string("E1c"));
    f.session.remove_all_breakpoints();
    CHECK_EQ(int(f.target.memory[0x1000]), 0x00);
    CHECK_EQ(f.session.breakpoint_count(), 0u);
}

UNIT_TEST(gdb_session_registers_and_resume)
{
    SessionFixture f;
    f.target.registers.wide[gdb_packet::Registers::rip] = 0x1234;
    std::string block = f.ask("g");
    CHECK_EQ(block.size(), 2 * gdb_packet::REGISTER_BLOCK_BYTES);
    CHECK_EQ(block.substr(16 * 16, 16), std::string("3412000000000000"));
    CHECK_EQ(f.ask("P10=7856000000000000"), std::string("OK"));
    CHECK_EQ(f.target.registers.wide[gdb_packet::Registers::rip], uint64_t(0x5678));
    CHECK_EQ(f.ask("P99=00"), std::string("E01"));
    CHECK_EQ(f.ask("G" + block), std::string("OK"));
    CHECK_EQ(f.target.registers.wide[gdb_packet::Registers::rip], uint64_t(0x1234));
    CHECK_EQ(f.ask("G12"), std::string("E01"));
    f.ask("c", gdb::Resume::continue_running);
    CHECK(!f.reply_wanted);
    f.ask("s1000", gdb::Resume::single_step);
    CHECK_EQ(f.target.registers.wide[gdb_packet::Registers::rip], uint64_t(0x1000));
    CHECK_EQ(f.ask("cxyz"), std::string("E01"));
    CHECK_EQ(f.ask("Z0,1040,1"), std::string("OK"));
    CHECK_EQ(f.ask("D", gdb::Resume::detach), std::string("OK"));
    CHECK_EQ(int(f.target.memory[0x1040]), 0x40); /* detaching removes our int3s */
    f.ask("k", gdb::Resume::detach);
    CHECK(!f.reply_wanted);
}

UNIT_TEST(gdb_session_monitor_output_goes_out_as_O_packets)
{
    SessionFixture f;
    std::string command = "vmread 4402";
    char hex[64];
    gdb_packet::encode_hex(command.data(), command.size(), hex);
    CHECK_EQ(f.ask("qRcmd," + std::string(hex, 2 * command.size())), std::string("OK"));
    CHECK_EQ(f.console.size(), size_t(1));
    CHECK_EQ(f.console[0][0], 'O');
    CHECK_EQ(unhex(f.console[0].substr(1)), std::string("vmread 0x4402 = 0xa\n"));
    CHECK_EQ(f.ask("qRcmd,6e6f7065"), std::string("OK")); /* "nope" */
    CHECK(unhex(f.console[1].substr(1)).find("unknown monitor command \"nope\"") == 0);
    CHECK_EQ(f.ask("qRcmd,6e6"), std::string("E01"));
    CHECK_EQ(f.ask("qRcmd,zz"), std::string("E01"));
}
