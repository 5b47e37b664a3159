/* Multiboot 1 kernel loading; see multiboot_loader.h. */
#include "hypervisor/guest_loader/multiboot_loader.h"

#include "boot/multiboot.h"
#include "hypervisor/guest_loader/elf32.h"

namespace guest_loader {

const char* loader_error_text(LoaderError error)
{
    switch (error) {
    case LoaderError::none: return "none";
    case LoaderError::absurd_memory_size: return "guest RAM size absurd (2 MiB to 3 GiB, whole pages)";
    case LoaderError::no_header: return "no Multiboot header in the first 8 KiB";
    case LoaderError::bad_checksum: return "Multiboot header checksum wrong";
    case LoaderError::unsupported_flags: return "Multiboot header requires features this loader lacks";
    case LoaderError::header_address_invalid: return "Multiboot header_addr/load_addr inconsistent with the file";
    case LoaderError::load_end_before_load_start: return "Multiboot load_end_addr below load_addr";
    case LoaderError::bss_end_before_load_end: return "Multiboot bss_end_addr below load_end_addr";
    case LoaderError::truncated: return "kernel file shorter than its headers say";
    case LoaderError::entry_outside_image: return "entry point outside the loaded image";
    case LoaderError::below_1mib: return "kernel image would load below 1 MiB";
    case LoaderError::kernel_too_large: return "kernel image larger than guest RAM";
    case LoaderError::not_loadable: return "kernel neither has Multiboot address fields nor is an ELF32 executable";
    case LoaderError::elf64_without_address_fields: return "ELF64 kernel without Multiboot address fields (flag 16)";
    case LoaderError::elf_not_executable: return "ELF file is not a little-endian i386 executable";
    case LoaderError::elf_segment_invalid: return "ELF segment with p_filesz > p_memsz or beyond 4 GiB";
    case LoaderError::too_many_segments: return "kernel has too many loadable segments";
    case LoaderError::segments_overlap: return "kernel segments overlap";
    case LoaderError::too_many_modules: return "too many modules";
    case LoaderError::modules_do_not_fit: return "modules do not fit in guest RAM after the kernel";
    case LoaderError::info_too_large: return "Multiboot information larger than its buffer";
    case LoaderError::info_misplaced: return "Multiboot information overlaps the kernel, a module or a memory hole";
    case LoaderError::write_failed: return "writing guest memory failed";
    }
    return "?";
}

Result<void> check_load(LoaderError error, const char* path, Failure& why)
{
    if (error == LoaderError::none)
        return {};
    int errno_value = error == LoaderError::write_failed ? ENOMEM : EINVAL;
    return why.set(errno_value, "%s: %s", path, loader_error_text(error));
}

namespace {

constexpr uint64_t PAGE_SIZE = 0x1000;
constexpr size_t HEADER_FIXED_SIZE = 12; /* magic, flags, checksum */
/* Required flags (bits 0-15) this loader honours; bit 2 (video mode) is answered
 * with the 80x25 text mode whatever mode the header prefers. */
constexpr uint32_t KNOWN_REQUIRED_FLAGS =
    multiboot::HEADER_PAGE_ALIGN | multiboot::HEADER_MEMORY_INFO | multiboot::HEADER_VIDEO_MODE;

constexpr uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }
constexpr bool overlaps(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end)
{
    return a_start < b_end && b_start < a_end;
}

/* Section 3.1.1: the header is 32-bit aligned within the first 8192 bytes. A magic
 * with a wrong checksum is remembered so that the error can say so. */
LoaderError find_header(const uint8_t* file, size_t size, size_t& offset)
{
    size_t limit = size < multiboot::HEADER_SEARCH_LIMIT ? size : multiboot::HEADER_SEARCH_LIMIT;
    bool saw_magic = false;
    for (size_t at = 0; at + HEADER_FIXED_SIZE <= limit; at += 4) {
        if (read_le32(file + at) != multiboot::HEADER_MAGIC)
            continue;
        saw_magic = true;
        if (uint32_t(multiboot::HEADER_MAGIC + read_le32(file + at + 4) + read_le32(file + at + 8)) == 0) {
            offset = at;
            return LoaderError::none;
        }
    }
    return saw_magic ? LoaderError::bad_checksum : LoaderError::no_header;
}

/* Section 3.1.3: the address fields say where the file's bytes go. */
LoaderError plan_address_fields(const uint8_t* file, size_t size, size_t header_offset, LoadPlan& plan)
{
    if (header_offset + sizeof(multiboot::Header) > size)
        return LoaderError::truncated;
    multiboot::Header header;
    __builtin_memcpy(&header, file + header_offset, sizeof(header));
    uint64_t header_addr = header.header_addr, load_addr = header.load_addr;
    uint64_t load_end = header.load_end_addr, bss_end = header.bss_end_addr, entry = header.entry_addr;
    /* The file offset of load_addr: the header's own offset minus its distance from it. */
    if (header_addr < load_addr || header_addr - load_addr > header_offset)
        return LoaderError::header_address_invalid;
    uint64_t load_offset = header_offset - (header_addr - load_addr);
    if (load_end == 0)
        load_end = load_addr + (size - load_offset); /* 0: the rest of the file */
    if (load_end < load_addr)
        return LoaderError::load_end_before_load_start;
    if (load_offset + (load_end - load_addr) > size)
        return LoaderError::truncated;
    if (bss_end == 0)
        bss_end = load_end; /* 0: no bss */
    if (bss_end < load_end)
        return LoaderError::bss_end_before_load_end;
    if (entry < load_addr || entry >= bss_end)
        return LoaderError::entry_outside_image;
    plan.format = KernelFormat::multiboot_address_fields;
    plan.segments[0] = {load_offset, load_end - load_addr, uint32_t(load_addr), uint32_t(bss_end - load_addr)};
    plan.segment_count = 1;
    plan.entry = uint32_t(entry);
    return LoaderError::none;
}

LoaderError plan_without_address_fields(const uint8_t* file, size_t size, LoadPlan& plan)
{
    switch (elf_class(file, size)) {
    case ElfClass::elf32: return plan_elf32(file, size, plan);
    case ElfClass::elf64: return LoaderError::elf64_without_address_fields;
    default: return LoaderError::not_loadable;
    }
}

/* The image must lie in guest RAM above 1 MiB, its segments apart. */
LoaderError check_placement(LoadPlan& plan, uint64_t ram_size)
{
    uint64_t start = ~0ull, end = 0;
    for (size_t i = 0; i < plan.segment_count; ++i) {
        const LoadSegment& s = plan.segments[i];
        uint64_t s_end = uint64_t(s.guest_physical) + s.memory_size;
        start = s.guest_physical < start ? s.guest_physical : start;
        end = s_end > end ? s_end : end;
        for (size_t j = 0; j < i; ++j) {
            const LoadSegment& o = plan.segments[j];
            if (overlaps(s.guest_physical, s_end, o.guest_physical, uint64_t(o.guest_physical) + o.memory_size))
                return LoaderError::segments_overlap;
        }
    }
    if (start < HIGH_MEMORY_START)
        return LoaderError::below_1mib;
    if (end > ram_size)
        return LoaderError::kernel_too_large;
    plan.image_start = uint32_t(start);
    plan.image_end = uint32_t(end);
    return LoaderError::none;
}

LoaderError place_modules(const GuestBootConfig& config, LoadResult& result)
{
    if (config.module_count > MAX_MODULES)
        return LoaderError::too_many_modules;
    uint64_t next = align_up(result.plan.image_end, PAGE_SIZE);
    for (size_t i = 0; i < config.module_count; ++i) {
        uint64_t end = next + config.modules[i].size;
        if (end > config.ram_size)
            return LoaderError::modules_do_not_fit;
        result.modules[i] = {uint32_t(next), uint32_t(end), config.modules[i].name};
        next = align_up(end, PAGE_SIZE);
    }
    result.module_count = config.module_count;
    return LoaderError::none;
}

/* The information must lie in available RAM (below the hole or above 1 MiB) and
 * apart from the kernel, the modules, the entry stack and the entry GDT. */
LoaderError check_info_placement(const LoadResult& result, uint64_t ram_size)
{
    uint64_t start = result.info_address, end = start + result.info_size;
    bool low = end <= LOW_MEMORY_END;
    bool high = start >= HIGH_MEMORY_START && end <= ram_size;
    if (!low && !high)
        return LoaderError::info_misplaced;
    if (overlaps(start, end, result.plan.image_start, result.plan.image_end) ||
        overlaps(start, end, ENTRY_STACK_BOTTOM, ENTRY_GDT_END))
        return LoaderError::info_misplaced;
    for (size_t i = 0; i < result.module_count; ++i) {
        if (overlaps(start, end, result.modules[i].start, result.modules[i].end))
            return LoaderError::info_misplaced;
    }
    return LoaderError::none;
}

bool write_kernel(const uint8_t* file, const LoadPlan& plan, GuestMemoryWriter& memory)
{
    for (size_t i = 0; i < plan.segment_count; ++i) {
        const LoadSegment& s = plan.segments[i];
        if (!memory.write(s.guest_physical, file + s.file_offset, s.file_size))
            return false;
        if (s.memory_size > s.file_size && !memory.zero(s.guest_physical + s.file_size, s.memory_size - s.file_size))
            return false;
    }
    return true;
}

bool write_modules(const GuestBootConfig& config, const LoadResult& result, GuestMemoryWriter& memory)
{
    for (size_t i = 0; i < result.module_count; ++i) {
        if (!memory.write(result.modules[i].start, config.modules[i].bytes, config.modules[i].size))
            return false;
    }
    return true;
}

} // namespace

LoaderError plan_kernel(const uint8_t* file, size_t size, uint64_t ram_size, LoadPlan& plan)
{
    if (ram_size < MIN_GUEST_RAM || ram_size > MAX_GUEST_RAM || ram_size % PAGE_SIZE != 0)
        return LoaderError::absurd_memory_size;
    plan = LoadPlan{};
    size_t header_offset = 0;
    if (LoaderError error = find_header(file, size, header_offset); error != LoaderError::none)
        return error;
    plan.header_flags = read_le32(file + header_offset + offsetof(multiboot::Header, flags));
    if (plan.header_flags & 0xFFFF & ~KNOWN_REQUIRED_FLAGS)
        return LoaderError::unsupported_flags;
    plan.video_mode_requested = plan.header_flags & multiboot::HEADER_VIDEO_MODE;
    LoaderError error = (plan.header_flags & multiboot::HEADER_ADDRESS)
                            ? plan_address_fields(file, size, header_offset, plan)
                            : plan_without_address_fields(file, size, plan);
    if (error != LoaderError::none)
        return error;
    return check_placement(plan, ram_size);
}

LoaderError load_multiboot_kernel(const uint8_t* file, size_t size, const GuestBootConfig& config,
                                  GuestMemoryWriter& memory, LoadResult& result)
{
    result = LoadResult{};
    if (LoaderError error = plan_kernel(file, size, config.ram_size, result.plan); error != LoaderError::none)
        return error;
    if (LoaderError error = place_modules(config, result); error != LoaderError::none)
        return error;
    InfoRequest request{config.ram_size, config.cmdline, result.modules, result.module_count, config.info_address,
                        result.plan.video_mode_requested};
    result.info_address = config.info_address;
    if (LoaderError error = build_multiboot_info(request, config.scratch, config.scratch_size, result.info_size);
        error != LoaderError::none)
        return error;
    if (LoaderError error = check_info_placement(result, config.ram_size); error != LoaderError::none)
        return error;
    if (!write_kernel(file, result.plan, memory) || !write_modules(config, result, memory) ||
        !memory.write(result.info_address, config.scratch, result.info_size) ||
        !memory.write(ENTRY_GDT_ADDRESS, ENTRY_GDT, sizeof(ENTRY_GDT)))
        return LoaderError::write_failed;
    result.entry.eax = multiboot::BOOTLOADER_MAGIC;
    result.entry.ebx = result.info_address;
    result.entry.eip = result.plan.entry;
    return LoaderError::none;
}

} // namespace guest_loader
