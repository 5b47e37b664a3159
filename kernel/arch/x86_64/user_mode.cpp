/* SYSCALL set-up and the first entry into ring 3; see user_mode.h. MSRs: Intel
 * SDM (revision 084), Vol. 4, "IA32_EFER", "IA32_STAR", "IA32_LSTAR",
 * "IA32_FMASK". */
#include "arch/x86_64/user_mode.h"

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "debug/panic.h"
#include "lib/string.h"
#include "syscall/syscall_table.h"

extern "C" void fast_syscall_entry();
extern "C" [[noreturn]] void enter_user_frame(const TrapFrame* frame, TrapFrame* destination);

namespace user_mode {

namespace {


static_assert(gdt::USER_CODE64_SELECTOR == USER_CODE64_SELECTOR_VALUE);
static_assert(gdt::USER_DATA_SELECTOR == USER_DATA_SELECTOR_VALUE);
/* SYSRET to 64-bit code takes CS from STAR[63:48] + 16 and SS from + 8. */
static_assert(gdt::USER_CODE32_SELECTOR + 16 == gdt::USER_CODE64_SELECTOR);
static_assert(gdt::USER_CODE32_SELECTOR + 8 == gdt::USER_DATA_SELECTOR);
static_assert(gdt::KERNEL_CODE_SELECTOR + 8 == gdt::KERNEL_DATA_SELECTOR);

uint64_t syscalls = 0;

} // namespace

void init()
{
    uint64_t star = uint64_t(gdt::USER_CODE32_SELECTOR) << 48 | uint64_t(gdt::KERNEL_CODE_SELECTOR) << 32;
    cpu::wrmsr(Msr::star, star);
    cpu::wrmsr(Msr::lstar, reinterpret_cast<uint64_t>(&fast_syscall_entry));
    /* Intel CPUs refuse SYSCALL in compatibility mode (#UD), but AMD's and QEMU's
     * take it through IA32_CSTAR, and ring 3 can reach compatibility mode with a
     * far jump to USER_CODE32_SELECTOR. Rather than jump to whatever CSTAR holds,
     * such a call is handled like any other and returns to 64-bit mode. */
    cpu::wrmsr(Msr::cstar, reinterpret_cast<uint64_t>(&fast_syscall_entry));
    /* RFLAGS bits SYSCALL clears: IF (no interrupt before the frame is on the kernel
     * stack), DF (the ABI), TF (no single step into the kernel), AC (no alignment
     * checks in the kernel), NT. */
    cpu::wrmsr(Msr::fmask, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
    cpu::wrmsr(Msr::efer, cpu::rdmsr(Msr::efer) | EFER_SCE);
}

TrapFrame initial_frame(uint64_t entry, uint64_t stack_pointer)
{
    TrapFrame frame;
    memset(&frame, 0, sizeof(frame));
    frame.rip = entry;
    frame.cs = gdt::USER_CODE64_SELECTOR;
    frame.rflags = INITIAL_RFLAGS;
    frame.rsp = stack_pointer;
    frame.ss = gdt::USER_DATA_SELECTOR;
    return frame;
}

TrapFrame* frame_below(uint64_t kernel_stack_top)
{
    /* The CPU aligns RSP0 down to 16 before it pushes; the syscall entry uses it
     * as it is. Thread stacks are 16-byte aligned, so both agree. */
    KERNEL_ASSERT(kernel_stack_top % 16 == 0);
    return reinterpret_cast<TrapFrame*>(kernel_stack_top - sizeof(TrapFrame));
}

void enter(const TrapFrame& frame, uint64_t kernel_stack_top)
{
    cpu::cli();
    TrapFrame* slot = frame_below(kernel_stack_top);
    /* enter_user_frame copies the frame below RSP first: that copy must not
     * reach into the slot. */
    KERNEL_ASSERT(cpu::read_rsp() + 64 < uint64_t(slot));
    enter_user_frame(&frame, slot);
}

uint64_t syscall_count() { return syscalls; }

} // namespace user_mode

/* Called by fast_syscall_entry (syscall_entry.S) with interrupts on: the number in RAX, the arguments
 * in RDI, RSI, RDX, R10, R8, R9 (docs/syscalls.md); the result goes to RAX. */
extern "C" void syscall_handle(TrapFrame* frame)
{
    ++user_mode::syscalls;
    SyscallArguments arguments{{frame->rdi, frame->rsi, frame->rdx, frame->r10, frame->r8, frame->r9}};
    frame->rax = uint64_t(dispatch_syscall(frame->rax, arguments));
}
