/* What loading a guest kernel means, decided before a byte is written: file bytes
 * to guest-physical addresses, ranges to zero, the entry point; and why a kernel
 * cannot be loaded. Shared by the Multiboot and ELF32 paths. No VMX or SVM here. */
#pragma once
#include "lib/failure.h"

#include <stddef.h>
#include <stdint.h>

namespace guest_loader {

enum class LoaderError : uint8_t {
    none,
    absurd_memory_size,
    no_header,
    bad_checksum,
    unsupported_flags,
    header_address_invalid,
    load_end_before_load_start,
    bss_end_before_load_end,
    truncated,
    entry_outside_image,
    below_1mib,
    kernel_too_large,
    not_loadable,
    elf64_without_address_fields,
    elf_not_executable,
    elf_segment_invalid,
    too_many_segments,
    segments_overlap,
    too_many_modules,
    modules_do_not_fit,
    info_too_large,
    info_misplaced,
    write_failed,
};
const char* loader_error_text(LoaderError error);
/* Where a load's outcome crosses to the VM layer: success for none, else the
 * errno (EINVAL for a kernel or request we refuse, ENOMEM when writing guest RAM
 * failed) and "PATH: the sentence" in `why`. The enum stays for the loader's own
 * steps, whose unit tests name each case. */
[[nodiscard]] Result<void> check_load(LoaderError error, const char* path, Failure& why);

/* file[file_offset, +file_size) goes to guest_physical; the rest of memory_size is zeroed. */
struct LoadSegment {
    uint64_t file_offset;
    uint64_t file_size;
    uint32_t guest_physical;
    uint32_t memory_size;
};

enum class KernelFormat : uint8_t { multiboot_address_fields, elf32 };

struct LoadPlan {
    static constexpr size_t MAX_SEGMENTS = 8;

    KernelFormat format = KernelFormat::multiboot_address_fields;
    LoadSegment segments[MAX_SEGMENTS] = {};
    size_t segment_count = 0;
    uint32_t entry = 0;       /* guest-physical */
    uint32_t image_start = 0; /* lowest guest-physical byte of any segment */
    uint32_t image_end = 0;   /* one past the highest, bss included */
    uint32_t header_flags = 0;
    /* The kernel asked for a video mode (flag 2); it gets the 80x25 text mode. */
    bool video_mode_requested = false;
};

} // namespace guest_loader
