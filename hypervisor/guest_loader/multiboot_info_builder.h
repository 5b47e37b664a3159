/* The Multiboot information a loader hands its kernel, assembled as bytes for a
 * chosen guest-physical address: memory sizes, a memory map of guest RAM with the
 * legacy hole, the command line, the loader's name, the modules and, when asked
 * for a video mode, the 80x25 EGA text screen as the framebuffer.
 * Follows the Multiboot Specification version 0.6.96, section 3.3 ("Boot
 * information format"). Pure logic, no heap: the caller provides the buffer. */
#pragma once
#include "hypervisor/guest_loader/load_plan.h"

namespace guest_loader {

/* Guest RAM as the information describes it: [0, LOW_MEMORY_END) available,
 * [LOW_MEMORY_END, HIGH_MEMORY_START) reserved (EBDA, VGA, BIOS), the rest up to
 * the RAM size available. */
constexpr uint32_t LOW_MEMORY_END = 0x9FC00;
constexpr uint32_t HIGH_MEMORY_START = 0x100000;
constexpr const char* BOOT_LOADER_NAME = "Matryoshka";

/* The text mode every guest starts in (the VGA text window of hypervisor/devices
 * vga_text_device): given as an EGA text framebuffer to a kernel that asks for a
 * video mode, whatever mode it asked for, as the specification allows. */
constexpr uint32_t TEXT_FRAMEBUFFER_ADDRESS = 0xB8000;
constexpr uint32_t TEXT_COLUMNS = 80;
constexpr uint32_t TEXT_ROWS = 25;

struct ModulePlacement {
    uint32_t start;
    uint32_t end; /* exclusive */
    const char* name;
};

struct InfoRequest {
    uint64_t ram_size;
    const char* cmdline;
    const ModulePlacement* modules;
    size_t module_count;
    uint32_t info_address; /* where the bytes will lie in the guest; pointers inside refer to it */
    /* The kernel's header asked for a video mode (flag 2): describe the text
     * screen as the framebuffer (flag 12, type 2). */
    bool text_framebuffer = false;
};

/* Writes the information into buffer[0, capacity) and sets `used`; every address
 * inside it assumes the bytes are placed at request.info_address. */
[[nodiscard]] LoaderError build_multiboot_info(const InfoRequest& request, uint8_t* buffer, size_t capacity,
                                               size_t& used);

} // namespace guest_loader
