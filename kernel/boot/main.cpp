/* kernel_entry: where boot.S hands over to C++. Brings up the consoles, reads the
 * Multiboot information, then does what the command line asks: run a named set
 * of in-kernel tests, run user programs (run=), or boot normally into a shell on
 * every terminal. */
#include "arch/x86_64/arch_memory.h"
#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "boot/boot.h"
#include "boot/cmdline.h"
#include "console/console_input.h"
#include "console/echo_input.h"
#include "console/log.h"
#include "console/serial.h"
#include "console/vga_text.h"
#include "cxx/runtime.h"
#include "debug/gdb_stub.h"
#include "debug/panic.h"
#include "drivers/keyboard.h"
#include "drivers/pic8259.h"
#include "drivers/pit8254.h"
#include "fs/kernel_vfs.h"
#include "fs/vfs_benchmark.h"
#include "mm/fault_injection.h"
#include "mm/kernel_heap.h"
#include "mm/memory_crash.h"
#include "mm/page_manager.h"
#include "hypervisor/vm/vm_command_line.h"
#include "hypervisor/vm_console/vm_console.h"
#include "hypervisor/vm_console/vm_serial.h"
#include "power/power.h"
#include "process/process_registry.h"
#include "process/user_sessions.h"
#include "sched/scheduler.h"
#include "sync/sync_misuse.h"
#include "terminal/terminals.h"
#include "test/core_bench.h"
#include "test/kernel_test.h"
#include "time/timer.h"
#include "time/clock.h"

extern "C" char __image_start[], __image_end[];

namespace {

BootInfo the_boot_info;

/* A canonical address that no page table maps (PML4 slot 236 is empty), for
 * crash=page_fault; tests/system/test_interrupts.py looks for it in the panic. */
constexpr uint64_t DELIBERATE_FAULT_ADDRESS = 0x0000765432100FF8;

const void* direct_map_access(uint64_t address, size_t length)
{
    if (address + length < address || address + length > DIRECT_MAP_SIZE)
        return nullptr;
    return reinterpret_cast<const void*>(DIRECT_MAP_BASE + address);
}

/* CPUID.1:ECX[31] says a hypervisor is present; leaf 0x40000000 names it. */
bool running_under_matryoshka()
{
    if (!(cpu::cpuid(1).ecx & (1u << 31)))
        return false;
    cpu::CpuidResult r = cpu::cpuid(0x40000000);
    const char expected[] = "SWEBSWEBSWEB";
    uint32_t words[3] = {r.ebx, r.ecx, r.edx};
    return __builtin_memcmp(words, expected, 12) == 0;
}

const char* region_type_name(uint32_t type)
{
    switch (type) {
    case 1: return "available";
    case 3: return "ACPI reclaimable";
    case 4: return "ACPI NVS";
    case 5: return "bad memory";
    default: return "reserved";
    }
}

void print_boot_info(const BootInfo& info)
{
    log(LogCategory::boot, "loader: %s", info.bootloader_name[0] ? info.bootloader_name : "(unnamed)");
    log(LogCategory::boot, "command line: \"%s\"", info.cmdline);
    log(LogCategory::boot, "memory: %u KiB lower, %u KiB upper", info.mem_lower_kib, info.mem_upper_kib);
    log(LogCategory::boot, "memory map (%zu regions%s):", info.region_count, info.regions_truncated ? ", truncated" : "");
    for (size_t i = 0; i < info.region_count; ++i) {
        const BootInfo::Region& r = info.regions[i];
        log(LogCategory::boot, "  [%016lx-%016lx) %s", r.base, r.base + r.length, region_type_name(r.type));
    }
    for (size_t i = 0; i < info.module_count; ++i) {
        const BootInfo::Module& m = info.modules[i];
        log(LogCategory::boot, "module %zu: [%lx-%lx) \"%s\"", i, m.start, m.end, m.name);
    }
}

/* `tickless=off` keeps the periodic tick while the CPU idles (time/timer.h). */
void configure_tickless_idle(const CommandLine& cmdline)
{
    char mode[8];
    if (cmdline.value("tickless", mode, sizeof(mode)) && __builtin_strcmp(mode, "off") == 0)
        timer::set_tickless(false);
    log(LogCategory::interrupt, "tickless idle: %s", timer::tickless() ? "on (the tick stops while the CPU idles)" : "off");
}

/* Descriptor tables, the interrupt controllers and the timer, then interrupts
 * on, the TSC calibrated against the timer, and the input devices. */
void init_interrupts_and_time()
{
    gdt::init();
    idt::init();
    fpu::init();
    pic8259::init();
    pit8254::init();
    cpu::sti();
    log(LogCategory::interrupt, "GDT at %p with TSS at %p, IDT at %p, 8259 PICs at vectors 0x%x/0x%x",
        reinterpret_cast<void*>(gdt::base()), reinterpret_cast<void*>(gdt::tss_base()),
        reinterpret_cast<void*>(idt::base()), pic8259::MASTER_VECTOR_BASE, pic8259::SLAVE_VECTOR_BASE);
    uint32_t tick_counts = pit8254::tick_counts();
    uint64_t tick_millihertz = (pit8254::INPUT_HZ * 1000 + tick_counts / 2) / tick_counts;
    log(LogCategory::interrupt, "PIT tick: divisor %u, %lu.%03lu Hz, %lu ns per tick", tick_counts & 0xFFFF,
        tick_millihertz / 1000, tick_millihertz % 1000, pit8254::tick_ns());

    clock::Calibration calibration = clock::calibrate();
    if (calibration.error != clock::ClockError::none)
        panic("cannot calibrate the TSC: neither PIT channel 2 nor the PIT tick works");
    log(LogCategory::interrupt, "TSC: %lu.%03lu MHz (calibrated with the %s)", calibration.tsc_hz / 1000000,
        calibration.tsc_hz / 1000 % 1000, clock::calibration_method_name(calibration.method));

    if (keyboard::init() == i8042::ControllerError::none)
        log(LogCategory::device, "PS/2 keyboard on IRQ %u", keyboard::IRQ);
    else
        log(LogCategory::device, "no PS/2 controller answered: no keyboard");
    console_input::init_serial_input();
    log(LogCategory::device, "COM1 input on IRQ 4");
}

/* Developer switches that prove the harness reports crashes: crash=panic,
 * crash=triple_fault, crash=hang, crash=page_fault, and the memory guards'
 * (mm/memory_crash.h). */
void crash_on_request(const CommandLine& cmdline)
{
    char what[32];
    if (!cmdline.value("crash", what, sizeof(what)))
        return;
    if (__builtin_strcmp(what, "panic") == 0)
        panic("deliberate panic requested on the command line");
    if (__builtin_strcmp(what, "triple_fault") == 0) {
        log(LogCategory::boot, "deliberate triple fault requested on the command line");
        struct [[gnu::packed]] {
            uint16_t limit;
            uint64_t base;
        } empty_idt{0, 0};
        asm volatile("lidt %0; int3" ::"m"(empty_idt));
    }
    if (__builtin_strcmp(what, "hang") == 0) {
        log(LogCategory::boot, "deliberate hang requested on the command line");
        cpu::halt_forever();
    }
    if (__builtin_strcmp(what, "page_fault") == 0) {
        log(LogCategory::boot, "deliberate page fault requested on the command line");
        *reinterpret_cast<volatile uint64_t*>(DELIBERATE_FAULT_ADDRESS) = 42;
    }
    crash_memory_on_request(what);
    if (provoke_sync_misuse(what))
        return;
    log(LogCategory::boot, "unknown crash=%s ignored (panic, triple_fault, hang, page_fault, %s, the sync misuses of sync/sync_misuse.h)", what, MEMORY_CRASH_WORDS);
}

} // namespace

const BootInfo& boot_info() { return the_boot_info; }

PhysicalRange kernel_image_range()
{
    return {uint64_t(__image_start) - KERNEL_VMA, uint64_t(__image_end) - KERNEL_VMA};
}

extern "C" [[noreturn]] void kernel_entry(uint32_t magic, uint32_t info_address)
{
    uint64_t entry_tsc = cpu::rdtsc();
    cxx::run_global_constructors();
    serial::init();
    vga_text::init();
    if (running_under_matryoshka())
        log_set_source("guest");

    log(LogCategory::boot, "Matryoshka kernel, built " __DATE__ " " __TIME__);
    /* In Bochs and in QEMU with -icount the TSC counts emulated instructions, so this
     * is the boot benchmark's figure (tools/bench/boot_time.py). */
    log(LogCategory::boot, "time stamp counter at banner: %lu", cpu::rdtsc());
    log(LogCategory::boot, "time stamp counter at kernel entry: %lu", entry_tsc);
    MultibootError error = parse_multiboot(magic, info_address, direct_map_access, the_boot_info);
    if (error != MultibootError::none)
        panic("%s (magic %x, information at %x)", multiboot_error_name(error), magic, info_address);
    print_boot_info(the_boot_info);

    PageManager::init(the_boot_info);
    ArchMemory::init();
    kernel_heap::init();
    log(LogCategory::memory, "free memory: %zu MiB", PageManager::instance().free_page_count() * PAGE_SIZE / (1024 * 1024));
    init_interrupts_and_time();
    gdb_stub::start_if_requested(the_boot_info.cmdline);
    Scheduler::instance().init();
    pit8254::set_tick_hook([](TrapFrame&) { Scheduler::instance().on_tick(); });
    timer::init();
    kernel_vfs::init(the_boot_info);
    ProcessRegistry::instance().init();
    terminals::init();
    vm_console::init();
    vm_serial::init();

    CommandLine cmdline(the_boot_info.cmdline);
    if (cmdline.has("debugcon"))
        console_use_debug_port();
    crash_on_request(cmdline);
    fault_injection::configure(cmdline);
    configure_tickless_idle(cmdline);
    /* The end of booting, whatever comes next: the boot benchmark's span. */
    log(LogCategory::boot, "time stamp counter at boot end: %lu", cpu::rdtsc());
    if (cmdline.list_contains("bench", "vfs"))
        vfs_benchmark::run();

    /* VMs named on the command line run first; the host goes on afterwards (with
     * its tests, when test= names some), which shows it survived them. */
    bool ran_vms = run_vms_from_command_line(cmdline);

    char sets[200];
    if (cmdline.value("test", sets, sizeof(sets))) {
        TestSummary summary = run_kernel_tests(sets);
        power_off(summary.failed ? PowerOffStatus::failed : PowerOffStatus::passed);
    }

    if (run_benchmarks(cmdline) || ran_vms) {
        log(LogCategory::boot, "POWER OFF: passed");
        power_off(PowerOffStatus::passed);
    }

    if (cmdline.has("echo_input"))
        echo_input::run_until_poweroff();

    char programs[200];
    if (cmdline.value("run", programs, sizeof(programs)))
        user_sessions::run_programs(programs);
    user_sessions::run_shells();
}
