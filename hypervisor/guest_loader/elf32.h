/* Reading the program headers of an ELF32 executable into a load plan, for
 * Multiboot kernels without the address fields.
 * Follows the System V ABI "ELF" format (Tool Interface Standard ELF 1.2) and the
 * Multiboot Specification version 0.6.96, section 3.1.3 (an ELF kernel is loaded
 * by its program headers, at their physical addresses). Pure logic. */
#pragma once
#include "hypervisor/guest_loader/load_plan.h"

namespace guest_loader {

enum class ElfClass : uint8_t { not_elf, elf32, elf64, unknown };
ElfClass elf_class(const uint8_t* file, size_t size);

/* Fills plan.segments (PT_LOAD by p_paddr) and plan.entry (e_entry translated to
 * the physical address through the segment holding it). */
[[nodiscard]] LoaderError plan_elf32(const uint8_t* file, size_t size, LoadPlan& plan);

/* Little-endian reads from a byte buffer; the caller has checked the bounds. */
inline uint16_t read_le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
inline uint32_t read_le32(const uint8_t* p)
{
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

} // namespace guest_loader
