/* Virtual memory layout constants shared by the boot assembly, the linker script
 * and C++. Only plain #defines here, so that assembly can include it. */
#pragma once

/* The kernel image is linked at -2 GiB (the top 2 GiB, reachable with
 * -mcmodel=kernel) and loaded at physical 1 MiB. */
#define KERNEL_VMA 0xFFFFFFFF80000000
#define KERNEL_LOAD_PHYS 0x100000

/* All physical memory below DIRECT_MAP_SIZE is mapped at DIRECT_MAP_BASE, so
 * the kernel reaches any page frame as DIRECT_MAP_BASE + physical address. */
#define DIRECT_MAP_BASE 0xFFFF800000000000
#define DIRECT_MAP_SIZE 0x100000000 /* 4 GiB: four page directories of 2 MiB pages */

#define BOOT_STACK_SIZE 0x4000

/* Selectors of the boot GDT (boot.S). */
#define BOOT_CODE64_SELECTOR 0x08
#define BOOT_DATA_SELECTOR 0x10
