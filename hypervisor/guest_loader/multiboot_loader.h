/* Loads a Multiboot 1 kernel into a guest: finds and checks its header, plans where
 * its bytes go (by the header's address fields, or by ELF32 program headers),
 * places modules and the boot information, and describes the machine state a
 * Multiboot loader leaves the kernel in.
 * Follows the Multiboot Specification version 0.6.96, sections 3.1 ("OS image
 * format"), 3.2 ("Machine state") and 3.3 ("Boot information format").
 * Pure logic without VMX or SVM: guest memory is reached through GuestMemoryWriter. */
#pragma once
#include "arch/x86_64/control_registers.h"
#include "hypervisor/guest_loader/guest_memory_writer.h"
#include "hypervisor/guest_loader/load_plan.h"
#include "hypervisor/guest_loader/multiboot_info_builder.h"

namespace guest_loader {

/* Guest RAM sizes we accept: enough for a kernel above 1 MiB, and below the
 * 32-bit addresses Multiboot 1 can describe with room left for device memory. */
constexpr uint64_t MIN_GUEST_RAM = 2ull << 20;
constexpr uint64_t MAX_GUEST_RAM = 3ull << 30;
/* The information goes into low memory, below the reserved hole, by default. */
constexpr uint32_t DEFAULT_INFO_ADDRESS = 0x10000;
constexpr size_t MAX_MODULES = 16;

/* Low memory the loader itself sets up (docs/multiboot-entry.md): ESP starts at
 * ENTRY_STACK_TOP, and [ENTRY_STACK_BOTTOM, ENTRY_STACK_TOP) is RAM the loader
 * never writes, so a kernel that pushes before it loads its own stack (SWEB's C
 * entry does) has 24 KiB to use. QEMU's loader enters with ESP near 0x6F08, GRUB
 * with its own stack in low memory; neither is promised by the specification.
 * The GDT the entry segments came from lies just above the stack. */
constexpr uint32_t ENTRY_STACK_BOTTOM = 0x1000;
constexpr uint32_t ENTRY_STACK_TOP = 0x7000;
constexpr uint32_t ENTRY_GDT_ADDRESS = 0x7000;
/* Null descriptor, flat 32-bit code (selector 0x08), flat data (selector 0x10). */
constexpr uint64_t ENTRY_GDT[] = {0, 0x00CF9B000000FFFFull, 0x00CF93000000FFFFull};
constexpr uint32_t ENTRY_GDT_END = ENTRY_GDT_ADDRESS + sizeof(ENTRY_GDT);

/* Checks the header and the image against a guest of `ram_size` bytes and fills `plan`. */
[[nodiscard]] LoaderError plan_kernel(const uint8_t* file, size_t size, uint64_t ram_size, LoadPlan& plan);

struct GuestModule {
    const uint8_t* bytes;
    size_t size;
    const char* name; /* its string in the information, e.g. "/boot/initrd.cpio" */
};

struct GuestBootConfig {
    uint64_t ram_size = 0;
    const char* cmdline = "";
    const GuestModule* modules = nullptr;
    size_t module_count = 0;
    uint32_t info_address = DEFAULT_INFO_ADDRESS;
    /* Where the information is assembled before it is written (a page is plenty). */
    uint8_t* scratch = nullptr;
    size_t scratch_size = 0;
};

/* A segment register as a Multiboot loader leaves it. `attributes` holds the
 * descriptor's type, S, DPL, P, AVL, L, D/B and G bits as in bits 40-55 of a
 * descriptor with the limit nibble removed (0xC09B: 32-bit code, 4 KiB granular). */
struct SegmentState {
    uint16_t selector;
    uint32_t base;
    uint32_t limit;
    uint16_t attributes;
};

/* Section 3.2: protected mode, paging off, flat 4 GiB segments, interrupts off,
 * A20 on; EAX holds the magic and EBX the information's physical address. The
 * rest is what GRUB and QEMU happen to leave, which the specification says a
 * kernel must not rely on (docs/multiboot-entry.md lists it all). */
struct MultibootEntryState {
    uint32_t eax = 0;
    uint32_t ebx = 0;
    uint32_t eip = 0;
    uint32_t esp = ENTRY_STACK_TOP; /* undefined by the specification; usable RAM below it */
    uint32_t eflags = RFLAGS_RESERVED_1; /* bit 1 is always 1; IF and VM clear */
    uint32_t cr0 = CR0_PE | CR0_ET;      /* paging off */
    uint32_t cr4 = 0;
    SegmentState cs{0x08, 0, 0xFFFFFFFF, 0xC09B};
    SegmentState ds{0x10, 0, 0xFFFFFFFF, 0xC093};
    SegmentState es{0x10, 0, 0xFFFFFFFF, 0xC093};
    SegmentState fs{0x10, 0, 0xFFFFFFFF, 0xC093};
    SegmentState gs{0x10, 0, 0xFFFFFFFF, 0xC093};
    SegmentState ss{0x10, 0, 0xFFFFFFFF, 0xC093};
    /* GDTR: a valid GDT holding the two descriptors above; IDTR: the real-mode
     * vector table as firmware leaves it (a kernel loads its own before STI). */
    uint32_t gdtr_base = ENTRY_GDT_ADDRESS;
    uint16_t gdtr_limit = sizeof(ENTRY_GDT) - 1;
    uint32_t idtr_base = 0;
    uint16_t idtr_limit = 0x3FF;
    bool a20_enabled = true;
};

/* Everything a load decided, for logging and tests. */
struct LoadResult {
    LoadPlan plan;
    ModulePlacement modules[MAX_MODULES] = {};
    size_t module_count = 0;
    uint32_t info_address = 0;
    size_t info_size = 0;
    MultibootEntryState entry;
};

/* Plans, then writes the kernel, zeroes its bss, copies the modules page-aligned
 * after it and writes the information. Nothing is written when a check fails. */
[[nodiscard]] LoaderError load_multiboot_kernel(const uint8_t* file, size_t size, const GuestBootConfig& config,
                                                GuestMemoryWriter& memory, LoadResult& result);

} // namespace guest_loader
