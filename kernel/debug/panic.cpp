/* Kernel panic with registers and a frame-pointer stack trace. */
#include "panic.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap_frame.h"
#include "console/log.h"
#include "lib/format.h"
#include "power/power.h"

#include <stdarg.h>
#include <stdint.h>

namespace {

bool in_panic = false;

/* Stacks live in the image (the boot stack) or in the direct map (threads). */
bool is_kernel_address(uint64_t address) { return address >= DIRECT_MAP_BASE; }

/* Prints the return addresses of at most 32 frames, numbered from `first_depth`. */
void print_frames(unsigned long rbp, int first_depth)
{
    for (int depth = first_depth; depth < 32 && rbp && (rbp & 7) == 0 && is_kernel_address(rbp); ++depth) {
        auto* frame = reinterpret_cast<uint64_t*>(rbp);
        uint64_t return_address = frame[1];
        if (!return_address)
            break;
        log(LogCategory::panic, "  #%d %p", depth, reinterpret_cast<void*>(return_address));
        rbp = frame[0];
    }
}

/* Stops everything and prints the reason line; a panic inside a panic powers off
 * at once, since the first one's state can no longer be trusted. */
void begin_panic(const char* format, va_list args)
{
    cpu::cli();
    if (in_panic) {
        log(LogCategory::panic, "PANIC: panic while panicking");
        power_off(PowerOffStatus::failed);
    }
    in_panic = true;
    char reason[256];
    vformat_string(reason, sizeof(reason), format, args);
    log(LogCategory::panic, "PANIC: %s", reason);
}

void print_control_registers()
{
    log(LogCategory::panic, "cr0=%lx cr2=%lx cr3=%lx cr4=%lx", cpu::read_cr0(), cpu::read_cr2(), cpu::read_cr3(), cpu::read_cr4());
}

void print_frame_registers(const TrapFrame& f)
{
    log(LogCategory::panic, "rip=%lx cs=%lx rflags=%lx rsp=%lx ss=%lx", f.rip, f.cs, f.rflags, f.rsp, f.ss);
    log(LogCategory::panic, "rax=%lx rbx=%lx rcx=%lx rdx=%lx", f.rax, f.rbx, f.rcx, f.rdx);
    log(LogCategory::panic, "rsi=%lx rdi=%lx rbp=%lx", f.rsi, f.rdi, f.rbp);
    log(LogCategory::panic, "r8=%lx r9=%lx r10=%lx r11=%lx", f.r8, f.r9, f.r10, f.r11);
    log(LogCategory::panic, "r12=%lx r13=%lx r14=%lx r15=%lx", f.r12, f.r13, f.r14, f.r15);
    log(LogCategory::panic, "vector=%lu error_code=%lx", f.vector, f.error_code);
}

} // namespace

void print_stack_trace(unsigned long rbp)
{
    log(LogCategory::panic, "stack trace:");
    print_frames(rbp, 0);
}

void panic(const char* format, ...)
{
    va_list args;
    va_start(args, format);
    begin_panic(format, args);
    va_end(args);

    log(LogCategory::panic, "rsp=%lx rbp=%lx rflags=%lx", cpu::read_rsp(), cpu::read_rbp(), cpu::read_rflags());
    print_control_registers();
    print_stack_trace(cpu::read_rbp());
    power_off(PowerOffStatus::failed);
}

void panic_with_frame(const TrapFrame& frame, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    begin_panic(format, args);
    va_end(args);

    print_frame_registers(frame);
    print_control_registers();
    /* The interrupted instruction first, then its callers from the saved RBP: a
     * frame from user mode has no kernel frames to walk. */
    log(LogCategory::panic, "stack trace:");
    log(LogCategory::panic, "  #0 %p", reinterpret_cast<void*>(frame.rip));
    if (!frame.from_user())
        print_frames(frame.rbp, 1);
    power_off(PowerOffStatus::failed);
}
