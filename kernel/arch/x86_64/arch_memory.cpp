/* ArchMemory: x86_64 address spaces; see arch_memory.h. Follows the Intel SDM
 * (revision 084), Vol. 3A, "4-Level Paging and 5-Level Paging" and "Invalidation
 * of TLBs and Paging-Structure Caches". */
#include "arch/x86_64/arch_memory.h"

#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "console/log.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"

#include <initializer_list>
#include <new>

using paging::Level;
using paging::PageTableEntry;
namespace bit = paging::bit;

/* Page boundaries of the image's parts (linker.ld): text is read-only and
 * executable, read-only data up to __data_start, the rest (data, bss) writable. */
extern "C" char __image_start[], __text_end[], __data_start[], __image_end[];

namespace {

constexpr uint32_t CPUID_EXTENDED_FEATURES = 0x80000001;
constexpr uint32_t CPUID_EDX_NX = 1u << 20; /* "Execute Disable Bit available" */
constexpr uint64_t GIB = 0x40000000;

static_assert(paging::table_index(DIRECT_MAP_BASE, Level::pml4) == paging::FIRST_KERNEL_PML4_INDEX);
static_assert(DIRECT_MAP_SIZE % GIB == 0 && DIRECT_MAP_SIZE / GIB <= paging::ENTRIES_PER_TABLE);

/* The kernel's ArchMemory lives here, built by init(); it is never destroyed, so
 * no global destructor is registered for it. */
alignas(ArchMemory) unsigned char kernel_space_storage[sizeof(ArchMemory)];
ArchMemory* kernel_space = nullptr;
bool nx_enabled = false;

bool is_user_address(uint64_t address) { return address < paging::USER_END; }

PageTableEntry* table_at(uint64_t physical) { return phys_to_virt<PageTableEntry>(physical); }

uint64_t page_up(uint64_t address) { return (address + paging::PAGE_SIZE - 1) & ~(paging::PAGE_SIZE - 1); }

/* The SDM's "Execute-Disable" needs IA32_EFER.NXE; without it bit 63 of an entry is
 * reserved and sets off a page fault, so it is only used once NXE is on. */
void enable_no_execute()
{
    if (cpu::cpuid(0x80000000).eax < CPUID_EXTENDED_FEATURES || !(cpu::cpuid(CPUID_EXTENDED_FEATURES).edx & CPUID_EDX_NX))
        return;
    cpu::wrmsr(Msr::efer, cpu::rdmsr(Msr::efer) | EFER_NXE);
    nx_enabled = true;
}

uint64_t no_execute_bit() { return nx_enabled ? bit::NO_EXECUTE : 0; }

uint64_t leaf_flags(MapFlags flags)
{
    uint64_t bits = has_flag(flags, MapFlags::executable) ? 0 : no_execute_bit();
    if (has_flag(flags, MapFlags::writable))
        bits |= bit::WRITABLE;
    if (has_flag(flags, MapFlags::user))
        bits |= bit::USER;
    return bits;
}

uint64_t allocate_boot_table()
{
    MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page();
    if (!page.ok())
        panic("ArchMemory: no frame for the kernel's page tables");
    return page.value();
}

Level level_below(Level level) { return Level(unsigned(level) - 1); }

} // namespace

void ArchMemory::init()
{
    KERNEL_ASSERT(!kernel_space);
    enable_no_execute();
    kernel_space = new (kernel_space_storage) ArchMemory();
    ArchMemory& kernel = *kernel_space;
    kernel.is_kernel_ = true;
    kernel.pml4_ = allocate_boot_table();
    /* Every kernel-half PML4 entry exists from now on and never changes, so the
     * copies in user PML4s keep sharing everything mapped there later. */
    PageTableEntry* pml4 = table_at(kernel.pml4_);
    for (unsigned i = paging::FIRST_KERNEL_PML4_INDEX; i < paging::ENTRIES_PER_TABLE; ++i)
        pml4[i] = PageTableEntry::table(allocate_boot_table(), false);
    kernel.map_direct_map();
    kernel.map_kernel_image();
    kernel.activate();
    log(LogCategory::memory, "ArchMemory: kernel page tables at %lx active (no identity map), no-execute %s", kernel.pml4_,
        nx_enabled ? "on" : "not available");
}

ArchMemory& ArchMemory::kernel()
{
    KERNEL_ASSERT(kernel_space);
    return *kernel_space;
}

bool ArchMemory::no_execute_enabled() { return nx_enabled; }

/* 2 MiB pages, writable, no-execute: data only, code runs from the image. */
void ArchMemory::map_direct_map()
{
    PageTableEntry* pdpt = table_at(table_at(pml4_)[paging::table_index(DIRECT_MAP_BASE, Level::pml4)].address());
    for (uint64_t gib = 0; gib < DIRECT_MAP_SIZE / GIB; ++gib) {
        uint64_t pd_physical = allocate_boot_table();
        PageTableEntry* pd = table_at(pd_physical);
        for (unsigned i = 0; i < paging::ENTRIES_PER_TABLE; ++i)
            pd[i] = PageTableEntry::large_page(gib * GIB + i * paging::LARGE_PAGE_SIZE, bit::WRITABLE | no_execute_bit());
        pdpt[paging::table_index(DIRECT_MAP_BASE + gib * GIB, Level::pdpt)] = PageTableEntry::table(pd_physical, false);
    }
}

void ArchMemory::map_kernel_image()
{
    uint64_t text_end = page_up(uint64_t(__text_end));
    for (uint64_t page = uint64_t(__image_start); page < uint64_t(__image_end); page += paging::PAGE_SIZE) {
        MapFlags flags = page < text_end ? MapFlags::executable : page < uint64_t(__data_start) ? MapFlags::none : MapFlags::writable;
        MemoryError error = map_page(page, page - KERNEL_VMA, flags);
        if (error != MemoryError::none)
            panic("ArchMemory: mapping the kernel image at %lx failed: %s", page, memory_error_name(error));
    }
}

MemoryResult<ArchMemory> ArchMemory::create_user_space()
{
    /* A user program causes it (spawn, fork, exec): it leaves the reserve alone. */
    MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
    if (!page.ok())
        return page.error();
    ArchMemory space;
    space.pml4_ = page.value();
    const PageTableEntry* kernel_pml4 = table_at(kernel().pml4_);
    PageTableEntry* pml4 = table_at(space.pml4_);
    for (unsigned i = paging::FIRST_KERNEL_PML4_INDEX; i < paging::ENTRIES_PER_TABLE; ++i)
        pml4[i] = kernel_pml4[i];
    return MemoryResult<ArchMemory>(static_cast<ArchMemory&&>(space));
}

ArchMemory::ArchMemory(ArchMemory&& other) : pml4_(other.pml4_), is_kernel_(other.is_kernel_) { other.pml4_ = 0; }

ArchMemory& ArchMemory::operator=(ArchMemory&& other)
{
    if (this != &other) {
        destroy();
        pml4_ = other.pml4_;
        is_kernel_ = other.is_kernel_;
        other.pml4_ = 0;
    }
    return *this;
}

void ArchMemory::destroy()
{
    if (!pml4_ || is_kernel_)
        return;
    if (is_active())
        panic("ArchMemory: destroying the active address space (cr3 %lx)", pml4_);
    const PageTableEntry* pml4 = table_at(pml4_);
    for (unsigned i = 0; i < paging::FIRST_KERNEL_PML4_INDEX; ++i) {
        if (pml4[i].present())
            free_user_tables(pml4[i].address(), Level::pdpt);
    }
    PageManager::instance().free_page(pml4_);
    pml4_ = 0;
}

/* Frees a user-half table, everything below it and the frames its PTEs map. */
void ArchMemory::free_user_tables(uint64_t table, Level level)
{
    const PageTableEntry* entries = table_at(table);
    for (unsigned i = 0; i < paging::ENTRIES_PER_TABLE; ++i) {
        if (!entries[i].present())
            continue;
        if (level == Level::pt)
            PageManager::instance().free_page(entries[i].address());
        else if (entries[i].large())
            panic("ArchMemory: large page in the user half (table %lx entry %u)", table, i);
        else
            free_user_tables(entries[i].address(), level_below(level));
    }
    PageManager::instance().free_page(table);
}

PageTableEntry* ArchMemory::find_pte(uint64_t virtual_address, bool create, MemoryError& error)
{
    KERNEL_ASSERT(pml4_);
    uint64_t table = pml4_;
    for (Level level : {Level::pml4, Level::pdpt, Level::pd}) {
        PageTableEntry& entry = table_at(table)[paging::table_index(virtual_address, level)];
        if (entry.present() && entry.large()) {
            error = MemoryError::already_mapped;
            return nullptr;
        }
        if (!entry.present()) {
            if (!create) {
                error = MemoryError::not_mapped;
                return nullptr;
            }
            /* User-half tables are a user program's doing; kernel-half ones the
             * kernel's own (all present since init(), so rarely made). */
            PageClaim claim = is_user_address(virtual_address) ? PageClaim::ordinary : PageClaim::kernel;
            MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(claim);
            if (!page.ok()) {
                error = page.error();
                return nullptr;
            }
            entry = PageTableEntry::table(page.value(), is_user_address(virtual_address));
        }
        table = entry.address();
    }
    return &table_at(table)[paging::table_index(virtual_address, Level::pt)];
}

/* A changed kernel-half entry may be cached whichever address space is active; a
 * user-half one only when this space is active (loading CR3 flushes the rest, as
 * no page is global). */
void ArchMemory::flush(uint64_t virtual_address) const
{
    if (!is_user_address(virtual_address) || is_active())
        cpu::invlpg(virtual_address);
}

MemoryError ArchMemory::map_page(uint64_t virtual_address, uint64_t physical, MapFlags flags)
{
    if (virtual_address % paging::PAGE_SIZE || physical % paging::PAGE_SIZE || !paging::is_canonical(virtual_address))
        return MemoryError::bad_address;
    if (!is_user_address(virtual_address) && has_flag(flags, MapFlags::user))
        return MemoryError::bad_address;
    MemoryError error = MemoryError::none;
    PageTableEntry* pte = find_pte(virtual_address, true, error);
    if (!pte)
        return error;
    if (pte->present())
        return MemoryError::already_mapped;
    *pte = PageTableEntry::page(physical, leaf_flags(flags));
    flush(virtual_address);
    return MemoryError::none;
}

MemoryError ArchMemory::unmap_page(uint64_t virtual_address)
{
    if (virtual_address % paging::PAGE_SIZE || !paging::is_canonical(virtual_address))
        return MemoryError::bad_address;
    MemoryError error = MemoryError::none;
    PageTableEntry* pte = find_pte(virtual_address, false, error);
    if (!pte)
        return error;
    if (!pte->present())
        return MemoryError::not_mapped;
    uint64_t frame = pte->address();
    *pte = PageTableEntry();
    flush(virtual_address);
    /* FIXME: tables left empty stay until destroy(). */
    if (is_user_address(virtual_address))
        PageManager::instance().free_page(frame);
    return MemoryError::none;
}

MemoryResult<uint64_t> ArchMemory::translate(uint64_t virtual_address) const
{
    KERNEL_ASSERT(pml4_);
    if (!paging::is_canonical(virtual_address))
        return MemoryError::bad_address;
    uint64_t table = pml4_;
    uint64_t page_size = uint64_t(1) << 48; /* shifted down to what one entry maps at each level */
    for (Level level : {Level::pml4, Level::pdpt, Level::pd, Level::pt}) {
        page_size >>= 9;
        PageTableEntry entry = table_at(table)[paging::table_index(virtual_address, level)];
        if (!entry.present())
            return MemoryError::not_mapped;
        if (level == Level::pt || entry.large())
            return (entry.raw() & paging::ADDRESS_MASK & ~(page_size - 1)) + (virtual_address & (page_size - 1));
        table = entry.address();
    }
    return MemoryError::not_mapped;
}

const PageTableEntry* ArchMemory::table_entries(uint64_t table_physical) { return table_at(table_physical); }

MemoryResult<PageMapping> ArchMemory::lookup(uint64_t virtual_address) const
{
    KERNEL_ASSERT(pml4_);
    if (!is_user_address(virtual_address) || virtual_address % paging::PAGE_SIZE)
        return MemoryError::bad_address;
    uint64_t table = pml4_;
    bool writable = true, user = true, executable = true;
    for (Level level : {Level::pml4, Level::pdpt, Level::pd, Level::pt}) {
        PageTableEntry entry = table_at(table)[paging::table_index(virtual_address, level)];
        if (!entry.present() || entry.large())
            return MemoryError::not_mapped; /* the user half has no large pages */
        writable &= entry.writable();
        user &= entry.user();
        executable &= !entry.no_execute();
        table = entry.address();
    }
    return PageMapping{table, writable, user, executable};
}

uint64_t ArchMemory::user_page_count() const
{
    uint64_t count = 0;
    for_each_user_page([&count](uint64_t, const PageMapping&) { ++count; });
    return count;
}

void ArchMemory::activate() const
{
    KERNEL_ASSERT(pml4_);
    cpu::write_cr3(pml4_);
}

bool ArchMemory::is_active() const { return (cpu::read_cr3() & paging::ADDRESS_MASK) == pml4_; }
