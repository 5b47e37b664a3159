/* vm send and vm attach; see vm_serial.h. On one CPU, an interrupt guard makes
 * each step atomic against the COM1 interrupt and the VM's thread (whose exit
 * handlers run with interrupts off). */
#include "hypervisor/vm_console/vm_serial.h"

#include "abi/errno.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/console_input.h"
#include "console/log.h"
#include "console/serial.h"
#include "hypervisor/devices/guest_text.h"
#include "hypervisor/vm_console/detach_escape.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "lib/format.h"
#include "sched/scheduler.h"
#include "time/clock.h"

namespace vm_serial {

namespace {

/* How often attach() looks for a detach (a Ctrl-] whose window ran out) and
 * the VM's end: below what a person notices, and no hook into the VM's run
 * loop is needed. */
constexpr uint64_t POLL_NS = 20 * clock::NS_PER_MS;
constexpr uint8_t BACKSPACE = 0x08;

volatile int attached_vm = 0;
volatile bool detach_requested = false;
/* What Ctrl-] means this attachment (detach_escape.h); touched with
 * interrupts off only (the COM1 interrupt, attach()'s guarded poll). */
DetachEscape escape;
size_t dropped = 0; /* typed bytes the VM's full queue refused, this attachment */
/* Guest characters shown after the "[vmN] " of the current host line. */
size_t live_column = 0;

Vm* running_vm(int id)
{
    Vm* vm = id > 0 ? vm_manager::find(id) : nullptr;
    return vm && !vm->ended() && vm->has_platform() ? vm : nullptr;
}

/* In the COM1 interrupt handler. Once a detach is decided, what follows goes
 * to the host's terminal: it was typed for the host's shell. */
bool forward_typed_byte(char byte)
{
    if (!attached_vm || detach_requested)
        return false;
    uint8_t raw = uint8_t(byte);
    switch (escape.on_byte(raw, clock::nanoseconds())) {
    case DetachEscape::Action::hold: return true;
    case DetachEscape::Action::detach: detach_requested = true; return false;
    case DetachEscape::Action::forward_escape: raw = DetachEscape::ESCAPE_KEY; break;
    case DetachEscape::Action::forward: break;
    }
    Vm* vm = running_vm(attached_vm);
    if (vm && vm->platform().send_serial(&raw, 1) == 0)
        ++dropped;
    return true; /* the host's terminal never sees what is typed into the guest */
}

/* One guest COM1 byte on the host's COM1, from the VM's thread. Guest text is
 * made printable as for relayed lines (devices/guest_text.h); '\n' ends the
 * line, '\r' is dropped (the guest sends "\r\n"), and a backspace may erase
 * only what the guest wrote on this line, never the "[vmN] " before it. */
void show_live(void* vm_id, uint8_t byte)
{
    InterruptGuard guard;
    if (byte == '\r' || (byte == BACKSPACE && live_column == 0))
        return;
    if (serial::at_line_start()) {
        char prefix[24];
        size_t length = format_string(prefix, sizeof(prefix), "[vm%d] ", int(reinterpret_cast<intptr_t>(vm_id)));
        serial::write(prefix, length);
        live_column = 0;
    }
    if (byte == '\n') {
        serial::write("\n", 1);
        return;
    }
    char shown = byte == BACKSPACE ? char(byte) : devices::printable_guest_char(char(byte));
    serial::write(&shown, 1);
    live_column = byte == BACKSPACE ? live_column - 1 : live_column + 1;
}

void start_live_output(Vm& vm)
{
    char partial[devices::LineAssembler::MAX_LINE + 1];
    devices::ByteSink live{show_live, reinterpret_cast<void*>(intptr_t(vm.id()))};
    size_t length = vm.platform().set_live_serial(live, partial, sizeof(partial));
    /* The guest's lines start lines of the host's COM1; the one it began before
     * (its prompt) is shown again and continues live. */
    if (!serial::at_line_start())
        serial::write("\n", 1);
    for (size_t i = 0; i < length; ++i)
        show_live(live.context, uint8_t(partial[i]));
}

/* Also for a VM that has ended: its record keeps the platform. */
void stop_live_output(int vm_id)
{
    char unused[2];
    Vm* vm = vm_manager::find(vm_id);
    if (vm && vm->has_platform())
        (void)vm->platform().set_live_serial(devices::ByteSink{}, unused, sizeof(unused));
    if (!serial::at_line_start())
        serial::write("\n", 1);
}

} // namespace

void init() { console_input::set_serial_hook(forward_typed_byte); }

int64_t send(int vm_id, const uint8_t* bytes, size_t count)
{
    InterruptGuard guard;
    Vm* vm = running_vm(vm_id);
    if (!vm)
        return -ESRCH;
    size_t queued = vm->platform().send_serial(bytes, count);
    if (queued == 0 && count > 0)
        return -EAGAIN;
    return int64_t(queued);
}

int64_t attach(int vm_id)
{
    {
        InterruptGuard guard;
        Vm* vm = running_vm(vm_id);
        if (!vm)
            return -ESRCH;
        if (attached_vm)
            return -EBUSY;
        attached_vm = vm_id;
        detach_requested = false;
        escape.reset();
        dropped = 0;
        start_live_output(*vm);
    }
    for (;;) {
        Scheduler::instance().sleep_ns(POLL_NS);
        InterruptGuard guard;
        Vm* vm = running_vm(vm_id);
        if (escape.window_expired(clock::nanoseconds()))
            detach_requested = true;
        if (vm && !detach_requested)
            continue;
        stop_live_output(vm_id);
        attached_vm = 0;
        if (dropped)
            log(LogCategory::vmx, "vm%d: %zu typed bytes were dropped: its COM1 input queue was full", vm_id, dropped);
        return int64_t(vm ? AttachEnd::detach_key : AttachEnd::vm_ended);
    }
}

int attached() { return attached_vm; }

} // namespace vm_serial
