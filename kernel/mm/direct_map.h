/* The direct map: all physical memory below DIRECT_MAP_SIZE (4 GiB) appears at
 * DIRECT_MAP_BASE + its physical address, so the kernel reaches any frame without
 * mapping it first (see arch/x86_64/boot/layout.h and ArchMemory). */
#pragma once
#include "arch/x86_64/boot/layout.h"
#include "debug/panic.h"

#include <stdint.h>

/* The direct-map address of physical `physical`. */
template <typename T = void> T* phys_to_virt(uint64_t physical)
{
    if (physical >= DIRECT_MAP_SIZE)
        panic("phys_to_virt: 0x%lx lies beyond the direct map", physical);
    return reinterpret_cast<T*>(DIRECT_MAP_BASE + physical);
}

/* The physical address behind a direct-map or kernel-image address. Any other
 * address (a user page, something ArchMemory mapped) has to be translated through
 * its address space instead: ArchMemory::translate(). */
inline uint64_t virt_to_phys(const void* virtual_address)
{
    uint64_t address = reinterpret_cast<uint64_t>(virtual_address);
    if (address >= KERNEL_VMA)
        return address - KERNEL_VMA;
    if (address >= DIRECT_MAP_BASE && address < DIRECT_MAP_BASE + DIRECT_MAP_SIZE)
        return address - DIRECT_MAP_BASE;
    panic("virt_to_phys: %p is neither in the direct map nor in the kernel image", virtual_address);
}
