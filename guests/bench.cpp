/* Benchmark guest "bench" (tools/bench/run_all.py): what a guest sees of the
 * hypervisor's speed, in TSC cycles read by the guest itself.
 *   (no command line)  1000 CPUID exits and 1000 null hypercalls (HYPERCALL_PING),
 *                      then the intervals between 200 timer interrupts (IRQ 0 at
 *                      the rate it programs into the virtual 8254), printed as
 *                      "bench ..." lines through HYPERCALL_PRINT
 *   port80             only PORT80_WRITES writes to the POST code port 0x80 (the
 *                      I/O delay of many kernels), timed: "bench port80_cycles=N
 *                      count=M"; run with and without vm_port80=exit, the host's
 *                      vm_stats give the exits per second before and after the
 *                      I/O bitmap lets port 0x80 through
 *   spin               a busy guest that never stops by itself (the host's progress
 *                      benchmark stops it)
 * Follows the Intel SDM (revision 084), Vol. 2, "RDTSC" and "CPUID"; the 8259A and
 * 8254 datasheets for the PIC and PIT programming. */
#include "common/cpu.h"
#include "common/guest.h"
#include "common/hypercall.h"
#include "common/idt.h"
#include "common/port_io.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "bench";

} // namespace guest

namespace {

constexpr uint32_t ROUND_TRIPS = 1000;
constexpr uint32_t TIMER_INTERVALS = 200;
constexpr uint32_t PORT80_WRITES = 20000;
constexpr uint8_t TIMER_VECTOR = 0x20;
/* 1193182 Hz / 1193: the 1000 Hz tick our own kernel programs. */
constexpr uint16_t TIMER_DIVISOR = 1193;

uint64_t rdtsc()
{
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t(high) << 32) | low;
}

volatile uint32_t ticks_seen = 0;
uint64_t tick_tsc[TIMER_INTERVALS + 1];

void print_line(const guest::Text& text) { guest::print(text.c_str(), uint32_t(text.length())); }

void report_round_trips(const char* what, uint64_t cycles)
{
    guest::Text line;
    line.add("bench ").add(what).add("_cycles=").add_decimal(int32_t(cycles)).add(" count=").add_decimal(ROUND_TRIPS);
    print_line(line);
}

/* A 64-bit number in decimal without 64-bit division (the guests have no
 * libgcc): each digit counts the subtractions of its power of ten. */
void decimal_u64(uint64_t value, char (&out)[24])
{
    size_t used = 0;
    uint64_t power = 1;
    uint64_t powers[20];
    size_t count = 0;
    for (; count < 20; ++count, power *= 10) {
        powers[count] = power;
        if (count == 19 || power * 10 > value)
            break;
    }
    for (size_t i = count + 1; i-- > 0;) {
        char digit = '0';
        while (value >= powers[i]) {
            value -= powers[i];
            ++digit;
        }
        out[used++] = digit;
    }
    out[used] = 0;
}

void measure_port80()
{
    uint64_t start = rdtsc();
    for (uint32_t i = 0; i < PORT80_WRITES; ++i)
        guest::out8(0x80, uint8_t(i));
    uint64_t cycles = rdtsc() - start;
    char digits[24];
    decimal_u64(cycles, digits);
    guest::Text line;
    line.add("bench port80_cycles=").add(digits).add(" count=").add_decimal(PORT80_WRITES);
    print_line(line);
}

void measure_round_trips()
{
    uint64_t start = rdtsc();
    for (uint32_t i = 0; i < ROUND_TRIPS; ++i)
        guest::cpuid(0);
    report_round_trips("cpuid", rdtsc() - start);
    start = rdtsc();
    for (uint32_t i = 0; i < ROUND_TRIPS; ++i)
        guest::ping(i);
    report_round_trips("ping", rdtsc() - start);
}

alignas(8) guest::IdtGate idt[TIMER_VECTOR + 1];

} // namespace

/* Called by bench_timer_stub for each IRQ 0, interrupts off. */
extern "C" void bench_timer_tick()
{
    if (ticks_seen <= TIMER_INTERVALS)
        tick_tsc[ticks_seen] = rdtsc();
    ticks_seen = ticks_seen + 1;
    guest::out8(0x20, 0x20); /* non-specific EOI */
}

asm(R"(
    .text
    .global bench_timer_stub
bench_timer_stub:
    pusha
    cld
    call bench_timer_tick
    popa
    iret
)");
extern "C" char bench_timer_stub[];

namespace {

/* The runtime's IDT (vectors 0-31) copied and extended by the timer's gate. */
void install_timer_gate()
{
    guest::IdtPointer current;
    asm volatile("sidt %0" : "=m"(current));
    const auto* gates = reinterpret_cast<const guest::IdtGate*>(uintptr_t(current.base));
    for (uint32_t i = 0; i < 32 && i * sizeof(guest::IdtGate) < current.limit; ++i)
        idt[i] = gates[i];
    auto stub = uint32_t(uintptr_t(bench_timer_stub));
    idt[TIMER_VECTOR] = guest::interrupt_gate(stub);
    guest::IdtPointer pointer{sizeof(idt) - 1, uint32_t(uintptr_t(idt))};
    asm volatile("lidt %0" : : "m"(pointer));
}

/* 8259A: ICW1-ICW4 put IRQ 0-7 at vectors 0x20-0x27 and IRQ 8-15 at 0x28-0x2F;
 * only IRQ 0 stays unmasked. 8254: channel 0, lobyte/hibyte, mode 2. */
void start_timer()
{
    guest::out8(0x20, 0x11);
    guest::out8(0x21, TIMER_VECTOR);
    guest::out8(0x21, 0x04);
    guest::out8(0x21, 0x01);
    guest::out8(0xA0, 0x11);
    guest::out8(0xA1, TIMER_VECTOR + 8);
    guest::out8(0xA1, 0x02);
    guest::out8(0xA1, 0x01);
    guest::out8(0x21, 0xFE);
    guest::out8(0xA1, 0xFF);
    guest::out8(0x43, 0x34);
    guest::out8(0x40, TIMER_DIVISOR & 0xFF);
    guest::out8(0x40, TIMER_DIVISOR >> 8);
}

void measure_timer()
{
    install_timer_gate();
    start_timer();
    asm volatile("sti");
    while (ticks_seen <= TIMER_INTERVALS)
        asm volatile("hlt");
    asm volatile("cli");
    guest::out8(0x21, 0xFF);
    guest::Text header;
    header.add("bench timer_divisor=").add_decimal(TIMER_DIVISOR).add(" intervals=").add_decimal(TIMER_INTERVALS);
    print_line(header);
    for (uint32_t first = 0; first < TIMER_INTERVALS; first += 10) {
        guest::Text line;
        line.add("bench timer_cycles");
        for (uint32_t i = first; i < first + 10 && i < TIMER_INTERVALS; ++i)
            line.add(" ").add_decimal(int32_t(tick_tsc[i + 1] - tick_tsc[i]));
        print_line(line);
    }
}

bool command_line_says(const char* word)
{
    const multiboot::Info* info = guest::multiboot_info();
    if (!info || !(info->flags & multiboot::INFO_CMDLINE) || !info->cmdline)
        return false;
    const auto* text = reinterpret_cast<const char*>(uintptr_t(info->cmdline));
    for (const char* start = text; *start; ++start) {
        size_t i = 0;
        while (word[i] && start[i] == word[i])
            ++i;
        if (!word[i])
            return true;
    }
    return false;
}

} // namespace

namespace guest {

void guest_main()
{
    if (command_line_says("port80")) {
        measure_port80();
        return;
    }
    if (command_line_says("spin")) {
        print_line(Text().add("bench spinning"));
        /* Busy like a program, with interrupts on: a host interrupt then ends
         * the slice at once (with IF=0 Bochs delays it to the next timer exit). */
        asm volatile("sti");
        volatile uint32_t spins = 0;
        for (;;)
            spins = spins + 1;
    }
    measure_round_trips();
    measure_timer();
    check("measured", ticks_seen > TIMER_INTERVALS, "the timer stopped");
}

} // namespace guest
