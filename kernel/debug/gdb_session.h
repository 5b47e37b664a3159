/* What the kernel's GDB stub answers to each packet of GDB's remote serial
 * protocol, over an abstract target (registers, memory, monitor commands), so
 * that the build machine's unit tests can drive it. Follows the GDB manual,
 * appendix "GDB Remote Serial Protocol": "Packets", "General Query Packets"
 * (qSupported, qRcmd, qAttached), "Stop Reply Packets" (swbreak).
 * Pure logic: also compiled into the build machine's unit tests. */
#pragma once
#include "debug/gdb_packet.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

namespace gdb {

/* Where a monitor command writes its text; GDB shows it on its console. */
class MonitorOutput {
public:
    void print(const char* format, ...) __attribute__((format(printf, 2, 3)));
    virtual void write(const char* text, size_t length) = 0;

protected:
    ~MonitorOutput() = default;
};

/* The stopped machine as the session sees it. */
class Target {
public:
    virtual gdb_packet::Registers read_registers() = 0;
    virtual void write_registers(const gdb_packet::Registers& registers) = 0;
    /* Copies up to `length` bytes from `address`; returns how many could be read
     * from the start (0: the first byte is not mapped). */
    virtual size_t read_memory(uint64_t address, uint8_t* out, size_t length) = 0;
    /* Writes all `length` bytes (also into read-only kernel text) or nothing. */
    [[nodiscard]] virtual bool write_memory(uint64_t address, const uint8_t* data, size_t length) = 0;
    /* Runs the monitor command `line` ("vmcs", "vmread 4402"); false when there is
     * no such command. */
    virtual bool monitor(const char* line, MonitorOutput& output) = 0;

protected:
    ~Target() = default;
};

/* What the stub does after a packet. */
enum class Resume { stay, continue_running, single_step, detach };

/* The reply to one packet; empty means "not supported" to GDB. */
struct Reply {
    char text[gdb_packet::PACKET_CAPACITY + 1];
    size_t length = 0;

    void set(const char* value);
    void append(const char* value);
    void append_hex(const void* bytes, size_t count);
    void error(unsigned number);
};

/* Monitor output is sent ahead of the reply as 'O' packets, through this. */
using ConsoleSink = void (*)(void* context, const char* packet, size_t length);

class Session {
public:
    static constexpr unsigned BREAKPOINT_CAPACITY = 32;
    static constexpr uint8_t INT3 = 0xCC;

    Session(Target& target, ConsoleSink console, void* console_context)
        : target_(target), console_(console), console_context_(console_context) {}

    /* Handles one packet's payload and fills `reply` (sent unless the result is
     * `detach` after a 'k', which wants none: then `reply.length` is 0 and
     * `reply_wanted` false). */
    Resume handle(const char* payload, size_t length, Reply& reply, bool& reply_wanted);

    /* The stop reply for a SIGTRAP; `at_breakpoint`: one of our int3s (RIP was
     * already moved back onto it). */
    void stop_reply(bool at_breakpoint, Reply& reply);
    /* True when an int3 of ours sits at `address`. */
    bool has_breakpoint(uint64_t address) const;
    /* Puts every original byte back (detach, or GDB going away). */
    void remove_all_breakpoints();
    unsigned breakpoint_count() const;

private:
    struct Breakpoint {
        uint64_t address;
        uint8_t original;
        bool used;
    };

    void query(const char* payload, size_t length, Reply& reply);
    void read_memory(const char* payload, size_t length, Reply& reply);
    void write_memory(const char* payload, size_t length, Reply& reply);
    void write_register(const char* payload, size_t length, Reply& reply);
    void breakpoint(const char* payload, size_t length, Reply& reply);
    void monitor(const char* hex, size_t length, Reply& reply);
    [[nodiscard]] bool resume_address(const char* payload, size_t length);
    [[nodiscard]] bool insert_breakpoint(uint64_t address);
    [[nodiscard]] bool remove_breakpoint(uint64_t address);

    Target& target_;
    ConsoleSink console_;
    void* console_context_;
    Breakpoint breakpoints_[BREAKPOINT_CAPACITY] = {};
    /* The bytes of an 'm' or 'M' packet: kept here, not on the interrupted
     * thread's stack, which the stop borrows. */
    uint8_t memory_[gdb_packet::PACKET_CAPACITY / 2] = {};
    bool gdb_knows_swbreak_ = false;
};

} // namespace gdb
