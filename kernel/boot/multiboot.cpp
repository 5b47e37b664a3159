/* Multiboot 1 information parsing; see multiboot.h. */
#include "multiboot.h"

namespace {

/* Copies a NUL-terminated string of at most size-1 characters from physical memory,
 * reading it one byte at a time so that no read goes past its end. */
void copy_string(PhysicalAccess access, uint64_t address, char* out, size_t size)
{
    size_t n = 0;
    for (; n + 1 < size; ++n) {
        auto* c = static_cast<const char*>(access(address + n, 1));
        if (!c || *c == '\0')
            break;
        out[n] = *c;
    }
    out[n] = '\0';
}

bool parse_memory_map(const multiboot::Info& info, PhysicalAccess access, BootInfo& out)
{
    uint64_t position = info.mmap_addr;
    uint64_t end = uint64_t(info.mmap_addr) + info.mmap_length;
    while (position + sizeof(uint32_t) <= end) {
        auto* entry = static_cast<const multiboot::MemoryMapEntry*>(access(position, sizeof(multiboot::MemoryMapEntry)));
        if (!entry)
            return false;
        if (entry->size < sizeof(multiboot::MemoryMapEntry) - sizeof(uint32_t))
            return false; /* an entry too small to hold its own fields: corrupt */
        if (out.region_count == BootInfo::MAX_REGIONS) {
            out.regions_truncated = true;
            break;
        }
        out.regions[out.region_count++] = {entry->base, entry->length, entry->type};
        position += uint64_t(entry->size) + sizeof(uint32_t);
    }
    return true;
}

bool parse_modules(const multiboot::Info& info, PhysicalAccess access, BootInfo& out)
{
    for (uint32_t i = 0; i < info.mods_count; ++i) {
        if (out.module_count == BootInfo::MAX_MODULES) {
            out.modules_truncated = true;
            break;
        }
        auto* module = static_cast<const multiboot::Module*>(access(info.mods_addr + uint64_t(i) * sizeof(multiboot::Module), sizeof(multiboot::Module)));
        if (!module || module->end < module->start)
            return false;
        BootInfo::Module& m = out.modules[out.module_count++];
        m.start = module->start;
        m.end = module->end;
        copy_string(access, module->string, m.name, sizeof(m.name));
    }
    return true;
}

} // namespace

const char* multiboot_error_name(MultibootError error)
{
    switch (error) {
    case MultibootError::none: return "none";
    case MultibootError::bad_magic: return "not started by a Multiboot loader (bad magic in EAX)";
    case MultibootError::info_unreadable: return "Multiboot information not readable";
    case MultibootError::mmap_unreadable: return "Multiboot memory map corrupt or not readable";
    case MultibootError::modules_unreadable: return "Multiboot module list corrupt or not readable";
    }
    return "?";
}

MultibootError parse_multiboot(uint32_t magic, uint64_t info_address, PhysicalAccess access, BootInfo& out)
{
    if (magic != multiboot::BOOTLOADER_MAGIC)
        return MultibootError::bad_magic;
    auto* info = static_cast<const multiboot::Info*>(access(info_address, sizeof(multiboot::Info)));
    if (!info)
        return MultibootError::info_unreadable;
    if (info->flags & multiboot::INFO_MEMORY) {
        out.mem_lower_kib = info->mem_lower;
        out.mem_upper_kib = info->mem_upper;
    }
    if (info->flags & multiboot::INFO_CMDLINE)
        copy_string(access, info->cmdline, out.cmdline, sizeof(out.cmdline));
    if (info->flags & multiboot::INFO_BOOTLOADER_NAME)
        copy_string(access, info->boot_loader_name, out.bootloader_name, sizeof(out.bootloader_name));
    if ((info->flags & multiboot::INFO_MEMORY_MAP) && !parse_memory_map(*info, access, out))
        return MultibootError::mmap_unreadable;
    if ((info->flags & multiboot::INFO_MODULES) && !parse_modules(*info, access, out))
        return MultibootError::modules_unreadable;
    return MultibootError::none;
}
