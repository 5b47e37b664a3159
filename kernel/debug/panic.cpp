/* Kernel panic with registers and a frame-pointer stack trace. */
#include "panic.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "lib/format.h"
#include "power/power.h"

#include <stdarg.h>
#include <stdint.h>

namespace {

bool in_panic = false;

/* Stacks live in the image (the boot stack) or in the direct map (threads). */
bool is_kernel_address(uint64_t address) { return address >= DIRECT_MAP_BASE; }

} // namespace

void print_stack_trace(unsigned long rbp)
{
    log(LogCategory::panic, "stack trace:");
    for (int depth = 0; depth < 32 && rbp && (rbp & 7) == 0 && is_kernel_address(rbp); ++depth) {
        auto* frame = reinterpret_cast<uint64_t*>(rbp);
        uint64_t return_address = frame[1];
        if (!return_address)
            break;
        log(LogCategory::panic, "  #%d %p", depth, reinterpret_cast<void*>(return_address));
        rbp = frame[0];
    }
}

void panic(const char* format, ...)
{
    cpu::cli();
    if (in_panic) {
        log(LogCategory::panic, "PANIC: panic while panicking");
        power_off(PowerOffStatus::failed);
    }
    in_panic = true;

    char reason[256];
    va_list args;
    va_start(args, format);
    vformat_string(reason, sizeof(reason), format, args);
    va_end(args);

    log(LogCategory::panic, "PANIC: %s", reason);
    log(LogCategory::panic, "rsp=%lx rbp=%lx rflags=%lx", cpu::read_rsp(), cpu::read_rbp(), cpu::read_rflags());
    log(LogCategory::panic, "cr0=%lx cr2=%lx cr3=%lx cr4=%lx", cpu::read_cr0(), cpu::read_cr2(), cpu::read_cr3(), cpu::read_cr4());
    print_stack_trace(cpu::read_rbp());
    power_off(PowerOffStatus::failed);
}
