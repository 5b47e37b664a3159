/* hypervisor/memory/guest_virtual_memory: copies between the host and a guest
 * buffer scattered over many physical pages, checked whole before a byte moves. */
#include "arch/x86_64/control_registers.h"
#include "hypervisor/memory/guest_virtual_memory.h"
#include "fake_guest_ram.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using namespace guest_paging;

namespace {

constexpr uint64_t RAM = 16 << 20;
constexpr uint32_t P = 1, RW = 2;
constexpr uint64_t DIRECTORY = 0x1000, TABLE = 0x2000;
constexpr uint64_t BUFFER = 0x400000; /* virtual: page directory entry 1 */
constexpr size_t PAGES = 64;

class Ram final : public FakeGuestRam {
public:
    Ram() : FakeGuestRam(RAM) {}
    void put32(uint64_t address, uint32_t value) { std::memcpy(&bytes[address], &value, 4); }
};

/* 32-bit paging: virtual page i of the buffer lives at physical page
 * 0x800000 + (PAGES - 1 - i) * 0x2000, backwards with gaps, so no two pages merge. */
uint64_t physical_page(size_t i) { return 0x800000 + (PAGES - 1 - i) * 0x2000; }

struct ScatteredBuffer {
    Ram ram;
    GuestPagingState paging{CR0_PE | CR0_PG | CR0_WP, DIRECTORY, 0, 0, nullptr};

    explicit ScatteredBuffer(size_t read_only_page = PAGES)
    {
        ram.put32(DIRECTORY + 4 * (BUFFER >> 22), uint32_t(TABLE) | P | RW);
        for (size_t i = 0; i < PAGES; ++i)
            ram.put32(TABLE + 4 * i, uint32_t(physical_page(i)) | P | (i == read_only_page ? 0 : RW));
    }
};

} // namespace

UNIT_TEST(guest_virtual_memory_copies_a_buffer_of_many_scattered_pages)
{
    ScatteredBuffer guest;
    PagedGuestMemory memory(guest.paging, guest.ram);
    std::vector<uint8_t> out(PAGES * 4096), in(PAGES * 4096);
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = uint8_t(i * 13 + i / 4096);
    /* More pages than CHUNKS_PER_STEP: the copy goes on step by step. */
    CHECK(PAGES > PagedGuestMemory::CHUNKS_PER_STEP);
    CHECK(memory.write(BUFFER + 100, out.data(), out.size() - 200));
    CHECK_EQ(guest.ram.bytes[physical_page(0) + 100], out[0]);
    CHECK_EQ(guest.ram.bytes[physical_page(1)], out[4096 - 100]);
    CHECK(memory.read(BUFFER + 100, in.data(), in.size() - 200));
    CHECK(std::memcmp(in.data(), out.data(), out.size() - 200) == 0);
}

UNIT_TEST(guest_virtual_memory_write_to_a_partly_read_only_buffer_moves_nothing)
{
    ScatteredBuffer guest(40);
    PagedGuestMemory memory(guest.paging, guest.ram);
    std::vector<uint8_t> out(PAGES * 4096, 0xAB);
    CHECK(!memory.write(BUFFER, out.data(), out.size()));
    CHECK(memory.last_fault() == PageWalkFault::write_to_read_only);
    CHECK_EQ(guest.ram.bytes[physical_page(0)], uint8_t(0));
    /* Reading the same buffer is fine. */
    CHECK(memory.read(BUFFER, out.data(), out.size()));
    CHECK(memory.accessible(BUFFER, 40 * 4096, AccessKind::write));
    CHECK(!memory.accessible(BUFFER, 40 * 4096 + 1, AccessKind::write));
}

UNIT_TEST(guest_virtual_memory_refuses_unmapped_and_wrapping_buffers)
{
    ScatteredBuffer guest;
    PagedGuestMemory memory(guest.paging, guest.ram);
    uint8_t byte = 0;
    CHECK(!memory.read(BUFFER + PAGES * 4096, &byte, 1));
    CHECK(memory.last_fault() == PageWalkFault::not_present);
    std::vector<uint8_t> big(0x2000);
    CHECK(!memory.read(0xFFFFF000, big.data(), big.size()));
    CHECK(memory.last_fault() == PageWalkFault::buffer_wraps);
    CHECK(memory.read(BUFFER, &byte, 0));
}

/* ---- map: the buffer as host memory, for copies in place */

UNIT_TEST(guest_virtual_memory_map_gives_one_host_vector_per_scattered_page)
{
    ScatteredBuffer guest;
    PagedGuestMemory memory(guest.paging, guest.ram);
    IoVector vectors[PAGES + 1];
    /* Unaligned both ends: a piece of the first page, three whole ones, a piece. */
    size_t count = memory.map(BUFFER + 0x100, 4 * 4096, AccessKind::write, vectors, PAGES + 1);
    CHECK_EQ(count, size_t(5));
    CHECK(vectors[0].base == &guest.ram.bytes[physical_page(0) + 0x100]);
    CHECK_EQ(vectors[0].length, size_t(4096 - 0x100));
    CHECK(vectors[1].base == &guest.ram.bytes[physical_page(1)]);
    CHECK_EQ(vectors[1].length, size_t(4096));
    CHECK(vectors[4].base == &guest.ram.bytes[physical_page(4)]);
    CHECK_EQ(vectors[4].length, size_t(0x100));
}

UNIT_TEST(guest_virtual_memory_map_merges_pages_contiguous_in_host_memory)
{
    ScatteredBuffer guest;
    /* Point the buffer's pages 8..11 at one physically contiguous run. */
    for (size_t i = 8; i < 12; ++i)
        guest.ram.put32(TABLE + 4 * i, uint32_t(0xC00000 + (i - 8) * 4096) | P | RW);
    PagedGuestMemory memory(guest.paging, guest.ram);
    IoVector vectors[4];
    size_t count = memory.map(BUFFER + 8 * 4096 + 10, 4 * 4096 - 20, AccessKind::read, vectors, 4);
    CHECK_EQ(count, size_t(1));
    CHECK(vectors[0].base == &guest.ram.bytes[0xC00000 + 10]);
    CHECK_EQ(vectors[0].length, size_t(4 * 4096 - 20));
}

UNIT_TEST(guest_virtual_memory_map_refuses_what_it_cannot_give_whole)
{
    ScatteredBuffer guest(40);
    PagedGuestMemory memory(guest.paging, guest.ram);
    IoVector vectors[PAGES + 1];
    /* A read-only page in the middle: nothing for a write, all of it for a read. */
    CHECK_EQ(memory.map(BUFFER, PAGES * 4096, AccessKind::write, vectors, PAGES + 1), size_t(0));
    CHECK(memory.last_fault() == PageWalkFault::write_to_read_only);
    CHECK_EQ(memory.map(BUFFER, PAGES * 4096, AccessKind::read, vectors, PAGES + 1), size_t(PAGES));
    CHECK(memory.last_fault() == PageWalkFault::none);
    /* Past the mapped pages, wrapping, and more pieces than there is room for. */
    CHECK_EQ(memory.map(BUFFER, PAGES * 4096 + 1, AccessKind::read, vectors, PAGES + 1), size_t(0));
    CHECK(memory.last_fault() == PageWalkFault::not_present);
    CHECK_EQ(memory.map(0xFFFFF000, 0x2000, AccessKind::read, vectors, PAGES + 1), size_t(0));
    CHECK(memory.last_fault() == PageWalkFault::buffer_wraps);
    CHECK_EQ(memory.map(BUFFER, 4 * 4096, AccessKind::read, vectors, 3), size_t(0));
    CHECK(memory.last_fault() == PageWalkFault::too_many_chunks);
    CHECK_EQ(memory.map(BUFFER, 0, AccessKind::read, vectors, 1), size_t(0));
}

/* ---- a buffer inside one page (a VMX instruction's operand): one walk, same outcome */

UNIT_TEST(guest_virtual_memory_one_page_access_lands_where_the_walk_says_and_names_its_faults)
{
    ScatteredBuffer guest(5);
    /* One page more, mapped outside guest RAM. */
    guest.ram.put32(TABLE + 4 * PAGES, uint32_t(RAM + 0x1000) | P | RW);
    PagedGuestMemory memory(guest.paging, guest.ram);
    uint64_t value = 0x1122334455667788, back = 0;
    CHECK(memory.write(BUFFER + 3 * 4096 + 0xFF8, &value, sizeof value)); /* the last 8 bytes of page 3 */
    CHECK(std::memcmp(&guest.ram.bytes[physical_page(3) + 0xFF8], &value, sizeof value) == 0);
    CHECK(memory.read(BUFFER + 3 * 4096 + 0xFF8, &back, sizeof back));
    CHECK_EQ(back, value);
    CHECK(memory.last_fault() == PageWalkFault::none);
    /* Read-only page 5: the write moves nothing and says why; the read works. */
    CHECK(!memory.write(BUFFER + 5 * 4096 + 8, &value, sizeof value));
    CHECK(memory.last_fault() == PageWalkFault::write_to_read_only);
    CHECK_EQ(guest.ram.bytes[physical_page(5) + 8], uint8_t(0));
    CHECK(memory.read(BUFFER + 5 * 4096 + 8, &back, sizeof back));
    CHECK(memory.last_fault() == PageWalkFault::none);
    CHECK_EQ(back, uint64_t(0));
    /* Mapped outside RAM, and not mapped at all. */
    CHECK(!memory.read(BUFFER + PAGES * 4096, &back, sizeof back));
    CHECK(memory.last_fault() == PageWalkFault::page_outside_ram);
    CHECK(!memory.write(BUFFER + PAGES * 4096, &value, sizeof value));
    CHECK(memory.last_fault() == PageWalkFault::page_outside_ram);
    CHECK(!memory.read(BUFFER + (PAGES + 1) * 4096, &back, sizeof back));
    CHECK(memory.last_fault() == PageWalkFault::not_present);
    /* 8 bytes across the end of page 4 into read-only page 5: the general path, nothing written. */
    CHECK(!memory.write(BUFFER + 5 * 4096 - 4, &value, sizeof value));
    CHECK(memory.last_fault() == PageWalkFault::write_to_read_only);
    CHECK_EQ(guest.ram.bytes[physical_page(4) + 4092], uint8_t(0));
}
