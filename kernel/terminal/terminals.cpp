/* Creating, mounting and switching the terminals; see terminals.h. */
#include "terminal/terminals.h"

#include "console/console_input.h"
#include "console/log.h"
#include "console/vga_text.h"
#include "fs/kernel_vfs.h"
#include "lib/format.h"

namespace terminals {

namespace {

static_assert(SCREEN_TERMINALS <= unsigned(vga_text::SCREEN_COUNT));

ScreenTerminal* screens[SCREEN_TERMINALS];
SerialTerminal* serial = nullptr;
LogTerminal* log_device = nullptr;
TerminalFs* devices = nullptr;

const char* const SCREEN_NAMES[SCREEN_TERMINALS] = {"tty1", "tty2", "tty3"};

const ExtraConsole* extra = nullptr;
bool extra_in_front = false;

void keyboard_input(const char* bytes, size_t length)
{
    if (!extra_in_front)
        screens[visible() - 1]->receive(bytes, length);
}
void serial_input(const char* bytes, size_t length) { serial->receive(bytes, length); }
void switch_console(unsigned number) { switch_to(number); }

const console_input::InputRouting ROUTING = {keyboard_input, serial_input, switch_console};

void mount_devices()
{
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall vfs(kernel_vfs::context(), files);
    Result<void> made = vfs.mkdir("/dev");
    if (made.is_error() && made.error() != EEXIST)
        panic("cannot make /dev: %s", errno_name(made.error()));
    Result<RefPtr<Inode>> directory = resolve_path(kernel_vfs::context(), "/dev");
    if (directory.is_error() || kernel_vfs::vfs().mount(directory.value(), *devices).is_error())
        panic("cannot mount the terminals at /dev");
}

} // namespace

void init()
{
    KERNEL_ASSERT(!devices);
    devices = new TerminalFs;
    for (unsigned i = 0; i < SCREEN_TERMINALS; ++i) {
        screens[i] = new ScreenTerminal(SCREEN_NAMES[i], int(i));
        devices->add(*screens[i]);
    }
    serial = new SerialTerminal;
    devices->add(*serial);
    log_device = new LogTerminal;
    devices->add(*log_device);
    mount_devices();
    log(LogCategory::device, "terminals: /dev/tty1../dev/tty%u on the VGA screen (Alt+F1..F%u), /dev/ttyS0 on COM1, /dev/log",
        SCREEN_TERMINALS, SCREEN_TERMINALS);
}

void attach_input() { console_input::set_routing(&ROUTING); }
void detach_input() { console_input::set_routing(nullptr); }

ScreenTerminal& screen_terminal(unsigned index)
{
    KERNEL_ASSERT(devices && index < SCREEN_TERMINALS);
    return *screens[index];
}

SerialTerminal& serial_terminal()
{
    KERNEL_ASSERT(devices);
    return *serial;
}

LogTerminal& log_terminal()
{
    KERNEL_ASSERT(devices);
    return *log_device;
}

TerminalFs& file_system()
{
    KERNEL_ASSERT(devices);
    return *devices;
}

void switch_to(unsigned number)
{
    if (number == EXTRA_CONSOLE && extra) {
        extra_in_front = true;
        extra->show();
        return;
    }
    if (number < 1 || number > SCREEN_TERMINALS)
        return;
    if (extra_in_front && extra)
        extra->hide();
    extra_in_front = false;
    vga_text::show(screens[number - 1]->screen());
}

unsigned visible() { return extra_in_front ? EXTRA_CONSOLE : unsigned(vga_text::visible_screen()) + 1; }

void set_extra_console(const ExtraConsole* console) { extra = console; }

Result<RefPtr<OpenFile>> open(Terminal& terminal)
{
    char path[32];
    format_string(path, sizeof(path), "/dev/%s", terminal.name());
    MutexLocker locker(kernel_vfs::lock());
    FileDescriptorTable files;
    VfsSyscall vfs(kernel_vfs::context(), files);
    int fd = TRY(vfs.open(path, O_RDWR));
    return files.get(fd);
}

} // namespace terminals
