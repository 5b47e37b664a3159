/* Fake guest memory for the file server's unit tests: guest-virtual
 * [BASE, BASE + SIZE) mapped one to one onto a host vector, everything else
 * faults. Shared by file_server_test.cpp and file_server_quota_test.cpp. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"

#include <cstring>
#include <string>
#include <vector>

class FakeGuestMemory final : public guest_paging::GuestVirtualMemory {
public:
    static constexpr uint64_t BASE = 0x100000, SIZE = 4 << 20;
    std::vector<uint8_t> bytes = std::vector<uint8_t>(SIZE, 0);
    size_t reads = 0;

    bool inside(uint64_t address, uint64_t length) const
    {
        return address >= BASE && length <= SIZE && address - BASE <= SIZE - length;
    }
    bool read(uint64_t address, void* out, size_t length) override
    {
        if (!inside(address, length))
            return false;
        ++reads;
        std::memcpy(out, &bytes[address - BASE], length);
        return true;
    }
    bool write(uint64_t address, const void* in, size_t length) override
    {
        if (!inside(address, length))
            return false;
        std::memcpy(&bytes[address - BASE], in, length);
        return true;
    }
    bool accessible(uint64_t address, uint64_t length, guest_paging::AccessKind) override
    {
        return inside(address, length);
    }
    size_t map(uint64_t address, uint64_t length, guest_paging::AccessKind, IoVector* vectors, size_t capacity) override
    {
        if (length == 0 || capacity == 0 || !inside(address, length))
            return 0;
        vectors[0] = {&bytes[address - BASE], size_t(length)};
        return 1;
    }
    /* Puts a string (with its NUL) at `address`; returns the address. */
    uint64_t put(uint64_t address, const std::string& text)
    {
        std::memcpy(&bytes[address - BASE], text.c_str(), text.size() + 1);
        return address;
    }
    std::string get(uint64_t address, size_t length) const
    {
        return std::string(reinterpret_cast<const char*>(&bytes[address - BASE]), length);
    }
};
