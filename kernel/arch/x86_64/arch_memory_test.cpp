/* In-kernel tests of ArchMemory (set `memory`): the kernel's own page tables, and
 * user address spaces that map, translate, unmap and give everything back. */
#include "arch/x86_64/arch_memory.h"
#include "arch/x86_64/boot/layout.h"
#include "arch/x86_64/cpu.h"
#include "boot/boot.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"
#include "test/kernel_test.h"

namespace {

PageManager& pages() { return PageManager::instance(); }

constexpr uint64_t USER_PAGE = 0x400000;

/* A user address space for one test; destroyed when the test returns. */
bool create(ArchMemory& space, TestContext& t)
{
    MemoryResult<ArchMemory> created = ArchMemory::create_user_space();
    if (!created.ok()) {
        t.fail("create_user_space: %s", memory_error_name(created.error()));
        return false;
    }
    space = created.take();
    return true;
}

} // namespace

KERNEL_TEST(memory, kernel_address_space_is_active_in_cr3)
{
    EXPECT_EQ(cpu::read_cr3() & paging::ADDRESS_MASK, ArchMemory::kernel().cr3());
    EXPECT(ArchMemory::kernel().is_active());
}

KERNEL_TEST(memory, kernel_image_and_direct_map_translate)
{
    ArchMemory& kernel = ArchMemory::kernel();
    static int in_bss;
    MemoryResult<uint64_t> image = kernel.translate(reinterpret_cast<uint64_t>(&in_bss));
    EXPECT(image.ok() && image.value() == reinterpret_cast<uint64_t>(&in_bss) - KERNEL_VMA);
    MemoryResult<uint64_t> direct = kernel.translate(DIRECT_MAP_BASE + 0xB8123);
    EXPECT(direct.ok() && direct.value() == 0xB8123);
    MemoryResult<uint64_t> top = kernel.translate(DIRECT_MAP_BASE + DIRECT_MAP_SIZE - 8);
    EXPECT(top.ok() && top.value() == DIRECT_MAP_SIZE - 8);
    EXPECT(kernel.translate(DIRECT_MAP_BASE + DIRECT_MAP_SIZE).error() == MemoryError::not_mapped);
}

KERNEL_TEST(memory, identity_map_is_gone)
{
    ArchMemory& kernel = ArchMemory::kernel();
    EXPECT(kernel.translate(0).error() == MemoryError::not_mapped);
    EXPECT(kernel.translate(kernel_image_range().start).error() == MemoryError::not_mapped);
    /* The image at KERNEL_VMA + 0 .. 1 MiB was part of the boot tables' 1 GiB. */
    EXPECT(kernel.translate(KERNEL_VMA).error() == MemoryError::not_mapped);
}

KERNEL_TEST(memory, no_execute_is_on_exactly_when_the_cpu_has_it)
{
    bool has_nx = cpu::cpuid(0x80000000).eax >= 0x80000001 && (cpu::cpuid(0x80000001).edx & (1u << 20));
    EXPECT_EQ(ArchMemory::no_execute_enabled(), has_nx);
    EXPECT_EQ((cpu::rdmsr(Msr::efer) & EFER_NXE) != 0, has_nx);
}

KERNEL_TEST(memory, user_page_written_through_its_mapping_reads_back_through_the_direct_map)
{
    size_t free_before = pages().free_page_count();
    {
        ArchMemory space;
        if (!create(space, t))
            return;
        MemoryResult<uint64_t> frame = pages().allocate_zeroed_page();
        EXPECT(frame.ok());
        if (!frame.ok())
            return;
        EXPECT(space.map_page(USER_PAGE, frame.value(), MapFlags::writable | MapFlags::user) == MemoryError::none);
        MemoryResult<uint64_t> translated = space.translate(USER_PAGE + 0x123);
        EXPECT(translated.ok() && translated.value() == frame.value() + 0x123);

        space.activate();
        *reinterpret_cast<volatile uint64_t*>(USER_PAGE + 0x40) = 0xC0FFEE5EB;
        ArchMemory::kernel().activate();
        EXPECT_EQ(phys_to_virt<uint64_t>(frame.value())[8], uint64_t(0xC0FFEE5EB));

        EXPECT(space.unmap_page(USER_PAGE) == MemoryError::none);
        EXPECT(space.translate(USER_PAGE).error() == MemoryError::not_mapped);
        EXPECT(space.unmap_page(USER_PAGE) == MemoryError::not_mapped);
    }
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, unmapped_page_is_gone_from_the_tlb)
{
    ArchMemory space;
    if (!create(space, t))
        return;
    MemoryResult<uint64_t> first = pages().allocate_zeroed_page();
    MemoryResult<uint64_t> second = pages().allocate_zeroed_page();
    EXPECT(first.ok() && second.ok());
    if (!first.ok() || !second.ok())
        return;
    phys_to_virt<uint64_t>(second.value())[0] = 2;
    space.activate();
    EXPECT(space.map_page(USER_PAGE, first.value(), MapFlags::writable) == MemoryError::none);
    volatile uint64_t* word = reinterpret_cast<volatile uint64_t*>(USER_PAGE);
    EXPECT_EQ(*word, uint64_t(0)); /* now cached in the TLB */
    EXPECT(space.unmap_page(USER_PAGE) == MemoryError::none);
    EXPECT(space.map_page(USER_PAGE, second.value(), MapFlags::writable) == MemoryError::none);
    uint64_t seen = *word; /* a stale TLB entry would still show the first frame */
    ArchMemory::kernel().activate();
    EXPECT_EQ(seen, uint64_t(2));
}

KERNEL_TEST(memory, destroying_an_address_space_returns_all_its_pages)
{
    size_t free_before = pages().free_page_count();
    /* Spread over several PML4, PDPT and PD entries so every table level is freed. */
    const uint64_t addresses[] = {0x1000, 0x2000, 0x200000, 0x40000000, 0x8000000000, 0x7FFFFFFFF000};
    {
        ArchMemory space;
        if (!create(space, t))
            return;
        for (uint64_t address : addresses) {
            MemoryResult<uint64_t> frame = pages().allocate_page();
            EXPECT(frame.ok());
            if (frame.ok())
                EXPECT(space.map_page(address, frame.value(), MapFlags::user) == MemoryError::none);
        }
        EXPECT(pages().free_page_count() < free_before - 6 - 1);
        space.destroy();
        EXPECT_EQ(space.cr3(), uint64_t(0));
    }
    EXPECT_EQ(pages().free_page_count(), free_before);
}

KERNEL_TEST(memory, address_spaces_share_the_kernel_half)
{
    constexpr uint64_t KERNEL_PAGE = DIRECT_MAP_BASE + 0x100000000000; /* an unused kernel-half address */
    ArchMemory space;
    if (!create(space, t))
        return;
    MemoryResult<uint64_t> frame = pages().allocate_page();
    EXPECT(frame.ok());
    if (!frame.ok())
        return;
    /* Mapped after the user space was created, yet visible in it. */
    EXPECT(ArchMemory::kernel().map_page(KERNEL_PAGE, frame.value(), MapFlags::writable) == MemoryError::none);
    MemoryResult<uint64_t> seen = space.translate(KERNEL_PAGE);
    EXPECT(seen.ok() && seen.value() == frame.value());
    EXPECT(space.translate(reinterpret_cast<uint64_t>(&pages)).ok());
    EXPECT(ArchMemory::kernel().unmap_page(KERNEL_PAGE) == MemoryError::none);
    EXPECT(space.translate(KERNEL_PAGE).error() == MemoryError::not_mapped);
    pages().free_page(frame.value()); /* a kernel-half mapping never owns its frame */
}

KERNEL_TEST(memory, map_page_refuses_what_it_cannot_do)
{
    ArchMemory space;
    if (!create(space, t))
        return;
    MemoryResult<uint64_t> frame = pages().allocate_page();
    EXPECT(frame.ok());
    if (!frame.ok())
        return;
    EXPECT(space.map_page(USER_PAGE + 8, frame.value(), MapFlags::user) == MemoryError::bad_address);
    EXPECT(space.map_page(USER_PAGE, frame.value() + 8, MapFlags::user) == MemoryError::bad_address);
    EXPECT(space.map_page(0x0000800000000000, frame.value(), MapFlags::user) == MemoryError::bad_address);
    EXPECT(space.map_page(DIRECT_MAP_BASE + 0x100000000000, frame.value(), MapFlags::user) == MemoryError::bad_address);
    EXPECT(space.map_page(DIRECT_MAP_BASE, frame.value(), MapFlags::writable) == MemoryError::already_mapped);
    EXPECT(space.map_page(USER_PAGE, frame.value(), MapFlags::user) == MemoryError::none);
    EXPECT(space.map_page(USER_PAGE, frame.value(), MapFlags::user) == MemoryError::already_mapped);
    EXPECT(space.unmap_page(USER_PAGE + PAGE_SIZE) == MemoryError::not_mapped);
}
