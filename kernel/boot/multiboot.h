/* Multiboot 1 structures and a parser that turns the loader's information into the
 * kernel's own BootInfo. Follows the Multiboot Specification version 0.6.96,
 * section 3.1 ("OS image format") and 3.3 ("Boot information format").
 * Pure logic: the parser reads physical memory only through the caller's accessor,
 * so the build machine's unit tests feed it hand-made structures. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace multiboot {

constexpr uint32_t HEADER_MAGIC = 0x1BADB002;     /* in the OS image */
constexpr uint32_t BOOTLOADER_MAGIC = 0x2BADB002; /* in EAX at entry */

/* Header flags (section 3.1.2). */
constexpr uint32_t HEADER_PAGE_ALIGN = 1u << 0;
constexpr uint32_t HEADER_MEMORY_INFO = 1u << 1;
constexpr uint32_t HEADER_VIDEO_MODE = 1u << 2;
constexpr uint32_t HEADER_ADDRESS = 1u << 16;
constexpr size_t HEADER_SEARCH_LIMIT = 8192; /* the header lies within the first 8 KiB */

struct Header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum; /* magic + flags + checksum == 0 (mod 2^32) */
    /* Valid when HEADER_ADDRESS is set. */
    uint32_t header_addr;
    uint32_t load_addr;
    uint32_t load_end_addr;
    uint32_t bss_end_addr;
    uint32_t entry_addr;
};
static_assert(sizeof(Header) == 32);

/* Information flags (section 3.3). */
constexpr uint32_t INFO_MEMORY = 1u << 0;
constexpr uint32_t INFO_BOOT_DEVICE = 1u << 1;
constexpr uint32_t INFO_CMDLINE = 1u << 2;
constexpr uint32_t INFO_MODULES = 1u << 3;
constexpr uint32_t INFO_MEMORY_MAP = 1u << 6;
constexpr uint32_t INFO_BOOTLOADER_NAME = 1u << 9;
constexpr uint32_t INFO_FRAMEBUFFER = 1u << 12;

/* framebuffer_type values (section 3.3). */
constexpr uint8_t FRAMEBUFFER_INDEXED = 0;
constexpr uint8_t FRAMEBUFFER_RGB = 1;
constexpr uint8_t FRAMEBUFFER_EGA_TEXT = 2;

struct Info {
    uint32_t flags;
    uint32_t mem_lower; /* KiB below 1 MiB */
    uint32_t mem_upper; /* KiB above 1 MiB, up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info;
    uint32_t vbe_mode_info;
    uint16_t vbe_mode;
    uint16_t vbe_interface_seg;
    uint16_t vbe_interface_off;
    uint16_t vbe_interface_len;
    /* Valid when INFO_FRAMEBUFFER is set; for EGA text, width and height count
     * characters and bpp is 16 (a character and its attribute). */
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type;
    uint8_t color_info[6];
};
static_assert(offsetof(Info, vbe_control_info) == 72 && offsetof(Info, framebuffer_addr) == 88);
static_assert(offsetof(Info, framebuffer_type) == 109 && offsetof(Info, color_info) == 110);

/* One memory map entry; `size` does not count itself, so the next entry starts
 * size + 4 bytes further on. */
struct [[gnu::packed]] MemoryMapEntry {
    uint32_t size;
    uint64_t base;
    uint64_t length;
    uint32_t type;
};
constexpr uint32_t MEMORY_AVAILABLE = 1;
constexpr uint32_t MEMORY_RESERVED = 2;

struct Module {
    uint32_t start;
    uint32_t end; /* exclusive */
    uint32_t string;
    uint32_t reserved;
};
static_assert(sizeof(Module) == 16);

} // namespace multiboot

/* What the kernel keeps of the loader's information, in its own shape. */
struct BootInfo {
    static constexpr size_t MAX_REGIONS = 64;
    static constexpr size_t MAX_MODULES = 16;
    static constexpr size_t MAX_STRING = 256;

    struct Region {
        uint64_t base;
        uint64_t length;
        uint32_t type; /* multiboot::MEMORY_AVAILABLE or another Multiboot type */
    };
    struct Module {
        uint64_t start;
        uint64_t end;
        char name[MAX_STRING];
    };

    uint32_t mem_lower_kib = 0;
    uint32_t mem_upper_kib = 0;
    char cmdline[MAX_STRING] = {};
    char bootloader_name[MAX_STRING] = {};
    Region regions[MAX_REGIONS] = {};
    size_t region_count = 0;
    bool regions_truncated = false;
    Module modules[MAX_MODULES] = {};
    size_t module_count = 0;
    bool modules_truncated = false;
};

/* Returns a pointer to `length` bytes at physical `address`, or nullptr when that
 * range is not accessible. */
using PhysicalAccess = const void* (*)(uint64_t address, size_t length);

enum class MultibootError { none, bad_magic, info_unreadable, mmap_unreadable, modules_unreadable };
const char* multiboot_error_name(MultibootError error);

/* Fills `out` from the information at `info_address`. Strings that cannot be read
 * are left empty; a memory map or module list that cannot be read is an error. */
[[nodiscard]] MultibootError parse_multiboot(uint32_t magic, uint64_t info_address, PhysicalAccess access, BootInfo& out);
