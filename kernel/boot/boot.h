/* What the boot code learned, for the rest of the kernel. */
#pragma once
#include "boot/multiboot.h"

/* The loader's information, copied out of the Multiboot structures at boot. */
const BootInfo& boot_info();

/* The physical range occupied by the kernel image (text, data and bss). */
struct PhysicalRange {
    uint64_t start;
    uint64_t end; /* exclusive */
};
PhysicalRange kernel_image_range();
