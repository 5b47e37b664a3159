/* vm: starts, lists and stops virtual machines and talks to their COM1, through
 * the vm_* system calls (abi/vm.h, docs/syscalls.md).
 *   vm start [--mem MiB] [--append "cmdline"] [--root DIR] [--writable DIR|none]
 *            [--quota-bytes N] [--quota-files N] [--disk IMAGE[,ro]]... [--sweb-vendor]
 *            [--nested on|off] [--front] [--attach] FILE [modules...]
 *                   (the guest sees DIR (default /) read-only except beneath the
 *                    writable directory, default /shared; docs/hypercalls.md;
 *                    each --disk is the next IDE unit: primary master, primary
 *                    slave, secondary master, secondary slave, "none" skips one;
 *                    docs/devices.md)
 *   vm list         (with each VM's storage on the host: used/quota bytes and files)
 *   vm stop ID
 *   vm wait ID      (until the VM has ended; prints how)
 *   vm front ID     (the VM console, Alt+F4, shows it and takes the keyboard;
 *                    Alt+F1..F3 bring the host's terminals back)
 *   vm send ID TEXT...  (types TEXT and Enter into the VM's COM1)
 *   vm attach ID    (COM1's terminal typed into the VM's COM1, its output shown,
 *                    until Ctrl-] returns to the host's shell; Ctrl-] Ctrl-]
 *                    types one Ctrl-] into the VM, which is how a VM attached to
 *                    its own guest is told to detach from it)
 *   vm screen ID    (prints the VM's 80x25 text screen, live or as it ended)
 *   vm keys ID TEXT...  (types TEXT on the VM's PS/2 keyboard; \n is Enter) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abi/vm.h"

namespace {

const char* const USAGE =
    "usage: vm start [--mem MiB] [--append \"cmdline\"] [--root DIR] [--writable DIR|none]\n"
    "                [--quota-bytes N] [--quota-files N] [--disk IMAGE[,ro]|none]... [--sweb-vendor]\n"
    "                [--nested on|off] [--front] [--attach] FILE [modules...]\n"
    "       vm list\n"
    "       vm stop ID\n"
    "       vm wait ID\n"
    "       vm front ID    (Alt+F1..F3 return to the host)\n"
    "       vm send ID TEXT...    (TEXT and Enter into the VM's COM1)\n"
    "       vm attach ID   (this terminal into the VM's COM1; Ctrl-] returns to the host,\n"
    "                       Ctrl-] Ctrl-] types one Ctrl-] into the VM)\n"
    "       vm screen ID   (the VM's text screen, live or as it ended)\n"
    "       vm keys ID TEXT...    (TEXT typed on the VM's keyboard; \\n is Enter, \\t Tab, \\\\ a backslash)\n";

int fail(const char* message)
{
    dprintf(2, "vm: %s\n%s", message, USAGE);
    return 2;
}

/* Copies `text` into a fixed field, refusing what does not fit. */
bool set_field(char* field, size_t size, const char* text, const char* what)
{
    if (strlen(text) >= size) {
        dprintf(2, "vm: %s is too long (at most %zu characters)\n", what, size - 1);
        return false;
    }
    strcpy(field, text);
    return true;
}

/* The largest VM id: ids go to the kernel as an int. */
constexpr uint64_t MAX_ID = 0x7fffffff;
/* MiB of guest RAM that still fit in 64 bits as bytes (the kernel then says
 * what it can give). */
constexpr uint64_t MAX_MIB = UINT64_MAX >> 20;

/* `text` as a decimal number from 1 to `max`. Otherwise says so after `usage`
 * (what the option or command takes), quoting what was typed: a number too
 * large for `max` is refused, never cut to another. */
bool parse_number(const char* text, uint64_t max, const char* usage, uint64_t& value)
{
    value = 0;
    bool digits = *text != '\0';
    bool too_large = false;
    for (const char* p = text; *p && digits; ++p) {
        if (*p < '0' || *p > '9') {
            digits = false;
            break;
        }
        uint64_t digit = uint64_t(*p - '0');
        if (value > (max - digit) / 10)
            too_large = true;
        else
            value = value * 10 + digit;
    }
    if (!digits || (value == 0 && !too_large)) {
        dprintf(2, "vm: %s: \"%s\" is not a number from 1 to %lu\n", usage, text, (unsigned long)max);
        return false;
    }
    if (too_large) {
        dprintf(2, "vm: %s: \"%s\" is too large (at most %lu)\n", usage, text, (unsigned long)max);
        return false;
    }
    return true;
}

/* Whether VM `id` runs; if not, says why it cannot take input (there is none,
 * or it has ended). */
bool check_running(uint64_t id)
{
    VmInfo vms[8];
    int count = vm_list(vms, 8);
    for (int i = 0; i < count && i < 8; ++i) {
        if (uint64_t(vms[i].id) != id)
            continue;
        if (vms[i].state == VM_RUNNING)
            return true;
        dprintf(2, "vm: vm%lu is not running (%s)\n", (unsigned long)id, vms[i].reason);
        return false;
    }
    dprintf(2, "vm: there is no vm%lu (vm list shows the VMs)\n", (unsigned long)id);
    return false;
}

/* vm attach forwards COM1; from another terminal nobody could type Ctrl-] there. */
bool on_com1()
{
    struct stat in, com1;
    return fstat(0, &in) == 0 && stat("/dev/ttyS0", &com1) == 0 && in.st_dev == com1.st_dev && in.st_ino == com1.st_ino;
}

int attach_to(int id)
{
    if (!on_com1()) {
        dprintf(2, "vm: vm attach types COM1's terminal (/dev/ttyS0) into the VM; on this terminal use vm front %d "
                   "(Alt+F4)\n", id);
        return 1;
    }
    if (!check_running(uint64_t(id)))
        return 1;
    printf("vm%d is in front on COM1: you are typing into its shell. Ctrl-] returns to the host. "
           "Ctrl-] Ctrl-] types one Ctrl-] into vm%d.\n", id, id);
    int ended = vm_attach(id);
    if (ended < 0) {
        if (errno == EBUSY)
            dprintf(2, "vm: COM1 is attached to a VM already\n");
        else
            (void)check_running(uint64_t(id)); /* it ended in between */
        return 1;
    }
    if (ended == 1)
        printf("vm%d has ended; back in the host's shell.\n", id);
    else
        printf("Ctrl-]: back in the host's shell (vm%d runs on; vm attach %d returns to it).\n", id, id);
    return 0;
}

/* `--disk IMAGE[,ro]`: the next IDE unit (primary master first); "none"
 * leaves it empty (a secondary channel disk without a primary slave). */
bool add_disk(VmStartRequest& request, unsigned& next_unit, const char* argument)
{
    if (next_unit == VM_MAX_DISKS) {
        dprintf(2, "vm: at most %d disks\n", VM_MAX_DISKS);
        return false;
    }
    unsigned unit = next_unit++;
    if (strcmp(argument, "none") == 0)
        return true;
    size_t length = strlen(argument);
    if (length > 3 && strcmp(argument + length - 3, ",ro") == 0) {
        request.disk_flags[unit] = VM_DISK_READ_ONLY;
        length -= 3;
    }
    if (length == 0 || length >= VM_PATH_LENGTH) {
        dprintf(2, "vm: --disk needs an image path of at most %d characters\n", VM_PATH_LENGTH - 1);
        return false;
    }
    memcpy(request.disks[unit], argument, length);
    request.disks[unit][length] = '\0';
    return true;
}

int start(int argc, char** argv)
{
    VmStartRequest request;
    memset(&request, 0, sizeof(request));
    request.memory_mib = 32;
    int i = 2;
    bool front = false, attach = false;
    unsigned next_disk = 0;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        if (strcmp(argv[i], "--front") == 0) {
            front = true;
            continue;
        }
        if (strcmp(argv[i], "--attach") == 0) {
            attach = true;
            continue;
        }
        if (strcmp(argv[i], "--sweb-vendor") == 0) {
            request.flags |= VM_START_SWEB_VENDOR;
            continue;
        }
        if (i + 1 >= argc)
            return fail("an option lacks its value");
        if (strcmp(argv[i], "--nested") == 0) {
            /* Whether the guest is offered VMX; without it, the host's vm_nested= decides. */
            const char* choice = argv[++i];
            request.flags &= ~(VM_START_NESTED_ON | VM_START_NESTED_OFF);
            if (strcmp(choice, "on") == 0)
                request.flags |= VM_START_NESTED_ON;
            else if (strcmp(choice, "off") == 0)
                request.flags |= VM_START_NESTED_OFF;
            else
                return fail("--nested takes on or off");
        } else if (strcmp(argv[i], "--mem") == 0) {
            if (!parse_number(argv[++i], MAX_MIB, "--mem takes a number of MiB", request.memory_mib))
                return 2;
        } else if (strcmp(argv[i], "--quota-bytes") == 0) {
            if (!parse_number(argv[++i], UINT64_MAX, "--quota-bytes (bytes)", request.quota_bytes))
                return 2;
        } else if (strcmp(argv[i], "--quota-files") == 0) {
            if (!parse_number(argv[++i], UINT64_MAX, "--quota-files (files)", request.quota_files))
                return 2;
        } else if (strcmp(argv[i], "--append") == 0) {
            if (!set_field(request.cmdline, sizeof(request.cmdline), argv[++i], "the command line"))
                return 2;
        } else if (strcmp(argv[i], "--disk") == 0) {
            if (!add_disk(request, next_disk, argv[++i]))
                return 2;
        } else if (strcmp(argv[i], "--root") == 0) {
            if (!set_field(request.root, sizeof(request.root), argv[++i], "the root directory"))
                return 2;
        } else if (strcmp(argv[i], "--writable") == 0) {
            if (!set_field(request.writable, sizeof(request.writable), argv[++i], "the writable directory"))
                return 2;
        } else {
            dprintf(2, "vm: unknown option %s\n", argv[i]);
            return fail("see the usage");
        }
    }
    if (i >= argc)
        return fail("vm start needs a kernel FILE");
    if (!set_field(request.path, sizeof(request.path), argv[i++], "the kernel path"))
        return 2;
    for (; i < argc; ++i) {
        if (request.module_count == VM_MAX_MODULES)
            return fail("too many modules");
        if (!set_field(request.modules[request.module_count++], VM_PATH_LENGTH, argv[i], "a module path"))
            return 2;
    }
    int id = vm_start(&request);
    if (id < 0) {
        if (request.error[0])
            dprintf(2, "vm: %s\n", request.error);
        else
            dprintf(2, "vm: cannot start %s: %s\n", request.path, strerror(errno));
        return 1;
    }
    printf("vm%d started: %s (root %s), quota %lu bytes and %lu files\n", id, request.path, request.root,
           (unsigned long)(request.quota_bytes ? request.quota_bytes : VM_DEFAULT_QUOTA_BYTES),
           (unsigned long)(request.quota_files ? request.quota_files : VM_DEFAULT_QUOTA_FILES));
    if (request.error[0])
        printf("vm%d: %s\n", id, request.error);
    if (front && vm_front(id) == 0)
        printf("vm%d is in front on the VM console: Alt+F1 returns to the host\n", id);
    if (attach)
        return attach_to(id);
    return 0;
}

const char* state_name(uint32_t state)
{
    switch (state) {
    case VM_RUNNING: return "running";
    case VM_STOPPED: return "stopped";
    case VM_HALTED: return "halted";
    default: return "failed";
    }
}

int list()
{
    VmInfo vms[8];
    int count = vm_list(vms, 8);
    if (count < 0) {
        dprintf(2, "vm: %s\n", strerror(errno));
        return 1;
    }
    printf("%-4s %-8s %6s %9s %10s %19s %11s  %s\n", "ID", "STATE", "MiB", "UPTIME", "EXITS", "KIB USED/QUOTA",
           "FILES", "KERNEL / REASON");
    for (int i = 0; i < count && i < 8; ++i) {
        const VmInfo& vm = vms[i];
        char storage[32], files[32];
        snprintf(storage, sizeof(storage), "%lu/%lu", (unsigned long)(vm.quota_bytes_used >> 10),
                 (unsigned long)(vm.quota_bytes >> 10));
        snprintf(files, sizeof(files), "%lu/%lu", (unsigned long)vm.quota_files_used, (unsigned long)vm.quota_files);
        printf("%-4d %-8s %6lu %7lus %10lu %19s %11s  %s %s\n", vm.id, state_name(vm.state),
               (unsigned long)vm.memory_mib, (unsigned long)(vm.uptime_ms / 1000), (unsigned long)vm.exit_count,
               storage, files, vm.path, vm.cmdline);
        if (vm.reason[0])
            printf("%-4s %s\n", "", vm.reason);
    }
    return 0;
}

int stop(int argc, char** argv)
{
    uint64_t id;
    if (argc != 3)
        return fail("vm stop takes one VM id, as vm list shows it");
    if (!parse_number(argv[2], MAX_ID, "vm stop takes one VM id, as vm list shows it", id))
        return 2;
    if (vm_stop(int(id)) < 0) {
        dprintf(2, "vm: no running vm%lu (%s)\n", (unsigned long)id, strerror(errno));
        return 1;
    }
    printf("vm%lu stopping\n", (unsigned long)id);
    return 0;
}

int bring_to_front(int argc, char** argv)
{
    uint64_t id;
    if (argc != 3)
        return fail("vm front takes one VM id, as vm list shows it");
    if (!parse_number(argv[2], MAX_ID, "vm front takes one VM id, as vm list shows it", id))
        return 2;
    if (vm_front(int(id)) < 0) {
        dprintf(2, "vm: no running vm%lu (%s)\n", (unsigned long)id, strerror(errno));
        return 1;
    }
    printf("vm%lu is in front on the VM console: Alt+F1 returns to the host\n", (unsigned long)id);
    return 0;
}

int send(int argc, char** argv)
{
    uint64_t id;
    if (argc < 4)
        return fail("vm send takes a VM id, as vm list shows it, and the text to type");
    if (!parse_number(argv[2], MAX_ID, "vm send takes a VM id, as vm list shows it", id))
        return 2;
    /* The words joined by spaces, then Enter as a terminal sends it ('\r'). */
    char text[VM_SEND_MAX];
    size_t length = 0;
    for (int i = 3; i < argc; ++i) {
        size_t word = strlen(argv[i]);
        size_t needed = length + (i > 3 ? 1 : 0) + word + 1;
        if (needed > sizeof(text)) {
            dprintf(2, "vm: the text is too long: at most %d bytes with its Enter\n", VM_SEND_MAX);
            return 2;
        }
        if (i > 3)
            text[length++] = ' ';
        memcpy(text + length, argv[i], word);
        length += word;
    }
    text[length++] = '\r';
    ssize_t queued = vm_send(int(id), text, length);
    if (queued < 0 && errno == ESRCH) {
        (void)check_running(id);
        return 1;
    }
    if (queued < 0 || size_t(queued) < length) {
        dprintf(2, "vm: vm%lu's COM1 input is full (the guest is not reading it): %ld of %zu bytes queued\n",
                (unsigned long)id, long(queued < 0 ? 0 : queued), length);
        return 1;
    }
    return 0;
}

int attach(int argc, char** argv)
{
    uint64_t id;
    if (argc != 3)
        return fail("vm attach takes one VM id, as vm list shows it");
    if (!parse_number(argv[2], MAX_ID, "vm attach takes one VM id, as vm list shows it", id))
        return 2;
    return attach_to(int(id));
}

int wait(int argc, char** argv)
{
    uint64_t id;
    if (argc != 3)
        return fail("vm wait takes one VM id, as vm list shows it");
    if (!parse_number(argv[2], MAX_ID, "vm wait takes one VM id, as vm list shows it", id))
        return 2;
    for (;;) {
        VmInfo vms[8];
        int count = vm_list(vms, 8);
        const VmInfo* found = nullptr;
        for (int i = 0; i < count && i < 8; ++i) {
            if (uint64_t(vms[i].id) == id)
                found = &vms[i];
        }
        if (!found) {
            dprintf(2, "vm: there is no vm%lu\n", (unsigned long)id);
            return 1;
        }
        if (found->state != VM_RUNNING) {
            printf("vm%lu %s: %s\n", (unsigned long)id, state_name(found->state), found->reason);
            /* A halted guest ended in order (its last `cli; hlt`); only a failure is an error. */
            return found->state == VM_FAILED ? 1 : 0;
        }
        sleep_ms(100);
    }
}

int screen(int argc, char** argv)
{
    uint64_t id;
    if (argc != 3)
        return fail("vm screen takes one VM id, as vm list shows it");
    if (!parse_number(argv[2], MAX_ID, "vm screen takes one VM id, as vm list shows it", id))
        return 2;
    char text[VM_SCREEN_TEXT_MAX];
    ssize_t length = vm_screen(int(id), text, sizeof(text));
    if (length < 0) {
        dprintf(2, "vm: there is no vm%lu (vm list shows the VMs)\n", (unsigned long)id);
        return 1;
    }
    /* Framed, so that blank rows and the screen's edges show. */
    printf("+--------------------------------------------------------------------------------+\n");
    for (ssize_t start = 0; start < length;) {
        ssize_t end = start;
        while (end < length && text[end] != '\n')
            ++end;
        printf("|%-80.*s|\n", int(end - start), text + start);
        start = end + 1;
    }
    printf("+--------------------------------------------------------------------------------+\n");
    return 0;
}

/* The words joined by spaces, with \n (Enter), \t (Tab), \b (Backspace), \e
 * (Escape) and \\ (a backslash) turned into their bytes. */
bool key_text(int argc, char** argv, char (&text)[VM_KEYS_MAX], size_t& length)
{
    length = 0;
    auto put = [&](char c) {
        if (length == sizeof(text)) {
            dprintf(2, "vm: the text is too long: at most %d bytes\n", VM_KEYS_MAX);
            return false;
        }
        text[length++] = c;
        return true;
    };
    for (int i = 3; i < argc; ++i) {
        if (i > 3 && !put(' '))
            return false;
        for (const char* p = argv[i]; *p; ++p) {
            char c = *p;
            if (c == '\\' && p[1]) {
                switch (*++p) {
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                case 'b': c = '\b'; break;
                case 'e': c = 0x1B; break;
                default: c = *p; break; /* \\ and any other: the character itself */
                }
            }
            if (!put(c))
                return false;
        }
    }
    return true;
}

int keys(int argc, char** argv)
{
    uint64_t id;
    if (argc < 4)
        return fail("vm keys takes a VM id, as vm list shows it, and the text to type");
    if (!parse_number(argv[2], MAX_ID, "vm keys takes a VM id, as vm list shows it", id))
        return 2;
    char text[VM_KEYS_MAX];
    size_t length = 0;
    if (!key_text(argc, argv, text, length))
        return 2;
    ssize_t queued = vm_keys(int(id), text, length);
    if (queued < 0 && errno == ESRCH) {
        (void)check_running(id);
        return 1;
    }
    if (queued < 0 || size_t(queued) < length) {
        dprintf(2, "vm: vm%lu's keyboard input is full (the guest is not reading it): %ld of %zu bytes queued\n",
                (unsigned long)id, long(queued < 0 ? 0 : queued), length);
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return fail("which command?");
    if (strcmp(argv[1], "start") == 0)
        return start(argc, argv);
    if (strcmp(argv[1], "list") == 0 && argc == 2)
        return list();
    if (strcmp(argv[1], "stop") == 0)
        return stop(argc, argv);
    if (strcmp(argv[1], "wait") == 0)
        return wait(argc, argv);
    if (strcmp(argv[1], "front") == 0)
        return bring_to_front(argc, argv);
    if (strcmp(argv[1], "send") == 0)
        return send(argc, argv);
    if (strcmp(argv[1], "attach") == 0)
        return attach(argc, argv);
    if (strcmp(argv[1], "screen") == 0)
        return screen(argc, argv);
    if (strcmp(argv[1], "keys") == 0)
        return keys(argc, argv);
    if (strcmp(argv[1], "help") == 0) {
        printf("%s", USAGE);
        return 0;
    }
    dprintf(2, "vm: unknown command %s\n", argv[1]);
    return fail("see the usage");
}
