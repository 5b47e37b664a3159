/* ELF32 program headers into a load plan; see elf32.h. */
#include "hypervisor/guest_loader/elf32.h"

namespace guest_loader {

namespace {

/* ELF header field offsets and values (ELF32). */
constexpr size_t EI_CLASS = 4, EI_DATA = 5;
constexpr uint8_t ELFCLASS32 = 1, ELFCLASS64 = 2, ELFDATA2LSB = 1;
constexpr size_t E_TYPE = 16, E_MACHINE = 18, E_ENTRY = 24, E_PHOFF = 28, E_PHENTSIZE = 42, E_PHNUM = 44;
constexpr size_t ELF32_HEADER_SIZE = 52;
constexpr uint16_t ET_EXEC = 2, EM_386 = 3;
/* Program header field offsets. */
constexpr size_t P_TYPE = 0, P_OFFSET = 4, P_VADDR = 8, P_PADDR = 12, P_FILESZ = 16, P_MEMSZ = 20;
constexpr size_t ELF32_PHDR_SIZE = 32;
constexpr uint32_t PT_LOAD = 1;

struct ProgramHeader {
    uint32_t offset, vaddr, paddr, filesz, memsz;
};

ProgramHeader read_program_header(const uint8_t* p)
{
    return {read_le32(p + P_OFFSET), read_le32(p + P_VADDR), read_le32(p + P_PADDR), read_le32(p + P_FILESZ),
            read_le32(p + P_MEMSZ)};
}

LoaderError check_segment(const ProgramHeader& ph, size_t file_size)
{
    if (ph.filesz > ph.memsz || uint64_t(ph.paddr) + ph.memsz > 0x100000000ull)
        return LoaderError::elf_segment_invalid;
    if (uint64_t(ph.offset) + ph.filesz > file_size)
        return LoaderError::truncated;
    return LoaderError::none;
}

/* The physical address of virtual `entry`, through the segment that holds it. */
bool translate_entry(const uint8_t* file, uint32_t phoff, uint16_t phentsize, uint16_t phnum, uint32_t entry,
                     uint32_t& physical)
{
    for (uint16_t i = 0; i < phnum; ++i) {
        const uint8_t* p = file + phoff + size_t(i) * phentsize;
        ProgramHeader ph = read_program_header(p);
        if (read_le32(p + P_TYPE) == PT_LOAD && entry >= ph.vaddr && entry - ph.vaddr < ph.memsz) {
            physical = ph.paddr + (entry - ph.vaddr);
            return true;
        }
    }
    return false;
}

} // namespace

ElfClass elf_class(const uint8_t* file, size_t size)
{
    if (size < 16 || file[0] != 0x7F || file[1] != 'E' || file[2] != 'L' || file[3] != 'F')
        return ElfClass::not_elf;
    if (file[EI_CLASS] == ELFCLASS32)
        return ElfClass::elf32;
    return file[EI_CLASS] == ELFCLASS64 ? ElfClass::elf64 : ElfClass::unknown;
}

LoaderError plan_elf32(const uint8_t* file, size_t size, LoadPlan& plan)
{
    if (size < ELF32_HEADER_SIZE)
        return LoaderError::truncated;
    if (elf_class(file, size) != ElfClass::elf32 || file[EI_DATA] != ELFDATA2LSB ||
        read_le16(file + E_TYPE) != ET_EXEC || read_le16(file + E_MACHINE) != EM_386)
        return LoaderError::elf_not_executable;
    uint32_t phoff = read_le32(file + E_PHOFF);
    uint16_t phentsize = read_le16(file + E_PHENTSIZE);
    uint16_t phnum = read_le16(file + E_PHNUM);
    if (phentsize < ELF32_PHDR_SIZE)
        return LoaderError::elf_not_executable;
    if (uint64_t(phoff) + uint64_t(phnum) * phentsize > size)
        return LoaderError::truncated;

    plan.format = KernelFormat::elf32;
    plan.segment_count = 0;
    for (uint16_t i = 0; i < phnum; ++i) {
        const uint8_t* p = file + phoff + size_t(i) * phentsize;
        ProgramHeader ph = read_program_header(p);
        if (read_le32(p + P_TYPE) != PT_LOAD || ph.memsz == 0)
            continue;
        if (LoaderError error = check_segment(ph, size); error != LoaderError::none)
            return error;
        if (plan.segment_count == LoadPlan::MAX_SEGMENTS)
            return LoaderError::too_many_segments;
        plan.segments[plan.segment_count++] = {ph.offset, ph.filesz, ph.paddr, ph.memsz};
    }
    if (plan.segment_count == 0)
        return LoaderError::not_loadable;
    if (!translate_entry(file, phoff, phentsize, phnum, read_le32(file + E_ENTRY), plan.entry))
        return LoaderError::entry_outside_image;
    return LoaderError::none;
}

} // namespace guest_loader
