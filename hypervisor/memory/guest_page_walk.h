/* Translating a guest-virtual address to a guest-physical one as the guest's own
 * MMU would, in whatever paging mode the guest is in, with its access rights; and
 * splitting a guest-virtual buffer into guest-physical pieces, so the hypercall
 * layer can check a whole buffer once and then copy it.
 * Follows the Intel SDM (revision 084), Vol. 3A, chapter "Paging": "Paging Modes
 * and Control Bits", "32-Bit Paging", "PAE Paging", "4-Level Paging and 5-Level
 * Paging" and "Access Rights". Pure logic without VMX: the guest's memory is read
 * through GuestPhysicalReader, so the build machine's unit tests can drive it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace guest_paging {

/* Guest RAM as the walk sees it: the kernel implements it over the EPT-backed host
 * pages, the unit tests over a std::vector. */
class GuestPhysicalReader {
public:
    /* False (and nothing read) when [guest_physical, +length) is not all guest RAM. */
    [[nodiscard]] virtual bool read(uint64_t guest_physical, void* bytes, size_t length) = 0;
    virtual bool is_ram(uint64_t guest_physical, uint64_t length) const = 0;
    /* Whether the guest may also write it: all RAM, unless another translation
     * between the guest and the RAM says otherwise (L1's EPT under L2,
     * hypervisor/nested/l2_memory.h). A write access checks this one. */
    virtual bool is_writable_ram(uint64_t guest_physical, uint64_t length) const { return is_ram(guest_physical, length); }

protected:
    ~GuestPhysicalReader() = default;
};

/* The guest's control registers as the VMCS holds them (the values the guest runs
 * with, not its read shadows). */
struct GuestPagingState {
    uint64_t cr0 = 0;
    uint64_t cr3 = 0;
    uint64_t cr4 = 0;
    uint64_t efer = 0;
    /* PAE paging reads its four PDPTEs from memory when CR3 is loaded, not on each
     * walk; with EPT the VMCS holds them (guest PDPTE0-3). Point this at those four
     * to walk exactly as the CPU does, or leave it null to read them at CR3. */
    const uint64_t* pae_pdptes = nullptr;
    /* MAXPHYADDR, as CPUID.80000008H:EAX[7:0] tells the guest: entry bits from
     * here up to 51 are reserved. */
    uint8_t physical_address_bits = 36;
};

/* Section "Paging Modes and Control Bits": CR0.PG, CR4.PAE, IA32_EFER.LMA and
 * CR4.LA57 select one of these. */
enum class PagingMode : uint8_t { none, bits32, pae, four_level, five_level };
PagingMode paging_mode(const GuestPagingState& state);

enum class AccessKind : uint8_t { read, write, execute };

struct GuestAccess {
    AccessKind kind = AccessKind::read;
    bool user = false; /* a user-mode access (CPL 3), else supervisor-mode */
};

enum class PageWalkFault : uint8_t {
    none,
    unsupported_mode,        /* 5-level paging */
    non_canonical,           /* 4-level: bits 63:47 are not all equal (a #GP, not a #PF) */
    not_present,             /* the entry at `level` has P = 0 */
    reserved_bit,            /* the entry at `level` sets a reserved bit */
    write_to_read_only,      /* R/W = 0 somewhere, and the write is checked (user, or CR0.WP) */
    user_to_supervisor,      /* a user-mode access, U/S = 0 somewhere */
    execute_disabled,        /* an instruction fetch, XD = 1 somewhere (IA32_EFER.NXE) */
    supervisor_executes_user, /* CR4.SMEP: a supervisor-mode fetch from a user-mode page */
    table_outside_ram,       /* the entry at `level` would be read from outside guest RAM */
    page_outside_ram,        /* the translation lands outside guest RAM */
    buffer_wraps,            /* a buffer runs past the top of the linear address space */
    too_many_chunks,         /* a buffer needs more pieces than the caller has room for */
};
const char* page_walk_fault_text(PageWalkFault fault);

/* Levels count as in the SDM: 1 the page table (PTE), 2 the page directory, 3 the
 * page-directory-pointer table, 4 the PML4. */
struct [[nodiscard]] Translation {
    PageWalkFault fault = PageWalkFault::none;
    uint8_t level = 0;           /* the entry that faulted, or that mapped the page; 0 with paging off */
    uint64_t guest_physical = 0; /* valid when ok() */
    uint64_t page_size = 0;      /* of the page holding the address: 4 KiB, 2 or 4 MiB, 1 GiB */

    bool ok() const { return fault == PageWalkFault::none; }
};

/* The guest-physical address `guest_virtual` translates to for `access`, or why
 * the guest's MMU would refuse it. Accessed and dirty bits are not set.
 * Not modelled: SMAP (the hypervisor reads on the guest kernel's explicit
 * request, as the kernel does with EFLAGS.AC set), protection keys, 5-level paging. */
Translation translate(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                      GuestAccess access);

struct GuestPhysicalChunk {
    uint64_t guest_physical;
    uint64_t length;
};

struct [[nodiscard]] BufferSplit {
    PageWalkFault fault = PageWalkFault::none;
    uint8_t level = 0;
    uint64_t fault_virtual = 0; /* the first guest-virtual byte that could not be translated */
    size_t chunk_count = 0;     /* chunks filled (when ok(): all of the buffer, in order) */

    bool ok() const { return fault == PageWalkFault::none; }
};

/* Where a buffer walk puts the guest-physical pieces it finds, in buffer order. */
class GuestChunkSink {
public:
    /* False when there is no room for the piece (the walk then stops). */
    [[nodiscard]] virtual bool add(uint64_t guest_physical, uint64_t length) = 0;

protected:
    ~GuestChunkSink() = default;
};

/* Walks [guest_virtual, +length) once, page by page, checking every page for
 * `access` and handing its guest-physical piece to `sink`. Consecutive 4 KiB pages
 * under one page table cost one PTE read each (the table is remembered). A fault
 * names the first byte that failed; pieces before it have been handed over. */
BufferSplit walk_guest_buffer(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                              uint64_t length, GuestAccess access, GuestChunkSink& sink);

/* Splits [guest_virtual, +length) into guest-physical chunks, one per page or run
 * of physically contiguous pages, into chunks[0, capacity). Every byte is checked
 * for `access` before it returns, so a caller copies only whole, valid buffers. */
BufferSplit split_guest_buffer(const GuestPagingState& state, GuestPhysicalReader& memory, uint64_t guest_virtual,
                               uint64_t length, GuestAccess access, GuestPhysicalChunk* chunks, size_t capacity);

} // namespace guest_paging
