/* Page tables in a fake guest RAM for the unit tests of
 * hypervisor/memory/guest_page_walk (guest_page_walk_test.cpp) and of guest
 * buffers split at page boundaries (guest_buffer_split_test.cpp): one builder per
 * paging mode (32-bit, PAE, 4-level), whose leaf entries carry the flags under
 * test while the entries above them grant everything. */
#pragma once
#include "arch/x86_64/control_registers.h"
#include "hypervisor/memory/guest_page_walk.h"

#include <cstring>
#include <stdint.h>
#include <vector>

namespace page_walk_fixture {

using namespace guest_paging;

constexpr uint64_t RAM_SIZE = 64ull << 20;
constexpr uint64_t P = 1ull << 0, RW = 1ull << 1, US = 1ull << 2, PS = 1ull << 7, XD = 1ull << 63;
constexpr uint64_t KIB = 1024, MIB = 1024 * KIB, GIB = 1024 * MIB;

constexpr GuestAccess READ{AccessKind::read, false};
constexpr GuestAccess WRITE{AccessKind::write, false};
constexpr GuestAccess FETCH{AccessKind::execute, false};
constexpr GuestAccess USER_READ{AccessKind::read, true};
constexpr GuestAccess USER_WRITE{AccessKind::write, true};

/* Guest RAM [0, RAM_SIZE); paging structures are taken from 1 MiB up. */
class FakeGuestRam : public GuestPhysicalReader {
public:
    FakeGuestRam() : bytes_(RAM_SIZE, 0) {}

    bool read(uint64_t guest_physical, void* out, size_t length) override
    {
        if (!is_ram(guest_physical, length))
            return false;
        std::memcpy(out, bytes_.data() + guest_physical, length);
        ++reads;
        return true;
    }
    bool is_ram(uint64_t guest_physical, uint64_t length) const override
    {
        return guest_physical < RAM_SIZE && length <= RAM_SIZE - guest_physical;
    }

    uint64_t new_table()
    {
        uint64_t table = next_table_;
        next_table_ += 0x1000;
        return table;
    }
    void put64(uint64_t guest_physical, uint64_t value) { std::memcpy(&bytes_[guest_physical], &value, 8); }
    void put32(uint64_t guest_physical, uint32_t value) { std::memcpy(&bytes_[guest_physical], &value, 4); }
    uint64_t get64(uint64_t guest_physical) const
    {
        uint64_t value;
        std::memcpy(&value, &bytes_[guest_physical], 8);
        return value;
    }
    uint32_t get32(uint64_t guest_physical) const
    {
        uint32_t value;
        std::memcpy(&value, &bytes_[guest_physical], 4);
        return value;
    }

    int reads = 0;

private:
    std::vector<uint8_t> bytes_;
    uint64_t next_table_ = 1 * MIB;
};

inline unsigned index_at(uint64_t guest_virtual, unsigned level) { return (guest_virtual >> (12 + 9 * (level - 1))) & 0x1FF; }

/* 4-level tables: intermediate entries grant everything (P, R/W, U/S), the leaf
 * carries the flags under test. */
struct FourLevelTables {
    FakeGuestRam& ram;
    uint64_t pml4 = ram.new_table();

    GuestPagingState state(uint64_t extra_cr4 = 0, uint64_t extra_efer = 0) const
    {
        GuestPagingState s;
        s.cr0 = CR0_PE | CR0_PG | CR0_WP;
        s.cr3 = pml4;
        s.cr4 = CR4_PAE | extra_cr4;
        s.efer = EFER_LME | EFER_LMA | extra_efer;
        return s;
    }
    /* The address of the entry for `guest_virtual` at `level`, making the tables above it. */
    uint64_t entry_address(uint64_t guest_virtual, unsigned level)
    {
        uint64_t table = pml4;
        for (unsigned l = 4; l > level; --l) {
            uint64_t address = table + index_at(guest_virtual, l) * 8;
            if (!(ram.get64(address) & P))
                ram.put64(address, ram.new_table() | P | RW | US);
            table = ram.get64(address) & 0x000FFFFFFFFFF000ull;
        }
        return table + index_at(guest_virtual, level) * 8;
    }
    void map(uint64_t guest_virtual, uint64_t guest_physical, unsigned level, uint64_t flags)
    {
        ram.put64(entry_address(guest_virtual, level), guest_physical | flags | P | (level > 1 ? PS : 0));
    }
};

/* PAE tables: a PDPT of four entries (P only: their other low bits are reserved). */
struct PaeTables {
    FakeGuestRam& ram;
    uint64_t pdpt = ram.new_table();

    GuestPagingState state(uint64_t extra_efer = 0) const
    {
        GuestPagingState s;
        s.cr0 = CR0_PE | CR0_PG | CR0_WP;
        s.cr3 = pdpt;
        s.cr4 = CR4_PAE;
        s.efer = extra_efer;
        return s;
    }
    uint64_t entry_address(uint64_t guest_virtual, unsigned level)
    {
        uint64_t pdpte = pdpt + ((guest_virtual >> 30) & 3) * 8;
        if (level == 3)
            return pdpte;
        if (!(ram.get64(pdpte) & P))
            ram.put64(pdpte, ram.new_table() | P);
        uint64_t pd = ram.get64(pdpte) & 0x000FFFFFFFFFF000ull;
        uint64_t pde = pd + index_at(guest_virtual, 2) * 8;
        if (level == 2)
            return pde;
        if (!(ram.get64(pde) & P))
            ram.put64(pde, ram.new_table() | P | RW | US);
        return (ram.get64(pde) & 0x000FFFFFFFFFF000ull) + index_at(guest_virtual, 1) * 8;
    }
    void map(uint64_t guest_virtual, uint64_t guest_physical, unsigned level, uint64_t flags)
    {
        ram.put64(entry_address(guest_virtual, level), guest_physical | flags | P | (level > 1 ? PS : 0));
    }
};

/* 32-bit tables: 1024 four-byte entries per level. */
struct Tables32 {
    FakeGuestRam& ram;
    uint64_t pd = ram.new_table();

    GuestPagingState state(uint64_t extra_cr4 = 0, uint64_t cr0_wp = CR0_WP) const
    {
        GuestPagingState s;
        s.cr0 = CR0_PE | CR0_PG | cr0_wp;
        s.cr3 = pd;
        s.cr4 = extra_cr4;
        return s;
    }
    uint64_t pde_address(uint32_t guest_virtual) const { return pd + (guest_virtual >> 22) * 4; }
    void map_4k(uint32_t guest_virtual, uint32_t guest_physical, uint32_t flags)
    {
        uint64_t pde = pde_address(guest_virtual);
        if (!(ram.get32(pde) & P))
            ram.put32(pde, uint32_t(ram.new_table()) | P | RW | US);
        uint64_t pt = ram.get32(pde) & 0xFFFFF000u;
        ram.put32(pt + ((guest_virtual >> 12) & 0x3FF) * 4, guest_physical | flags | P);
    }
    void map_4m(uint32_t guest_virtual, uint32_t pde_value) { ram.put32(pde_address(guest_virtual), pde_value | P | PS); }
};

inline GuestPagingState paging_off()
{
    GuestPagingState s;
    s.cr0 = CR0_PE;
    return s;
}

} // namespace page_walk_fixture
