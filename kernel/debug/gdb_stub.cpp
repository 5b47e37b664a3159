/* The GDB stub on COM2; see gdb_stub.h. The UART is a 16550 (TI PC16550D
 * datasheet) run without FIFO and without interrupts. */
#include "debug/gdb_stub.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/trap_frame.h"
#include "boot/cmdline.h"
#include "console/log.h"

namespace gdb_stub {

namespace {

/* ---- COM2, polled. */

enum Register : uint16_t { DATA = 0, INTERRUPT_ENABLE = 1, FIFO_CONTROL = 2, LINE_CONTROL = 3, MODEM_CONTROL = 4, LINE_STATUS = 5 };
constexpr uint8_t LINE_CONTROL_DLAB = 0x80;
constexpr uint8_t LINE_CONTROL_8N1 = 0x03;
constexpr uint8_t LINE_STATUS_DATA_READY = 0x01;
constexpr uint8_t LINE_STATUS_THR_EMPTY = 0x20;
constexpr uint8_t MODEM_CONTROL_DTR_RTS = 0x03;

void out(Register r, uint8_t value) { cpu::outb(COM2_PORT + r, value); }
uint8_t in(Register r) { return cpu::inb(COM2_PORT + r); }

/* 115200 baud 8N1. The FIFO stays off: then the UART holds one received byte
 * and the sender (Bochs' socket, a real line's flow) keeps the rest until it was
 * read, so the packets GDB sent before the stub listened are not lost. */
bool init_link()
{
    out(INTERRUPT_ENABLE, 0);
    out(LINE_CONTROL, LINE_CONTROL_DLAB);
    out(DATA, 1);
    out(INTERRUPT_ENABLE, 0);
    out(LINE_CONTROL, LINE_CONTROL_8N1);
    out(FIFO_CONTROL, 0);
    out(MODEM_CONTROL, MODEM_CONTROL_DTR_RTS);
    return in(LINE_STATUS) != 0xFF; /* an absent UART reads as all ones */
}

char read_byte()
{
    while (!(in(LINE_STATUS) & LINE_STATUS_DATA_READY))
        cpu::pause();
    return char(in(DATA));
}

void write_bytes(const char* bytes, size_t length)
{
    for (size_t i = 0; i < length; ++i) {
        while (!(in(LINE_STATUS) & LINE_STATUS_THR_EMPTY))
            cpu::pause();
        out(DATA, uint8_t(bytes[i]));
    }
}

/* ---- Packets on the link. */

gdb_packet::PacketReader reader;
char framed[2 * gdb_packet::PACKET_CAPACITY + 8];
/* A '$' that arrived while we waited for an acknowledgement: GDB gave up
 * waiting and sent its next packet, which must not be lost. */
bool pending_dollar = false;

constexpr unsigned SEND_ATTEMPTS = 10;

void send_packet(const char* payload, size_t length)
{
    size_t framed_length = gdb_packet::frame(payload, length, framed, sizeof(framed));
    for (unsigned attempt = 0; attempt < SEND_ATTEMPTS; ++attempt) {
        write_bytes(framed, framed_length);
        for (;;) {
            char c = read_byte();
            if (c == '+')
                return;
            if (c == '-')
                break;
            if (c == '$') {
                pending_dollar = true;
                return;
            }
        }
    }
}

/* The next well-formed packet (acknowledged); bad ones are answered with '-'. */
const char* receive_packet(size_t& length)
{
    if (pending_dollar) {
        pending_dollar = false;
        (void)reader.push('$');
    }
    for (;;) {
        switch (reader.push(read_byte())) {
        case gdb_packet::PacketReader::Event::packet:
            write_bytes("+", 1);
            length = reader.length();
            return reader.payload();
        case gdb_packet::PacketReader::Event::bad_packet: write_bytes("-", 1); break;
        default: break; /* acknowledgements, a Ctrl-C while we are stopped anyway */
        }
    }
}

void send_console_packet(void*, const char* packet, size_t length) { send_packet(packet, length); }

/* ---- Monitor commands. */

struct MonitorCommand {
    const char* name;
    const char* help;
    MonitorHandler handler;
};
constexpr unsigned MONITOR_CAPACITY = 8;
MonitorCommand monitor_commands[MONITOR_CAPACITY];
unsigned monitor_count = 0;

void monitor_help(const char*, gdb::MonitorOutput& output)
{
    output.print("monitor commands of the Matryoshka kernel's GDB stub:\n");
    for (unsigned i = 0; i < monitor_count; ++i)
        output.print("  %-8s %s\n", monitor_commands[i].name, monitor_commands[i].help);
}

/* GDB's amd64 registers have no control registers; mx-pagewalk reads CR3 here. */
void monitor_control_registers(const char*, gdb::MonitorOutput& output)
{
    output.print("cr0 = 0x%lx\ncr2 = 0x%lx\ncr3 = 0x%lx\ncr4 = 0x%lx\n", cpu::read_cr0(), cpu::read_cr2(),
                 cpu::read_cr3(), cpu::read_cr4());
}

/* ---- The stopped machine. */

bool read_physical_entry(uint64_t address, uint64_t& entry)
{
    if (address % 8 || address >= DIRECT_MAP_SIZE)
        return false;
    entry = *reinterpret_cast<const volatile uint64_t*>(DIRECT_MAP_BASE + address);
    return true;
}

/* Every access goes through the direct map after a walk of the current page
 * tables: an unmapped address is refused instead of faulting, and a write
 * reaches read-only kernel text through the direct map's writable alias. */
uint8_t* direct_map_alias(uint64_t address)
{
    uint64_t physical;
    if (!gdb_packet::translate(cpu::read_cr3(), address, read_physical_entry, physical) || physical >= DIRECT_MAP_SIZE)
        return nullptr;
    return reinterpret_cast<uint8_t*>(DIRECT_MAP_BASE + physical);
}

uint16_t read_selector(int which)
{
    uint16_t value = 0;
    switch (which) {
    case 0: asm volatile("mov %%ds, %0" : "=r"(value)); break;
    case 1: asm volatile("mov %%es, %0" : "=r"(value)); break;
    case 2: asm volatile("mov %%fs, %0" : "=r"(value)); break;
    default: asm volatile("mov %%gs, %0" : "=r"(value)); break;
    }
    return value;
}

class KernelTarget final : public gdb::Target {
public:
    void stop_at(TrapFrame* frame) { frame_ = frame; }

    gdb_packet::Registers read_registers() override
    {
        using R = gdb_packet::Registers;
        const TrapFrame& f = *frame_;
        R r;
        uint64_t wide[R::WIDE_COUNT] = {f.rax, f.rbx, f.rcx, f.rdx, f.rsi, f.rdi, f.rbp, f.rsp, f.r8,
                                        f.r9,  f.r10, f.r11, f.r12, f.r13, f.r14, f.r15, f.rip};
        for (unsigned i = 0; i < R::WIDE_COUNT; ++i)
            r.wide[i] = wide[i];
        uint32_t narrow[] = {uint32_t(f.rflags), uint32_t(f.cs), uint32_t(f.ss), read_selector(0),
                             read_selector(1), read_selector(2), read_selector(3)};
        for (unsigned i = 0; i < R::count - R::WIDE_COUNT; ++i)
            r.narrow[i] = narrow[i];
        return r;
    }

    /* The general registers, RIP and RFLAGS go back into the frame; the
     * selectors stay as they are (changing them would not survive IRETQ). */
    void write_registers(const gdb_packet::Registers& r) override
    {
        using R = gdb_packet::Registers;
        TrapFrame& f = *frame_;
        uint64_t* fields[R::WIDE_COUNT] = {&f.rax, &f.rbx, &f.rcx, &f.rdx, &f.rsi, &f.rdi, &f.rbp, &f.rsp, &f.r8,
                                           &f.r9,  &f.r10, &f.r11, &f.r12, &f.r13, &f.r14, &f.r15, &f.rip};
        for (unsigned i = 0; i < R::WIDE_COUNT; ++i)
            *fields[i] = r.wide[i];
        f.rflags = (f.rflags & ~uint64_t(0xFFFFFFFF)) | r.narrow[R::eflags - R::WIDE_COUNT];
    }

    size_t read_memory(uint64_t address, uint8_t* out, size_t length) override
    {
        for (size_t i = 0; i < length; ++i) {
            const uint8_t* byte = direct_map_alias(address + i);
            if (!byte)
                return i;
            out[i] = *byte;
        }
        return length;
    }

    bool write_memory(uint64_t address, const uint8_t* data, size_t length) override
    {
        for (size_t i = 0; i < length; ++i)
            if (!direct_map_alias(address + i))
                return false;
        for (size_t i = 0; i < length; ++i)
            if (uint8_t* byte = direct_map_alias(address + i))
                *byte = data[i];
        return true;
    }

    bool monitor(const char* line, gdb::MonitorOutput& output) override
    {
        while (*line == ' ')
            ++line;
        size_t name_length = 0;
        while (line[name_length] && line[name_length] != ' ')
            ++name_length;
        const char* arguments = line + name_length;
        while (*arguments == ' ')
            ++arguments;
        for (unsigned i = 0; i < monitor_count; ++i) {
            const char* name = monitor_commands[i].name;
            if (__builtin_strlen(name) == name_length && __builtin_memcmp(name, line, name_length) == 0) {
                monitor_commands[i].handler(arguments, output);
                return true;
            }
        }
        return false;
    }

private:
    TrapFrame* frame_ = nullptr;
};

KernelTarget target;
gdb::Session session(target, send_console_packet, nullptr);
gdb::Reply reply;

bool active = false;
bool stepping = false;
/* After 'c' or 's' GDB waits for a stop reply; at the first stop (boot) it
 * has not connected yet and asks with '?' itself. */
bool gdb_awaits_stop = false;

struct BuiltinCommands {
    BuiltinCommands()
    {
        register_monitor_command("help", "this list", monitor_help);
        register_monitor_command("cr", "the control registers CR0, CR2, CR3, CR4", monitor_control_registers);
    }
} builtin_commands;

/* Talks to GDB until it resumes the machine. */
void stop(TrapFrame& frame, bool at_breakpoint)
{
    target.stop_at(&frame);
    if (gdb_awaits_stop) {
        session.stop_reply(at_breakpoint, reply);
        send_packet(reply.text, reply.length);
    }
    for (;;) {
        size_t length;
        const char* payload = receive_packet(length);
        bool reply_wanted;
        gdb::Resume resume = session.handle(payload, length, reply, reply_wanted);
        if (reply_wanted)
            send_packet(reply.text, reply.length);
        if (resume == gdb::Resume::stay)
            continue;
        stepping = resume == gdb::Resume::single_step;
        frame.rflags = stepping ? frame.rflags | RFLAGS_TF : frame.rflags & ~RFLAGS_TF;
        gdb_awaits_stop = true;
        if (resume == gdb::Resume::detach) {
            active = false;
            gdb_awaits_stop = false;
            log(LogCategory::debug, "GDB detached: running on");
        }
        target.stop_at(nullptr);
        return;
    }
}

} // namespace

bool register_monitor_command(const char* name, const char* help, MonitorHandler handler)
{
    if (monitor_count == MONITOR_CAPACITY)
        return false;
    monitor_commands[monitor_count++] = {name, help, handler};
    return true;
}

bool attached() { return active; }

void start_if_requested(const char* command_line)
{
    char where[16];
    if (!CommandLine(command_line).value("gdb", where, sizeof(where)))
        return;
    if (__builtin_strcmp(where, "com2") != 0) {
        log(LogCategory::debug, "gdb=%s ignored: the GDB stub talks on com2 only", where);
        return;
    }
    if (!init_link()) {
        log(LogCategory::debug, "gdb=com2: no UART at port 0x%x, no GDB stub", COM2_PORT);
        return;
    }
    active = true;
    log(LogCategory::debug, "GDB stub on COM2 (port 0x%x): waiting for GDB (target remote)", COM2_PORT);
    cpu::int3();
    if (active)
        log(LogCategory::debug, "GDB attached: running on");
}

bool handle_trap(TrapFrame& frame)
{
    if (!active || frame.from_user())
        return false;
    bool at_breakpoint = false;
    if (frame.vector == exceptions::DEBUG) {
        if (!stepping || !(cpu::read_dr6() & cpu::DR6_SINGLE_STEP))
            return false;
        /* The CPU never clears DR6; its reserved bits read as ones. */
        cpu::write_dr6(0xFFFF0FF0);
    } else if (frame.vector == exceptions::BREAKPOINT) {
        /* int3 is a trap: RIP is past it. On one of GDB's, GDB wants RIP on it. */
        if (session.has_breakpoint(frame.rip - 1)) {
            frame.rip -= 1;
            at_breakpoint = true;
        }
    } else {
        return false;
    }
    stepping = false;
    frame.rflags &= ~RFLAGS_TF;
    stop(frame, at_breakpoint);
    return true;
}

} // namespace gdb_stub
