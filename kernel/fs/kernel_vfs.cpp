/* Bringing up the file system tree at boot: ramfs at /, the initrd unpacked into
 * it, one log line with the counts and one with the listing of /. */
#include "fs/kernel_vfs.h"

#include "boot/cmdline.h"
#include "console/log.h"
#include "fs/hypercall_fs.h"
#include "lib/format.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"

namespace {

Vfs the_vfs;
RamFs* the_root_fs = nullptr;
VfsContext* the_context = nullptr;
InitrdReport the_report;
Mutex the_lock("file system");

bool is_cpio(const BootInfo::Module& module)
{
    if (module.end - module.start < CpioReader::HEADER_SIZE)
        return false;
    const char* start = phys_to_virt<const char>(module.start);
    return __builtin_memcmp(start, "07070", 5) == 0;
}

void unpack_initrd_module(const BootInfo& info)
{
    for (size_t i = 0; i < info.module_count; ++i) {
        const BootInfo::Module& module = info.modules[i];
        if (!is_cpio(module))
            continue;
        FileDescriptorTable files;
        VfsSyscall sys(*the_context, files);
        the_report = unpack_initrd(sys, phys_to_virt<const uint8_t>(module.start), module.end - module.start);
        /* Its files live in the ramfs now (zero pages as holes): the archive's
         * frames go to the PageManager, so a large, mostly empty disk image in
         * the initrd costs only its data. Nothing reads the module after this. */
        size_t returned = PageManager::instance().give_back_module(info, i);
        log(LogCategory::fs, "initrd: module %zu's %zu pages given back to the PageManager; %zu pages free", i,
            returned, PageManager::instance().free_page_count());
        if (!the_report.succeeded())
            log(LogCategory::fs, "initrd: module %zu is broken: %s%s%s", i, cpio_status_name(the_report.archive),
                the_report.error ? ", " : "", the_report.error ? errno_name(the_report.error) : "");
        log(LogCategory::fs, "initrd: unpacked %zu files (%zu bytes) and %zu directories from module %zu, %zu entries skipped",
            the_report.files, the_report.bytes, the_report.directories, i, the_report.skipped);
        return;
    }
    log(LogCategory::fs, "initrd: no cpio module; / stays empty");
}

/* One line: the names in /, directories marked with a slash. */
void log_root_listing()
{
    FileDescriptorTable files;
    VfsSyscall sys(*the_context, files);
    Result<int> fd = sys.open("/", O_RDONLY | O_DIRECTORY);
    if (fd.is_error())
        panic("cannot open / (%s)", errno_name(fd.error()));
    char line[200] = "/:";
    size_t length = 2;
    alignas(8) uint8_t buffer[512];
    for (;;) {
        Result<size_t> used = sys.getdents(fd.value(), buffer, sizeof(buffer));
        if (used.is_error() || used.value() == 0)
            break;
        for (size_t at = 0; at < used.value();) {
            auto* record = reinterpret_cast<const struct dirent*>(buffer + at);
            at += record->d_reclen;
            if (record->d_name[0] == '.' && (record->d_name[1] == '\0' || record->d_name[1] == '.'))
                continue;
            if (length < sizeof(line))
                length += format_string(line + length, sizeof(line) - length, " %s%s", record->d_name,
                                        record->d_type == DT_DIR ? "/" : "");
        }
    }
    if (sys.close(fd.value()).is_error())
        panic("cannot close /");
    log(LogCategory::fs, "%s%s", line, length >= sizeof(line) ? " ..." : "");
}

/* Under the Matryoshka hypervisor the host's files (hostfs, docs/hypercalls.md)
 * go where the command line's hostfs= says: "/" (the default: no initrd then,
 * every file comes from the host), another directory (made in the ramfs), or
 * "off". Null when they are not wanted or not offered. */
HypercallFs* connect_host_files(const BootInfo& info, char* where, size_t size)
{
    CommandLine cmdline(info.cmdline);
    if (!cmdline.value("hostfs", where, size))
        __builtin_strcpy(where, "/");
    if (__builtin_strcmp(where, "off") == 0 || !HypercallFs::available())
        return nullptr;
    Result<HypercallFs*> connected = HypercallFs::connect();
    if (connected.is_error()) {
        log(LogCategory::fs, "hostfs: the host refuses its files (%s); staying on the initrd", errno_name(connected.error()));
        return nullptr;
    }
    return connected.value();
}

void mount_host_files(HypercallFs& host_files, const char* where)
{
    FileDescriptorTable files;
    VfsSyscall sys(*the_context, files);
    Result<void> made = sys.mkdir(where);
    Result<RefPtr<Inode>> directory = resolve_path(*the_context, where);
    if ((made.is_error() && made.error() != EEXIST) || directory.is_error() ||
        the_vfs.mount(directory.value(), host_files).is_error()) {
        log(LogCategory::fs, "hostfs: cannot mount the host's files at %s", where);
        return;
    }
    log(LogCategory::fs, "hostfs: the host's files mounted at %s", where);
}

} // namespace

namespace kernel_vfs {

void init(const BootInfo& info)
{
    the_root_fs = new RamFs;
    char where[64];
    HypercallFs* host_files = connect_host_files(info, where, sizeof(where));
    bool host_root = host_files && __builtin_strcmp(where, "/") == 0;
    if (the_vfs.mount_root(host_root ? static_cast<FileSystem&>(*host_files) : *the_root_fs).is_error())
        panic("kernel_vfs::init called twice");
    the_context = new VfsContext(the_vfs);
    if (host_root) {
        log(LogCategory::fs, "hostfs mounted at /: every file comes from the host");
    } else {
        log(LogCategory::fs, "ramfs mounted at /");
        unpack_initrd_module(info);
        if (host_files)
            mount_host_files(*host_files, where);
    }
    log_root_listing();
}

Vfs& vfs() { return the_vfs; }

VfsContext& context()
{
    if (!the_context)
        panic("kernel_vfs::context() before kernel_vfs::init()");
    return *the_context;
}

RamFs& root_file_system() { return *the_root_fs; }

Mutex& lock() { return the_lock; }

const InitrdReport& initrd_report() { return the_report; }

} // namespace kernel_vfs
