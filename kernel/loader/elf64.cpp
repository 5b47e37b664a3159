/* ELF64 executable validation; see elf64.h. Field names follow the ELF gABI
 * ("ELF Header", "Program Header") so a reader can look each one up. */
#include "loader/elf64.h"

namespace elf64 {

namespace {

/* e_ident indices and the values we accept ("ELF Identification"). */
constexpr size_t EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_OSABI = 7, EI_NIDENT = 16;
constexpr uint8_t ELFCLASS64 = 2, ELFDATA2LSB = 1, EV_CURRENT = 1;
constexpr uint8_t ELFOSABI_SYSV = 0, ELFOSABI_GNU = 3;
constexpr uint16_t ET_EXEC = 2, EM_X86_64 = 62;
constexpr uint32_t PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
constexpr uint32_t PF_X = 1, PF_W = 2, PF_R = 4;

struct FileHeader {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};
static_assert(sizeof(FileHeader) == 64, "the ELF64 header is 64 bytes");

struct ProgramHeader {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};
static_assert(sizeof(ProgramHeader) == 56, "an ELF64 program header is 56 bytes");

/* The file may sit at any alignment (a cpio member is 4-byte aligned), so headers
 * are copied out rather than pointed at. */
template <typename T> T read_at(const void* bytes, uint64_t offset)
{
    T value;
    __builtin_memcpy(&value, static_cast<const uint8_t*>(bytes) + offset, sizeof(T));
    return value;
}

ElfError check_file_header(const FileHeader& h, size_t size)
{
    if (h.e_ident[0] != 0x7f || h.e_ident[1] != 'E' || h.e_ident[2] != 'L' || h.e_ident[3] != 'F')
        return ElfError::bad_magic;
    if (h.e_ident[EI_CLASS] != ELFCLASS64)
        return ElfError::not_64_bit;
    if (h.e_ident[EI_DATA] != ELFDATA2LSB)
        return ElfError::not_little_endian;
    if (h.e_ident[EI_VERSION] != EV_CURRENT || h.e_version != EV_CURRENT)
        return ElfError::bad_version;
    if (h.e_ident[EI_OSABI] != ELFOSABI_SYSV && h.e_ident[EI_OSABI] != ELFOSABI_GNU)
        return ElfError::bad_os_abi;
    if (h.e_machine != EM_X86_64)
        return ElfError::not_x86_64;
    if (h.e_type != ET_EXEC)
        return ElfError::not_executable;
    if (h.e_ehsize != sizeof(FileHeader) || h.e_phentsize != sizeof(ProgramHeader))
        return ElfError::bad_header_size;
    /* phnum is 16 bits, so this product cannot overflow 64 bits. */
    uint64_t table_size = uint64_t(h.e_phnum) * sizeof(ProgramHeader);
    if (h.e_phoff > size || table_size > size - h.e_phoff)
        return ElfError::program_headers_outside_file;
    return ElfError::none;
}

bool is_power_of_two(uint64_t value) { return value && !(value & (value - 1)); }

ElfError check_segment(const ProgramHeader& p, size_t size)
{
    if (p.p_filesz > p.p_memsz)
        return ElfError::file_size_exceeds_memory_size;
    if (p.p_offset > size || p.p_filesz > size - p.p_offset)
        return ElfError::segment_outside_file;
    if (p.p_vaddr < USER_SPACE_START || p.p_vaddr >= USER_SPACE_END || p.p_memsz > USER_SPACE_END - p.p_vaddr)
        return ElfError::segment_outside_user_space;
    /* gABI "Program Header": p_align 0 and 1 mean none; otherwise a power of two
     * with p_vaddr congruent to p_offset, which lets a loader map file pages. */
    if (p.p_align > 1 && (!is_power_of_two(p.p_align) || (p.p_vaddr - p.p_offset) % p.p_align != 0))
        return ElfError::bad_alignment;
    return ElfError::none;
}

Segment to_segment(const ProgramHeader& p)
{
    return Segment{p.p_vaddr, p.p_memsz, p.p_offset, p.p_filesz,
                   (p.p_flags & PF_R) != 0, (p.p_flags & PF_W) != 0, (p.p_flags & PF_X) != 0};
}

/* Page-granular: two segments in one page would need two sets of permissions for
 * it, which one page-table entry cannot give. */
bool share_a_page(const Segment& a, const Segment& b)
{
    return a.first_page() < b.end_page() && b.first_page() < a.end_page();
}

ElfError add_segment(Image& image, const Segment& segment)
{
    if (image.segment_count == MAX_SEGMENTS)
        return ElfError::too_many_segments;
    for (size_t i = 0; i < image.segment_count; ++i) {
        if (share_a_page(image.segments[i], segment))
            return ElfError::segments_overlap;
    }
    image.segments[image.segment_count++] = segment;
    return ElfError::none;
}

bool entry_is_executable(const Image& image)
{
    for (size_t i = 0; i < image.segment_count; ++i) {
        const Segment& s = image.segments[i];
        if (s.executable && image.entry >= s.virtual_address && image.entry - s.virtual_address < s.memory_size)
            return true;
    }
    return false;
}

ElfError parse_into(Image& image, const void* bytes, size_t size)
{
    if (size < sizeof(FileHeader))
        return ElfError::too_small;
    auto header = read_at<FileHeader>(bytes, 0);
    if (ElfError error = check_file_header(header, size); error != ElfError::none)
        return error;
    image.entry = header.e_entry;
    for (uint16_t i = 0; i < header.e_phnum; ++i) {
        auto p = read_at<ProgramHeader>(bytes, header.e_phoff + uint64_t(i) * sizeof(ProgramHeader));
        if (p.p_type == PT_INTERP || p.p_type == PT_DYNAMIC)
            return ElfError::not_static;
        if (p.p_type != PT_LOAD || p.p_memsz == 0)
            continue;
        if (ElfError error = check_segment(p, size); error != ElfError::none)
            return error;
        if (ElfError error = add_segment(image, to_segment(p)); error != ElfError::none)
            return error;
    }
    if (image.segment_count == 0)
        return ElfError::no_loadable_segment;
    if (!entry_is_executable(image))
        return ElfError::entry_not_executable;
    return ElfError::none;
}

} // namespace

const char* elf_error_name(ElfError error)
{
    switch (error) {
    case ElfError::none: return "none";
    case ElfError::too_small: return "too_small";
    case ElfError::bad_magic: return "bad_magic";
    case ElfError::not_64_bit: return "not_64_bit";
    case ElfError::not_little_endian: return "not_little_endian";
    case ElfError::bad_version: return "bad_version";
    case ElfError::bad_os_abi: return "bad_os_abi";
    case ElfError::not_x86_64: return "not_x86_64";
    case ElfError::not_executable: return "not_executable";
    case ElfError::bad_header_size: return "bad_header_size";
    case ElfError::program_headers_outside_file: return "program_headers_outside_file";
    case ElfError::too_many_segments: return "too_many_segments";
    case ElfError::not_static: return "not_static";
    case ElfError::no_loadable_segment: return "no_loadable_segment";
    case ElfError::file_size_exceeds_memory_size: return "file_size_exceeds_memory_size";
    case ElfError::segment_outside_file: return "segment_outside_file";
    case ElfError::segment_outside_user_space: return "segment_outside_user_space";
    case ElfError::bad_alignment: return "bad_alignment";
    case ElfError::segments_overlap: return "segments_overlap";
    case ElfError::entry_not_executable: return "entry_not_executable";
    }
    return "unknown";
}

ParseResult parse(const void* bytes, size_t size)
{
    ParseResult result{};
    result.error = parse_into(result.image, bytes, size);
    return result;
}

} // namespace elf64
