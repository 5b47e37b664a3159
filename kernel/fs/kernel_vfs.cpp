/* Bringing up the file system tree at boot: ramfs at /, the initrd unpacked into
 * it, one log line with the counts and one with the listing of /. */
#include "fs/kernel_vfs.h"

#include "console/log.h"
#include "lib/format.h"
#include "mm/direct_map.h"

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
        /* FIXME: the module's frames stay reserved after unpacking; give them back
         * once the PageManager can take frames it never owned. */
        the_report = unpack_initrd(sys, phys_to_virt<const uint8_t>(module.start), module.end - module.start);
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

} // namespace

namespace kernel_vfs {

void init(const BootInfo& info)
{
    the_root_fs = new RamFs;
    if (the_vfs.mount_root(*the_root_fs).is_error())
        panic("kernel_vfs::init called twice");
    the_context = new VfsContext(the_vfs);
    log(LogCategory::fs, "ramfs mounted at /");
    unpack_initrd_module(info);
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
