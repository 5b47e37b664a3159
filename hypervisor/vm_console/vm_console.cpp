/* The VM console; see vm_console.h. A host thread copies the front VM's text
 * screen (guest RAM at 0xB8000, read through the VGA model's registers) to the
 * display whenever it changed; keys go the other way in the keyboard interrupt. */
#include "hypervisor/vm_console/vm_console.h"

#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "console/vga_text.h"
#include "drivers/keyboard.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm/vm_manager.h"
#include "sched/scheduler.h"
#include "terminal/terminals.h"
#include "time/clock.h"

namespace vm_console {

namespace {

constexpr uint64_t REFRESH_NS = 20 * clock::NS_PER_MS;
constexpr uint8_t ALT_RELEASE = 0xB8; /* set 1 break code of the left Alt key */

volatile int front_vm = 0;
volatile bool showing = false;
bool refresher_started = false;
uint16_t cells[vga_text::COLUMNS * vga_text::ROWS];

/* The front VM's screen as the display shows it: blank when it has none. */
void capture(Vm* vm, uint16_t& cursor)
{
    devices::VgaTextDevice& vga = vm->platform().vga();
    for (int row = 0; row < vga_text::ROWS; ++row) {
        for (int column = 0; column < vga_text::COLUMNS; ++column)
            cells[row * vga_text::COLUMNS + column] =
                uint16_t(vga.char_at(row, column) | vga.attribute_at(row, column) << 8);
    }
    devices::VgaTextDevice::Cursor at = vga.cursor();
    cursor = at.visible ? uint16_t(at.row * vga_text::COLUMNS + at.column) : uint16_t(0xFFFF);
}

void refresh(bool force)
{
    /* Interrupts off: the VM's thread cannot end it (and give back its RAM)
     * while its screen is copied. */
    InterruptGuard guard;
    if (!showing)
        return;
    Vm* vm = vm_manager::find(front_vm);
    uint16_t cursor = 0xFFFF;
    if (vm && !vm->ended() && vm->has_platform()) {
        if (!vm->platform().vga().changed_since_last_look() && !force)
            return;
        capture(vm, cursor);
    } else {
        for (uint16_t& cell : cells)
            cell = 0x0720;
    }
    vga_text::show_cells(cells, cursor);
}

void refresher(void*)
{
    for (;;) {
        refresh(false);
        Scheduler::instance().sleep_ns(REFRESH_NS);
    }
}

bool forward_scancode(uint8_t byte)
{
    if (!showing)
        return false;
    Vm* vm = vm_manager::find(front_vm);
    if (vm && !vm->ended() && vm->has_platform())
        (void)vm->platform().keyboard().press(&byte, 1);
    return true; /* the host's terminals never see keys meant for the guest */
}

void on_show()
{
    showing = true;
    refresh(true);
}

void on_hide()
{
    showing = false;
    Vm* vm = vm_manager::find(front_vm);
    if (vm && !vm->ended() && vm->has_platform())
        (void)vm->platform().keyboard().press(&ALT_RELEASE, 1);
}

const terminals::ExtraConsole CONSOLE = {on_show, on_hide};

} // namespace

void init()
{
    terminals::set_extra_console(&CONSOLE);
    keyboard::set_raw_scancode_hook(forward_scancode);
}

void set_front(int vm_id)
{
    front_vm = vm_id;
    if (!refresher_started) {
        refresher_started = true;
        Scheduler::instance().detach(Scheduler::instance().spawn(refresher, nullptr, "vm console"));
    }
    refresh(true);
}

int front() { return front_vm; }

void show() { terminals::switch_to(terminals::EXTRA_CONSOLE); }

bool in_front() { return showing; }

} // namespace vm_console
