/* The kernel's file system tree: a ramfs mounted at / and filled from the initrd
 * module at boot. Processes get their own VfsContext and FileDescriptorTable; the
 * kernel's own file access (the initrd, tests, the Loader) uses context(). */
#pragma once
#include "boot/boot.h"
#include "fs/initrd.h"
#include "fs/ramfs.h"
#include "fs/vfs_syscall.h"
#include "sync/mutex.h"

namespace kernel_vfs {

/* Mounts a ramfs at /, unpacks the first Multiboot module that is a cpio archive
 * into it and logs what it found. Call once, after kernel_heap::init(). */
void init(const BootInfo& info);

Vfs& vfs();
/* The whole tree, cwd "/"; for the kernel's own use. */
VfsContext& context();
RamFs& root_file_system();
/* The one lock of the file system tree: the VFS, its file systems, open files and
 * descriptor tables are not thread-safe, so every system call holds this while it
 * touches them. Never held while a thread blocks on a terminal. */
Mutex& lock();
/* What unpacking the initrd found (all zero when there was no initrd module). */
const InitrdReport& initrd_report();

} // namespace kernel_vfs
