/* The host files a VM is made of: its kernel and modules, read whole into the
 * heap when it starts, and the files it keeps open while it runs (its disk
 * images, its file server), closed when it ends. Part of vm_manager. */
#pragma once
#include "hypervisor/vm/vm_manager.h"
#include "lib/result.h"
#include "mm/kernel_heap.h"

#include <stddef.h>
#include <stdint.h>

namespace vm_manager {

/* A host file read whole into the heap. */
struct File {
    uint8_t* bytes = nullptr;
    size_t size = 0;
    File() = default;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File() { kfree(bytes); }
};

/* Reads a whole host file into the heap. */
[[nodiscard]] Result<void> read_file(const char* path, File& file, Failure& why);
/* Closes every host file the VM still has open. */
void release_files(Vm& vm);
/* Closes the host files behind the VM's disks: the guest is done with them. */
void release_disks(Vm& vm);
/* The disk files must exist before anything is allocated: a typo is the
 * common mistake, and it is reported as such. */
[[nodiscard]] Result<void> check_disks(const StartRequest& request, Failure& why);
/* Step: opens the disk files into the VM's record and plugs them into its IDE
 * channels (after the virtual PC exists). */
[[nodiscard]] Result<void> attach_disks(Vm& vm, const StartRequest& request, Failure& why);

} // namespace vm_manager
