/* Parsing and validating a static ELF64 x86_64 executable from bytes: the pure part
 * of the Loader, also compiled into the build machine's unit tests. Follows the
 * System V ABI (ELF gABI, "Object Files" and "Program Loading") and its AMD64
 * supplement. Nothing here maps memory: the caller gets a checked list of segments. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace elf64 {

/* Everything of a loadable image lies below this address: the lower, canonical
 * half of the 48-bit address space. The kernel owns the upper half. */
constexpr uint64_t USER_SPACE_END = 0x0000800000000000;
/* The first page stays unmapped, so that a NULL dereference faults. */
constexpr uint64_t USER_SPACE_START = 0x1000;
constexpr uint64_t PAGE_SIZE = 0x1000;
constexpr size_t MAX_SEGMENTS = 16;

enum class ElfError {
    none,
    too_small,                 /* shorter than the ELF header */
    bad_magic,                 /* not \x7fELF */
    not_64_bit,                /* EI_CLASS is not ELFCLASS64 */
    not_little_endian,         /* EI_DATA is not ELFDATA2LSB */
    bad_version,               /* EI_VERSION or e_version is not EV_CURRENT */
    bad_os_abi,                /* neither System V nor GNU */
    not_x86_64,                /* e_machine is not EM_X86_64 */
    not_executable,            /* e_type is not ET_EXEC (relocatable, shared, core) */
    bad_header_size,           /* e_ehsize or e_phentsize do not match ELF64 */
    program_headers_outside_file,
    too_many_segments,         /* more than MAX_SEGMENTS PT_LOAD entries */
    not_static,                /* PT_INTERP or PT_DYNAMIC: needs a dynamic linker */
    no_loadable_segment,
    file_size_exceeds_memory_size, /* p_filesz > p_memsz */
    segment_outside_file,      /* p_offset + p_filesz beyond the file */
    segment_outside_user_space, /* below USER_SPACE_START, above USER_SPACE_END, or wrapping */
    bad_alignment,             /* p_align not a power of two, or p_vaddr != p_offset mod p_align */
    segments_overlap,          /* two segments share a page */
    entry_not_executable,      /* e_entry not inside an executable segment */
};

/* The enumerator's name, e.g. "segment_outside_file". */
const char* elf_error_name(ElfError error);

/* One PT_LOAD segment: bytes [file_offset, file_offset + file_size) of the file go to
 * [virtual_address, ...), the rest up to memory_size is zero (the .bss). */
struct Segment {
    uint64_t virtual_address;
    uint64_t memory_size;
    uint64_t file_offset;
    uint64_t file_size;
    bool readable;
    bool writable;
    bool executable;

    /* The page-aligned range the segment occupies: [first_page, end_page). */
    uint64_t first_page() const { return virtual_address & ~(PAGE_SIZE - 1); }
    uint64_t end_page() const { return (virtual_address + memory_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }
};

struct Image {
    uint64_t entry;
    size_t segment_count;
    Segment segments[MAX_SEGMENTS]; /* in program-header order */
};

struct [[nodiscard]] ParseResult {
    ElfError error;
    Image image; /* valid only when error == ElfError::none */

    bool ok() const { return error == ElfError::none; }
};

/* Checks `size` bytes at `bytes` (any alignment) as a static x86_64 executable whose
 * segments are page-disjoint, lie in user space and are inside the file, and whose
 * entry point is in an executable segment. Segments with p_memsz == 0 are dropped. */
ParseResult parse(const void* bytes, size_t size);

} // namespace elf64
