/* In-kernel tests of the VM console (set "vm_console"): the front VM's screen on
 * the host's display, and the host's keyboard typing into the guest. Skips where
 * the CPU has no VMX. The guest is our own kernel booting normally: its files
 * come from the host (the paravirtual file system) and its tty1, on its VGA
 * screen, runs a shell. */
#include "console/vga_text.h"
#include "drivers/i8042.h"
#include "hypervisor/vm/vm.h"
#include "hypervisor/vm_console/vm_console.h"
#include "hypervisor/vm/vm_manager.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vmx/vmx_support.h"
#include "lib/string.h"
#include "sched/scheduler.h"
#include "terminal/terminals.h"
#include "test/kernel_test.h"
#include "time/clock.h"

namespace {

/* True when `text` stands somewhere on the display (what a person sees), at the
 * start of a row when `line_start`. */
bool display_shows(const char* text, bool line_start = false)
{
    size_t length = strlen(text);
    for (int row = 0; row < vga_text::ROWS; ++row) {
        if (line_start) {
            size_t i = 0;
            while (i < length && vga_text::char_at(row, int(i)) == text[i])
                ++i;
            if (i == length && vga_text::char_at(row, int(length)) == ' ')
                return true;
            continue;
        }
        for (int column = 0; column + int(length) <= vga_text::COLUMNS; ++column) {
            size_t i = 0;
            while (i < length && vga_text::char_at(row, column + int(i)) == text[i])
                ++i;
            if (i == length)
                return true;
        }
    }
    return false;
}

bool wait_for_display(const char* text, uint64_t seconds, bool line_start = false)
{
    uint64_t deadline = clock::nanoseconds() + seconds * 1000 * clock::NS_PER_MS;
    while (clock::nanoseconds() < deadline) {
        if (display_shows(text, line_start))
            return true;
        Scheduler::instance().sleep_ns(50 * clock::NS_PER_MS);
    }
    return false;
}

/* Set-1 make and break codes, sent through the host's own 8042 (command 0xD2),
 * so they arrive exactly as typed keys would. */
void type(const uint8_t* scancodes, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        (void)i8042::inject_keyboard_byte(scancodes[i]);
        Scheduler::instance().sleep_ns(2 * clock::NS_PER_MS);
    }
}

} // namespace

KERNEL_TEST(vm_console, guest_screen_shows_and_keys_reach_the_guest_shell)
{
    if (virtualization_backend() == VirtualizationBackend::none) {
        t.skip("this CPU has neither VMX nor SVM");
        return;
    }
    vm_manager::StartRequest request;
    request.path = "/boot/kernel";
    request.cmdline = "";
    vm_manager::StartResult started = vm_manager::start(request);
    if (!started.ok()) {
        t.fail("vm start: %s", started.error);
        return;
    }
    /* As after a normal boot: typed keys go to the terminals (Alt+F<n> switches). */
    terminals::attach_input();
    vm_console::set_front(started.id);
    vm_console::show();
    EXPECT(terminals::visible() == terminals::EXTRA_CONSOLE);
    /* The guest's shell on the host's display: its screen is shown live. (Not
     * its boot banner: ~30 boot lines scroll it off the 25 rows, and a guest
     * that boots within one 50 ms poll was gone before the first look.) */
    EXPECT(wait_for_display("Matryoshka shell.", 60));
    EXPECT(wait_for_display("/$ ", 60));
    /* "echo vmx" and Enter, typed on the host's keyboard: the guest's shell runs
     * its /bin/echo (a file of the host) and the output shows on the display. */
    const uint8_t keys[] = {0x12, 0x92, 0x2E, 0xAE, 0x23, 0xA3, 0x18, 0x98, 0x39, 0xB9,
                            0x2F, 0xAF, 0x32, 0xB2, 0x2D, 0xAD, 0x1C, 0x9C};
    type(keys, sizeof(keys));
    EXPECT(wait_for_display("/$ echo vmx", 30));
    EXPECT(wait_for_display("vmx", 30, true));
    /* Alt+F1 brings the host back; the guest never saw the F1. */
    const uint8_t alt_f1[] = {0x38, 0x3B, 0xBB, 0xB8};
    type(alt_f1, sizeof(alt_f1));
    EXPECT_EQ(terminals::visible(), 1u);
    EXPECT(!vm_console::in_front());
    EXPECT(vm_manager::stop(started.id));
    vm_manager::wait(started.id);
    terminals::detach_input();
}
