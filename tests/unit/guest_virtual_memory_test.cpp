/* hypervisor/memory/guest_virtual_memory: copies between the host and a guest
 * buffer scattered over many physical pages, checked whole before a byte moves. */
#include "hypervisor/memory/guest_virtual_memory.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

using namespace guest_memory;

namespace {

constexpr uint64_t RAM = 16 << 20;
constexpr uint32_t P = 1, RW = 2;
constexpr uint64_t CR0_PE = 1, CR0_WP = 1u << 16, CR0_PG = 1u << 31;
constexpr uint64_t DIRECTORY = 0x1000, TABLE = 0x2000;
constexpr uint64_t BUFFER = 0x400000; /* virtual: page directory entry 1 */
constexpr size_t PAGES = 64;

class Ram final : public GuestPhysicalMemory {
public:
    std::vector<uint8_t> bytes = std::vector<uint8_t>(RAM, 0);
    bool is_ram(uint64_t address, uint64_t length) const override { return address < RAM && length <= RAM - address; }
    bool read(uint64_t address, void* out, size_t length) override
    {
        if (!is_ram(address, length))
            return false;
        std::memcpy(out, &bytes[address], length);
        return true;
    }
    bool write(uint64_t address, const void* in, size_t length) override
    {
        if (!is_ram(address, length))
            return false;
        std::memcpy(&bytes[address], in, length);
        return true;
    }
    uint8_t* host_address(uint64_t address, uint64_t& contiguous) override
    {
        contiguous = address < RAM ? RAM - address : 0;
        return address < RAM ? &bytes[address] : nullptr;
    }
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
