/* Guest RAM [0, size) over a vector, for the unit tests of code that reads or
 * writes guest-physical memory (the nested VMX pieces, the file ring, the guest
 * page walk): every access checked against the size, as GuestMemory checks it
 * against the VM's RAM runs. */
#pragma once
#include "hypervisor/memory/guest_virtual_memory.h"

#include <cstring>
#include <stdint.h>
#include <vector>

class FakeGuestRam : public guest_paging::GuestPhysicalMemory {
public:
    explicit FakeGuestRam(size_t size) : bytes(size, 0) {}

    std::vector<uint8_t> bytes;

    bool is_ram(uint64_t address, uint64_t length) const override
    {
        return address < bytes.size() && length <= bytes.size() - address;
    }
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
        contiguous = address < bytes.size() ? bytes.size() - address : 0;
        return address < bytes.size() ? &bytes[address] : nullptr;
    }
};
