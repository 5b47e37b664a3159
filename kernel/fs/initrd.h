/* Unpacking the initial file system: a cpio "newc" archive (fs/cpio.h), loaded by
 * the boot loader as a Multiboot module, written into the file system tree through
 * the ordinary VFS calls. tools/mkinitrd.py makes the archive. */
#pragma once
#include "fs/cpio.h"
#include "fs/vfs_syscall.h"

struct [[nodiscard]] InitrdReport {
    size_t files = 0;
    size_t directories = 0;
    size_t bytes = 0;
    /* Entries of other types (symbolic links, devices), which this kernel has not. */
    size_t skipped = 0;
    /* CpioStatus::end when the whole archive was read. */
    CpioStatus archive = CpioStatus::end;
    /* The errno of the first VFS call that failed (0: none); unpacking stops there. */
    int error = 0;

    bool succeeded() const { return archive == CpioStatus::end && error == 0; }
};

/* Unpacks `archive` below the root of `vfs`'s context: directories are made as
 * needed (also those the archive does not list), files are created or replaced. */
InitrdReport unpack_initrd(VfsSyscall& vfs, const void* archive, size_t size);
