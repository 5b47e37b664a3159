/* Multiboot information assembly; see multiboot_info_builder.h. */
#include "hypervisor/guest_loader/multiboot_info_builder.h"

#include "boot/multiboot.h"

namespace guest_loader {

namespace {

/* Appends to the caller's buffer; once something did not fit, it stays failed. */
class InfoWriter {
public:
    InfoWriter(uint8_t* buffer, size_t capacity, uint32_t base) : buffer_(buffer), capacity_(capacity), base_(base) {}

    /* Reserves `length` bytes aligned to `alignment` and returns their offset. */
    size_t reserve(size_t length, size_t alignment)
    {
        size_t offset = (used_ + alignment - 1) & ~(alignment - 1);
        if (offset + length > capacity_) {
            overflow_ = true;
            return 0;
        }
        __builtin_memset(buffer_ + offset, 0, length);
        used_ = offset + length;
        return offset;
    }
    template <typename T> void put(size_t offset, const T& value)
    {
        if (!overflow_)
            __builtin_memcpy(buffer_ + offset, &value, sizeof(T));
    }
    /* Copies a NUL-terminated string and returns its guest-physical address. */
    uint32_t put_string(const char* text)
    {
        size_t length = __builtin_strlen(text ? text : "");
        size_t offset = reserve(length + 1, 1);
        if (!overflow_)
            __builtin_memcpy(buffer_ + offset, text ? text : "", length + 1);
        return address(offset);
    }
    uint32_t address(size_t offset) const { return base_ + uint32_t(offset); }
    size_t used() const { return used_; }
    bool overflow() const { return overflow_; }

private:
    uint8_t* buffer_;
    size_t capacity_;
    uint32_t base_;
    size_t used_ = 0;
    bool overflow_ = false;
};

void put_memory_map(InfoWriter& out, multiboot::Info& info, uint64_t ram_size)
{
    const multiboot::MemoryMapEntry entries[] = {
        {20, 0, LOW_MEMORY_END, multiboot::MEMORY_AVAILABLE},
        {20, LOW_MEMORY_END, HIGH_MEMORY_START - LOW_MEMORY_END, multiboot::MEMORY_RESERVED},
        {20, HIGH_MEMORY_START, ram_size - HIGH_MEMORY_START, multiboot::MEMORY_AVAILABLE},
    };
    size_t offset = out.reserve(sizeof(entries), 4);
    for (size_t i = 0; i < 3; ++i)
        out.put(offset + i * sizeof(multiboot::MemoryMapEntry), entries[i]);
    info.mmap_addr = out.address(offset);
    info.mmap_length = sizeof(entries);
}

void put_modules(InfoWriter& out, multiboot::Info& info, const InfoRequest& request)
{
    size_t offset = out.reserve(request.module_count * sizeof(multiboot::Module), 4);
    for (size_t i = 0; i < request.module_count; ++i) {
        const ModulePlacement& m = request.modules[i];
        out.put(offset + i * sizeof(multiboot::Module), multiboot::Module{m.start, m.end, out.put_string(m.name), 0});
    }
    info.mods_count = uint32_t(request.module_count);
    info.mods_addr = out.address(offset);
}

/* Section 3.3, framebuffer_type 2: "EGA-standard text mode", where width and
 * height count characters and each character takes two bytes. */
void put_text_framebuffer(multiboot::Info& info)
{
    info.flags |= multiboot::INFO_FRAMEBUFFER;
    info.framebuffer_addr = TEXT_FRAMEBUFFER_ADDRESS;
    info.framebuffer_pitch = TEXT_COLUMNS * 2;
    info.framebuffer_width = TEXT_COLUMNS;
    info.framebuffer_height = TEXT_ROWS;
    info.framebuffer_bpp = 16;
    info.framebuffer_type = multiboot::FRAMEBUFFER_EGA_TEXT;
}

} // namespace

LoaderError build_multiboot_info(const InfoRequest& request, uint8_t* buffer, size_t capacity, size_t& used)
{
    InfoWriter out(buffer, capacity, request.info_address);
    size_t info_offset = out.reserve(sizeof(multiboot::Info), 8);
    multiboot::Info info{};
    info.flags = multiboot::INFO_MEMORY | multiboot::INFO_CMDLINE | multiboot::INFO_MODULES |
                 multiboot::INFO_MEMORY_MAP | multiboot::INFO_BOOTLOADER_NAME;
    info.mem_lower = LOW_MEMORY_END / 1024;
    info.mem_upper = uint32_t((request.ram_size - HIGH_MEMORY_START) / 1024);
    put_memory_map(out, info, request.ram_size);
    put_modules(out, info, request);
    info.cmdline = out.put_string(request.cmdline);
    info.boot_loader_name = out.put_string(BOOT_LOADER_NAME);
    if (request.text_framebuffer)
        put_text_framebuffer(info);
    out.put(info_offset, info);
    used = out.used();
    return out.overflow() ? LoaderError::info_too_large : LoaderError::none;
}

} // namespace guest_loader
